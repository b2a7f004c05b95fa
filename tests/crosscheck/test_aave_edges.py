"""Aave V3 edge cases, twin against the real 1.19.3 bytecode (npm @aave/core-v3 artifacts) on the in-process chain:
reserves of 2 (the fewest the file and the twin list), 6, 18 and 24 decimals, one of them isolated with a debt
ceiling and one in an eMode category, supply and borrow caps small enough to be hit exactly, amounts of 1 unit
and of whole balances, ``max`` withdrawals, repays and liquidations (with and without receiveAToken, the same
asset as collateral and debt), prices from 0 (AaveOracle falls back and reverts) to 1e30 USD-units, utilization
driven to 100%, and waits of up to five years. A seeded walk (``random.Random``) draws each operation; after
every one the outcome (ok or the same error code / name) and every observable of ``AaveV3Lens.snapshot``
(indexes, rates, treasury accrual, isolation debt, scaled and actual supplies, every account's data, HF and
balances) must be equal to the wei. ``aave_machine.py`` fuzzes the example market; this reaches its corners."""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

import pytest

from protocol_model.chain.aave_v3.replay import AaveChainWorld
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.exact.presets.aave_v3.params import EModeParams, MarketParams, RateStrategyParams, ReserveParams
from protocol_model.world.aave_v3 import MAX, AaveAction
from tests.crosscheck.edge_walks import checked_walks

USERS = ["alice", "bob", "carol", "dave"]
RAY = 10**27
MARKET = MarketParams(reserves=(
    ReserveParams("C2", 2, 100_000_000, 7_500, 8_000, 10_500, supply_cap=1_000_000, borrow_cap=500_000,
                  borrowable_in_isolation=True, emode_category=1,
                  rates=RateStrategyParams(optimal_usage_ratio=RAY // 2, variable_rate_slope2=3 * RAY)),
    ReserveParams("S6", 6, 100_000_000, 8_000, 8_500, 10_400, borrowable_in_isolation=True, emode_category=1),
    ReserveParams("E18", 18, 200_000_000_000, 8_000, 8_250, 10_500, borrow_cap=1_000, reserve_factor=9_000),
    ReserveParams("Y24", 24, 3, 6_000, 7_000, 11_000, supply_cap=10**9, debt_ceiling=1_000_000,
                  liquidation_protocol_fee=10_000,
                  rates=RateStrategyParams(base_variable_borrow_rate=RAY, variable_rate_slope1=RAY))),
    emodes=(EModeParams(1, 9_500, 9_700, 10_100, "stable"),))
"""C2: 2 decimals, capped at 1,000,000 supplied / 500,000 borrowed, 300% slope above 50% usage; S6: 6 decimals;
E18: borrow cap 1,000 and a 90% reserve factor; Y24: 24 decimals at $0.00000003, isolated (ceiling $10,000.00),
a 100% liquidation protocol fee and rates from 100% APR; eMode category 1 (C2, S6) at 95% / 97% / 1%."""
ASSETS = [r.symbol for r in MARKET.reserves]
DECIMALS = {r.symbol: r.decimals for r in MARKET.reserves}
WAITS = (0, 1, 12, 3_600, 86_400, 365 * 86_400, 5 * 365 * 86_400)
SEEDS = range(60)
OPS_PER_SEED = 60


@pytest.fixture(scope="module")
def edge_world():
    """The market deployed on a fresh in-process chain with its twin; each account holds 10^12 whole tokens."""
    chain = InProcessChain()
    balances = {u: {a: 10**12 * 10 ** DECIMALS[a] for a in ASSETS} for u in USERS}
    world = AaveChainWorld.deploy(chain, MARKET, chain.accounts, USERS, balances)
    return {"world": world, "model": copy.deepcopy(world.model)}


class AaveEdgeWalk:
    """One seeded walk from the deployed market (chain restored, twin copied); ``send`` compares every step."""

    def __init__(self, base: dict[str, Any], seed: int, tally: Counter) -> None:
        self.world, self.rng, self.tally = base["world"], random.Random(seed), tally
        self.snap = self.world.driver.snapshot()
        self.world.model = copy.deepcopy(base["model"])
        self.now = self.world.driver.now()
        for asset in ASSETS:  # an opening: liquidity in every reserve, bob borrowing most of his headroom
            self.send(AaveAction("supply", "alice", asset, self.amount(asset, 10**6 * 10 ** DECIMALS[asset])))
        self.send(AaveAction("supply", "bob", "E18", 10 * 10**18))
        for asset in ("C2", "S6"):
            self.send(AaveAction("borrow", "bob", asset, 4_000 * 10 ** DECIMALS[asset] * self.rng.randrange(1, 101)
                                 // 100))

    def close(self) -> None:
        """Back to the deployed market on both twins."""
        self.world.driver.restore(self.snap)

    def send(self, action: AaveAction, wait: int = 12) -> str:
        """Play ``action`` ``wait`` seconds after the previous step on both twins; raise on any difference."""
        self.now += max(wait, 1)
        result = self.world.step(self.tally["operations"], action, self.now)
        self.tally["operations"] += 1
        if not result.agrees:
            self.tally["mismatches"] += 1
            raise AssertionError(f"{action.describe()} at t={self.now}: model {result.model}, chain {result.chain}; "
                                 f"{result.mismatches[:6]}")
        self.tally[f"{action.op} {result.model}"] += 1
        return result.model

    def amount(self, asset: str, reference: int) -> int:
        """1 unit, a small number, a fraction of ``reference`` (nudged by a unit), exactly it, ``max`` or more
        than anyone holds."""
        rng, unit = self.rng, 10 ** DECIMALS[asset]
        pick = rng.randrange(8)
        if pick == 0:
            return rng.choice((1, 2, 3))
        if pick in (1, 2, 3):
            return max(reference * rng.randrange(1, 10_001) // 10_000 + rng.randrange(-1, 2), 1)
        if pick == 4:
            return max(reference, 1)
        if pick == 5:
            return MAX
        if pick == 6:
            return rng.randrange(1, 10**6) * unit
        return 10**13 * unit

    def step(self) -> None:
        """One random operation, sized from the twin's state."""
        rng, model = self.rng, self.world.model
        who, other, asset, asset2 = rng.choice(USERS), rng.choice(USERS), rng.choice(ASSETS), rng.choice(ASSETS)
        kind = rng.choice(("supply", "supply", "withdraw", "borrow", "borrow", "borrow", "repay", "liquidate",
                           "crash", "collateral", "emode", "price", "warp"))
        wait = rng.choice(WAITS)
        at = model.at(self.now + max(wait, 1))
        if kind == "warp":
            self.now += wait
            self.world.driver.mine(self.now)
            self.tally["operations"] += 1
            assert not self.world.compare(), f"warp {wait}: {self.world.compare()[:6]}"
            return
        if kind == "price":
            base = MARKET.reserve(asset).price
            price = rng.choice((0, 1, base, base, 10**30) + (base * rng.randrange(50, 150) // 100,) * 5)
            self.send(AaveAction("price", asset=asset, number=price), 0)
            return
        if kind == "collateral":
            self.send(AaveAction("collateral", who, asset, flag=rng.random() < 0.7), wait)
            return
        if kind == "emode":
            self.send(AaveAction("emode", who, number=rng.choice((0, 1, 1))), wait)
            return
        if kind in ("liquidate", "crash"):
            indebted = [u for u in USERS if model.user_config(u).borrowing]
            if not indebted:
                return
            other = rng.choice(indebted)
            config = model.user_config(other)
            asset2 = model.reserves_list[rng.choice(sorted(config.borrowing))]
            if config.collateral and rng.random() < 0.8:
                asset = model.reserves_list[rng.choice(sorted(config.collateral))]
            if kind == "crash" and model.prices[asset] > 1:
                self.send(AaveAction("price", asset=asset, number=model.prices[asset] * rng.randrange(30, 100) // 100))
            owed = at.variable_debt_balance(asset2, other)
            self.send(AaveAction("liquidate", who, asset, self.amount(asset2, owed), other, asset2,
                                 rng.random() < 0.5), wait)
            return
        reference = {"supply": at.a_token_balance(asset, other) or 10 ** DECIMALS[asset] * 1_000,
                     "withdraw": at.a_token_balance(asset, who),
                     "repay": at.variable_debt_balance(asset, other), "borrow": 0}[kind]
        if kind == "borrow":
            try:
                available = at.get_user_account_data(who).available_borrows_base
            except Exception:  # an unreadable price: the call reverts on both twins
                available = 0
            reference = available * 10 ** DECIMALS[asset] // max(model.prices[asset], 1)
        on_behalf = other if kind in ("supply", "repay") and rng.random() < 0.3 else ""
        self.send(AaveAction(kind, who, asset, self.amount(asset, reference), on_behalf), wait)


def run_walks(base: dict[str, Any], seeds: range, ops: int) -> Counter:
    """``ops`` operations for each seed; counts operations, mismatches and each (op, outcome)."""
    tally: Counter = Counter()
    for seed in seeds:
        walk = AaveEdgeWalk(base, seed, tally)
        try:
            for _ in range(ops):
                walk.step()
        finally:
            walk.close()
    return tally


def test_aave_edge_walks_agree_to_the_wei(edge_world, capsys):
    checked_walks(f"Aave edge walks ({len(SEEDS)} seeds)", lambda: run_walks(edge_world, SEEDS, OPS_PER_SEED), capsys,
                  ("liquidate ok", "borrow ok", "withdraw ok", "repay ok", "supply 51", "borrow 50", "borrow 36",
                   "liquidate 45"))


@pytest.mark.parametrize("module,name", [
    ("validation_logic", "checked"),  # the cap / base-currency sums of a huge borrow or supply unchecked again
    ("default_reserve_interest_rate_strategy", "checked"),  # the available liquidity's overflow unchecked
    ("state", "to_uint128"),  # scaled mints without SafeCast.toUint128
])
def test_aave_edge_walks_catch_the_unchecked_arithmetic(edge_world, monkeypatch, module, name):
    """Each overflow check this review added to the twin, removed again: the walks report a mismatch (they
    found all three as mismatches first: a ``max`` borrow on a capped reserve 36 instead of ``Panic(0x11)``, a
    ``max`` supply ``ERC20InsufficientBalance`` instead of ``Panic(0x11)``, a 3.2e39-unit borrow ``Panic(0x11)``
    instead of SafeCast's revert)."""
    import importlib

    monkeypatch.setattr(importlib.import_module(f"protocol_model.exact.presets.aave_v3.{module}"), name, lambda v: v)
    with pytest.raises(AssertionError, match="chain"):
        run_walks(edge_world, SEEDS, OPS_PER_SEED)


@pytest.mark.parametrize("decimals", [0, 1, 31])
def test_reserve_decimals_outside_the_file_bounds_are_refused_by_the_twin_too(decimals):
    """The protocol file takes 2 to 30 decimals; a twin built from ``ReserveParams`` directly refuses the same,
    naming the reserve and the field (at 0 or 1 it computed the isolation debt with a float ``10 ** -2``)."""
    with pytest.raises(ValueError, match=f"reserve X: decimals {decimals} must be from 2 to 30"):
        ReserveParams("X", decimals, 100_000_000, 0, 0, 0)
