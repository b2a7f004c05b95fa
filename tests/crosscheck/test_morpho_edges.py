"""Morpho Blue edge cases, twin against the real 1.0.0 bytecode on the in-process chain (no node): tokens of 0, 6,
18 and 24 decimals, markets that start empty (first depositor, virtual shares and assets rounding at 1 unit),
amounts of 1 unit and at the uint128 bounds of the market totals, oracle prices from 0 to 2^256 − 1, waits of
years, liquidations by seized assets and by repaid shares (bad debt realised), fees at 25% and on-behalf calls with
and without ``setAuthorization``. A seeded walk (``random.Random``) draws each operation; after every one the
outcome (ok or the same revert string) and every observable (markets, positions, balances, configuration) must be
equal to the wei. The existing fuzzer (``morpho_fuzz.py``) plays 6- and 18-decimal tokens at file prices from
seeded, well-funded positions; this one reaches the corners it does not."""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

import pytest

from protocol_model.chain.morpho_blue import compare, deploy, in_process_chain
from protocol_model.exact.presets.morpho_blue.constants_lib import UINT128_MAX
from protocol_model.exact.presets.morpho_blue.market_params_lib import market_id
from protocol_model.exact.presets.morpho_blue.shares_math_lib import to_assets_up
from protocol_model.scenario.morpho_blue import MorphoBlueSpec
from protocol_model.world.morpho_blue_world import OK, MorphoOp
from tests.crosscheck.edge_walks import checked_walks

ACCOUNTS = ("alice", "bob", "carol", "dave")
SPEC = MorphoBlueSpec.model_validate({
    "tokens": {"D0": {"decimals": 0}, "D6": {"decimals": 6}, "D18": {"decimals": 18}, "D24": {"decimals": 24}},
    "markets": {
        "m0_24": {"loan_token": "D0", "collateral_token": "D24", "lltv": "86%", "fee": "25%", "price": "3000"},
        "m24_0": {"loan_token": "D24", "collateral_token": "D0", "lltv": "94.5%", "fee": "10%", "price": "0.001"},
        "m6_18": {"loan_token": "D6", "collateral_token": "D18", "lltv": "50%", "price": "1000000000000"},
        "m18_6": {"loan_token": "D18", "collateral_token": "D6", "lltv": "98%", "irm": "none", "fee": "5%",
                  "price": "0.000000000001"},
    }})
"""Four markets over the four decimals, all starting empty: IrmMock with a 25% fee (the most ``MAX_FEE``
allows), 10% and none, the zero-address IRM with a fee (never charged), LLTVs 50% (incentive 1.15, the cap),
86%, 94.5% and 98%; prices from 1e-12 to 1e12 loan tokens per collateral token (1e21 to 1e57 at the oracle's
1e36 scale)."""
MARKETS = tuple(SPEC.markets)
WAITS = (0, 1, 12, 3_600, 86_400, 365 * 86_400, 5 * 365 * 86_400)
"""Seconds before an operation: the same block up to five years (interest at 100% utilization compounds)."""
PRICES = (0, 1, 10**21, 10**30, 10**36, 10**45, 10**57, 2**128, 2**255)
SEEDS = range(80)
OPS_PER_SEED = 60


def amount(rng: random.Random, reference: int) -> int:
    """An amount around the boundaries: 0, 1, 2, a small number, a fraction of ``reference`` (what the account
    holds, owes or may move) with a nudge of a unit or two, exactly it, or the uint128 bounds."""
    pick = rng.randrange(9)
    if pick == 0:
        return rng.choice((0, 1, 1, 2, 3))
    if pick == 1:
        return rng.randrange(1, 10**6)
    if pick in (2, 3, 4):
        return max(reference * rng.randrange(0, 10_001) // 10_000 + rng.randrange(-2, 3), 0)
    if pick == 5:
        return max(reference + rng.randrange(-1, 2), 0)
    if pick == 6:
        return rng.choice((UINT128_MAX, UINT128_MAX + 1, 2**127, UINT128_MAX // 10**6))
    return rng.randrange(1, 10**rng.randrange(1, 40))


@pytest.fixture(scope="module")
def edge_base():
    """The four empty markets deployed on a fresh in-process chain, and a chain snapshot."""
    chain = in_process_chain()
    named = dict(zip(ACCOUNTS, chain.accounts[1:], strict=False))
    world, model, now = deploy(chain, SPEC, chain.accounts[0], named, "dave")
    for who in ACCOUNTS:
        for token in world.addresses.tokens.values():
            now += 1
            op = MorphoOp("set_balance", world.addresses.owner, token=token, on_behalf=world.addresses.accounts[who],
                          value=10**30)
            assert world.apply(op, now) == model.apply(op, now) == OK
    return {"chain": world, "model": model, "now": now, "snapshot": chain.snapshot()}


class EdgeWalk:
    """One seeded walk on both twins from the deployed base; ``send`` compares after every operation."""

    def __init__(self, base: dict[str, Any], seed: int, tally: Counter) -> None:
        self.chain, self.rng, self.tally = base["chain"], random.Random(seed), tally
        self.chain.driver.restore(base["snapshot"])
        base["snapshot"] = self.chain.driver.snapshot()
        self.model, self.now = copy.deepcopy(base["model"]), base["now"]
        self.acct = self.chain.addresses.accounts
        for name in MARKETS:  # a random opening: a supply, then collateral and a borrow near the limit
            self.send(MorphoOp("supply", self.acct["alice"], name, assets=amount(self.rng, 10**24),
                               on_behalf=self.acct["alice"]))
            self.send(MorphoOp("supply_collateral", self.acct["bob"], name, assets=amount(self.rng, 10**24),
                               on_behalf=self.acct["bob"]))
            self.send(MorphoOp("borrow", self.acct["bob"], name, assets=amount(self.rng, self.room(name, "bob")),
                               on_behalf=self.acct["bob"], receiver=self.acct["bob"]))

    def room(self, name: str, who: str) -> int:
        """What ``who`` may still borrow on ``name`` at the oracle price (loan units, at least 0)."""
        params, pos, m = self.model.params[name], self.position(name, who), self.market(name)
        price = self.model.morpho.oracles[params.oracle].price
        limit = pos.collateral * price // 10**36 * params.lltv // 10**18
        debt = to_assets_up(pos.borrow_shares, m.total_borrow_assets, m.total_borrow_shares)
        return max(min(limit - debt, m.total_supply_assets - m.total_borrow_assets), 0)

    def send(self, op: MorphoOp, wait: int = 1) -> str:
        """Play ``op`` ``wait`` seconds after the previous one on both twins; raise on any difference."""
        self.now += wait
        before = self.market(op.market).as_tuple()[0] if op.market else 0
        got, want = self.chain.apply(op, self.now), self.model.apply(op, self.now)
        self.tally["operations"] += 1
        diffs = compare(self.chain.observe(), self.model.observe()) if got == want else []
        if got != want or diffs:
            self.tally["mismatches"] += 1
            raise AssertionError(f"{op.describe()} at t={self.now}: chain {got}, model {want}; {diffs[:5]}")
        self.tally[f"{op.kind} {got}"] += 1
        realised = op.kind == "liquidate" and got == OK and self.market(op.market).as_tuple()[0] < before
        self.tally["bad debt realised"] += realised
        return got

    def market(self, name: str) -> Any:
        return self.model.morpho.market_of(market_id(self.model.params[name]))

    def position(self, name: str, who: str) -> Any:
        return self.model.morpho.position_of(market_id(self.model.params[name]), self.acct[who])

    def balance(self, name: str, who: str, collateral: bool = False) -> int:
        params = self.model.params[name]
        token = params.collateral_token if collateral else params.loan_token
        return self.model.morpho.ledger.balance(token, self.acct[who])

    def step(self) -> None:
        """One random operation (or a price move, a funding or an authorization)."""
        rng, acct = self.rng, self.acct
        name, who = rng.choice(MARKETS), rng.choice(ACCOUNTS)
        kind = rng.choice(("fund", "supply", "supply", "withdraw", "supply_collateral", "supply_collateral",
                           "withdraw_collateral", "borrow", "borrow", "repay", "liquidate", "liquidate", "crash",
                           "set_price", "accrue_interest", "set_authorization"))
        wait, by_shares = rng.choice(WAITS), rng.random() < 0.5
        other = rng.choice(ACCOUNTS) if rng.random() < 0.3 else who
        indebted = [a for a in ACCOUNTS if self.position(name, a).borrow_shares]
        if kind in ("repay", "liquidate", "crash") and indebted and rng.random() < 0.8:
            other = rng.choice(indebted)
        m, pos = self.market(name), self.position(name, other)
        if kind == "fund":
            token = rng.choice(tuple(self.chain.addresses.tokens.values()))
            value = rng.choice((10**rng.randrange(0, 60), UINT128_MAX, 2**200, 2**256 - 1))
            self.send(MorphoOp("set_balance", acct["owner"], token=token, on_behalf=acct[who], value=value), 0)
            return
        if kind == "set_price":
            price = rng.choice(PRICES + (SPEC.market_price(name),) * 3)
            self.send(MorphoOp("set_price", acct["owner"], name, value=price), wait)
            return
        if kind == "crash":  # the price falls to a fraction, then all the collateral or all the shares go
            price = self.model.morpho.oracles[self.model.params[name].oracle].price
            self.send(MorphoOp("set_price", acct["owner"], name, value=price * rng.randrange(1, 100) // 100), wait)
            seized, repaid = (pos.collateral, 0) if rng.random() < 0.5 else (0, pos.borrow_shares)
            self.send(MorphoOp("liquidate", acct[who], name, assets=seized, shares=repaid, on_behalf=acct[other]))
            return
        if kind == "set_authorization":
            self.send(MorphoOp("set_authorization", acct[who], on_behalf=acct[other], value=rng.randrange(2)), wait)
            return
        debt = to_assets_up(pos.borrow_shares, m.total_borrow_assets, m.total_borrow_shares)
        reference = {
            "supply": self.balance(name, who), "withdraw": m.total_supply_assets - m.total_borrow_assets,
            "supply_collateral": self.balance(name, who, collateral=True), "withdraw_collateral": pos.collateral,
            "borrow": self.room(name, other), "repay": debt,
            "liquidate": pos.collateral, "accrue_interest": 0}[kind]
        share_reference = {"withdraw": pos.supply_shares, "repay": pos.borrow_shares, "liquidate": pos.borrow_shares}
        assets, shares = amount(rng, reference), 0
        if by_shares and kind in ("supply", "withdraw", "borrow", "repay", "liquidate"):
            ref = share_reference.get(kind, reference * (m.total_supply_shares + 10**6) // (m.total_supply_assets + 1))
            assets, shares = 0, amount(rng, ref)
        if rng.random() < 0.03:  # both amounts or neither: ``inconsistent input``
            shares = assets
        self.send(MorphoOp(kind, acct[who], name, assets=assets, shares=shares, on_behalf=acct[other],
                           receiver=acct[rng.choice(ACCOUNTS)]), wait)


def run_walks(base: dict[str, Any], seeds: range, ops: int) -> Counter:
    """``ops`` operations for each seed; the tally counts operations, mismatches and each (kind, outcome)."""
    tally: Counter = Counter()
    for seed in seeds:
        walk = EdgeWalk(base, seed, tally)
        for _ in range(ops):
            walk.step()
    return tally


def test_edge_walks_agree_to_the_wei(edge_base, capsys):
    walks = lambda: run_walks(edge_base, SEEDS, OPS_PER_SEED)  # noqa: E731 - the run to time
    tally = checked_walks(f"Morpho edge walks ({len(SEEDS)} seeds)", walks,
                          capsys, ("liquidate ok", "borrow ok", "withdraw ok", "repay ok",
                                   "supply max uint128 exceeded",
                                   "borrow insufficient collateral", "liquidate position is healthy",
                                   "withdraw unauthorized", "supply inconsistent input", "liquidate Panic(0x12)",
                                   "bad debt realised", "set_balance Panic(0x11)"))
    assert tally["operations"] >= len(SEEDS) * OPS_PER_SEED


def test_set_balance_past_the_total_supply_panics_on_both(edge_base):
    """ERC20Mock's ``setBalance`` keeps ``totalSupply`` with checked arithmetic: 2^256 − 1 for one account while
    another holds a unit is ``Panic(0x11)`` on the real mock, and on the twin (which once set it and passed)."""
    walk = EdgeWalk(edge_base, 0, Counter())
    owner, acct, token = walk.acct["owner"], walk.acct, walk.chain.addresses.tokens["D0"]
    assert walk.send(MorphoOp("set_balance", owner, token=token, on_behalf=acct["bob"], value=2**256 - 1)) \
        == "Panic(0x11)"
    total = sum(walk.model.morpho.ledger.balance(token, a) for a in (*acct.values(), walk.chain.addresses.morpho))
    top = 2**256 - 1 - total + walk.model.morpho.ledger.balance(token, acct["bob"])
    assert walk.send(MorphoOp("set_balance", owner, token=token, on_behalf=acct["bob"], value=top)) == OK
    assert walk.send(MorphoOp("set_balance", owner, token=token, on_behalf=acct["carol"], value=10**30 + 1)) \
        == "Panic(0x11)"


@pytest.mark.parametrize("target,replacement", [
    ("w_div_up", "w_div_down"),  # the seized collateral's repaid shares rounded down
    ("to_shares_down", "to_shares_up"),  # supply / repay by assets rounded the other way
    ("w_taylor_compounded", "w_mul_down"),  # simple instead of compounded interest
])
def test_edge_walks_catch_an_injected_fault(edge_base, monkeypatch, target, replacement):
    """One rounding flipped (or the compounding replaced) in the twin: the walks report a mismatch."""
    from protocol_model.exact.presets.morpho_blue import math_lib, morpho, shares_math_lib

    source = {"w_div_down": math_lib, "w_mul_down": math_lib, "to_shares_up": shares_math_lib}[replacement]
    monkeypatch.setattr(morpho, target, getattr(source, replacement))
    with pytest.raises(AssertionError, match="chain"):
        run_walks(edge_base, range(20), OPS_PER_SEED)
