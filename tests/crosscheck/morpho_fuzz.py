"""The Morpho Blue differential fuzzer: one hypothesis state machine over every user entry point of Morpho Blue
(supply / withdraw / borrow / repay by assets or by shares, collateral in and out, liquidation by seized assets or
by repaid shares, on-behalf calls with and without authorization, interest accrual, fee changes, price moves and
waits from a second to a quarter) and the owner functions (enableLltv with new, enabled and too-large LLTVs,
enableIrm, setFeeRecipient, createMarket of a new (collateral, LLTV, IRM) market named ``extra`` that the user
rules then use, and a second createMarket of an existing one), played on real Morpho Blue bytecode and on the
exact twin at the same block times. After every operation the outcome (ok or the same revert string) and every
observable (every market's state, every account's position, every token balance, the owner, the fee
recipient, every isAuthorized pair and every watched LLTV and IRM flag) must agree to the wei.

Amounts are drawn around the boundaries that matter: a fraction (0-120%) of what the account holds, owes or may
borrow, plus or minus a few units, or a raw small number, so reverts (underflow, insufficient collateral or
liquidity, healthy position) are exercised as much as the passing paths.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from protocol_model.chain.morpho_blue import compare, deploy
from protocol_model.exact.presets.morpho_blue.market_params_lib import market_id
from protocol_model.exact.presets.morpho_blue.morpho import ZERO_ADDRESS
from protocol_model.exact.presets.morpho_blue.shares_math_lib import to_assets_up
from protocol_model.scenario.protocol import load_protocol
from protocol_model.world.morpho_blue_world import MorphoOp

PROTOCOL = "morpho_blue_wsteth"
ACCOUNTS = ("alice", "bob", "carol", "dave")
FEE_RECIPIENT = "dave"
STEPS = 50
"""Operations per sequence (hypothesis ``stateful_step_count``)."""
START_BALANCE = {"USDC": 10**6 * 10**6, "WETH": 10**4 * 10**18, "wstETH": 10**4 * 10**18}
"""Every account's starting balance of each token (token units)."""
SEED = (("alice", "supply", "wstETH_USDC", 200_000 * 10**6), ("dave", "supply", "wstETH_USDC", 100_000 * 10**6),
        ("alice", "supply", "wstETH_WETH", 1_000 * 10**18), ("dave", "supply", "wstETH_WETH", 500 * 10**18),
        ("bob", "supply_collateral", "wstETH_USDC", 100 * 10**18), ("bob", "borrow", "wstETH_USDC", 150_000 * 10**6),
        ("bob", "supply_collateral", "wstETH_WETH", 100 * 10**18), ("bob", "borrow", "wstETH_WETH", 90 * 10**18),
        ("carol", "supply_collateral", "wstETH_USDC", 50 * 10**18), ("carol", "borrow", "wstETH_USDC", 120_000 * 10**6),
        ("carol", "supply_collateral", "wstETH_WETH", 20 * 10**18), ("carol", "borrow", "wstETH_WETH", 22 * 10**18))
"""The positions every sequence starts from: two suppliers per market, two borrowers (carol at 93% and 98% of
her borrowing limits), bob having authorized carol."""
WAITS = (1, 1, 12, 600, 3600, 86_400, 30 * 86_400, 91 * 86_400)
EXTRA = "extra"
"""The market the fuzzer may create (loan USDC, the wstETH_USDC oracle; collateral, LLTV and IRM drawn by
``create_market``): until then every op on it reverts with ``market not created``."""
WAD = 10**18

names = st.sampled_from(ACCOUNTS)
others = st.one_of(st.none(), names)
"""The account acted for: None (half the time) is the sender itself."""
spec_markets = st.sampled_from(("wstETH_USDC", "wstETH_WETH"))
markets = st.sampled_from(("wstETH_USDC", "wstETH_WETH", "wstETH_USDC", "wstETH_WETH", EXTRA, EXTRA))
"""A third of the draws name ``extra`` (one in five left it rarely used once created: 37 to 46 supplies into new
markets in 250 sequences, under the test's 50, depending on the draws the rest of the session made)."""
lltvs = st.one_of(st.sampled_from((860_000_000_000_000_000, 945_000_000_000_000_000, 0, WAD - 1, WAD, WAD + 1)),
                  st.integers(1, WAD - 1))
"""An already enabled LLTV (86%, 94.5%), new ones below 1, exactly 1 and above (``max LLTV exceeded``)."""
fractions = st.one_of(st.integers(0, 12_000), st.sampled_from((0, 1, 5_000, 9_999, 10_000, 10_001)))
"""bps of the reference amount (held, owed, borrowable)."""
nudges = st.integers(-3, 3)
waits = st.sampled_from(WAITS)


def fuzz_settings(examples: int, steps: int = STEPS, shrink: bool = True) -> settings:
    """Hypothesis settings: derandomized unless FUZZ_SEED / FUZZ_RANDOM is set."""
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    derandomize=os.environ.get("FUZZ_SEED") is None and not os.environ.get("FUZZ_RANDOM"))


def deploy_fuzz_world(driver: Any, deployer: Any, accounts: list[Any]) -> dict[str, Any]:
    """Deploy the fuzz protocol (both markets), fund every account and snapshot: the base every sequence
    starts from (``make_machine``)."""
    spec = load_protocol(PROTOCOL).morpho
    assert spec is not None
    chain, model, now = deploy(driver, spec, deployer, dict(zip(ACCOUNTS, accounts, strict=False)), FEE_RECIPIENT)
    acct, owner = chain.addresses.accounts, chain.addresses.owner
    ops = [MorphoOp("set_balance", owner, token=chain.addresses.tokens[token], on_behalf=acct[who], value=amount)
           for who in ACCOUNTS for token, amount in START_BALANCE.items()]
    for who, kind, market, amount in SEED:
        ops.append(MorphoOp(kind, acct[who], market, assets=amount, on_behalf=acct[who], receiver=acct[who]))
    ops.append(MorphoOp("set_authorization", acct["bob"], on_behalf=acct["carol"], value=1))
    for op in ops:
        now += 1
        assert chain.apply(op, now) == model.apply(op, now) == "ok", op.describe()
    extra = replace(model.params["wstETH_USDC"], collateral_token=chain.addresses.tokens["WETH"], lltv=WAD // 2)
    chain.add_market(EXTRA, extra)
    model.add_market(EXTRA, extra)
    return {"chain": chain, "model": model, "now": now, "snapshot": driver.snapshot(),
            "chain_names": copy.deepcopy((chain.params, chain.ids, chain.watched))}


def check_transition(model: Any, op: MorphoOp, outcome: str, before: dict[str, tuple[int, ...]]) -> None:
    """The catalogue's step properties (docs/PROPERTIES.md, Morpho Blue), asserted on the model after a step on
    which model and chain agreed: the supply share price never falls except when a liquidation realises bad
    debt; an on-behalf withdraw / borrow / withdrawCollateral by an unauthorized sender reverts (``unauthorized``,
    or an input check the contract makes first, ``market not created`` for the fuzzer's ``extra``); a passing
    borrow or withdrawCollateral leaves the position healthy; a liquidation that takes the last collateral leaves
    no borrow shares."""
    morpho = model.morpho
    pos = morpho.position_of(market_id(model.params[op.market]), op.on_behalf) if op.market in model.params else None
    if op.kind in ("withdraw", "borrow", "withdraw_collateral") and op.sender != op.on_behalf \
            and (op.on_behalf, op.sender) not in morpho.is_authorized:
        assert outcome in ("unauthorized", "inconsistent input", "zero assets", "market not created"), \
            (op.describe(), outcome)
    if outcome != "ok":
        return
    if op.kind in ("borrow", "withdraw_collateral"):
        assert morpho.is_healthy(model.params[op.market], op.on_behalf), op.describe()
    bad_debt = op.kind == "liquidate" and pos is not None and pos.collateral == 0
    if bad_debt:
        assert pos.borrow_shares == 0, op.describe()
    for name, old in before.items():
        new = morpho.market_of(market_id(model.params[name])).as_tuple()
        rises = (new[0] + 1) * (old[1] + 10**6) >= (old[0] + 1) * (new[1] + 10**6)
        assert rises or (bad_debt and name == op.market), (op.describe(), name, old, new)


def reset(base: dict[str, Any]) -> Any:
    """Put ``base``'s chain back at its deployment (snapshot restored and taken again; its market names, ids and
    watched configuration as deployed: a sequence that created or watched more leaves them behind) and return a
    fresh copy of the base model."""
    chain = base["chain"]
    chain.driver.restore(base["snapshot"])
    base["snapshot"] = chain.driver.snapshot()
    chain.params, chain.ids, chain.watched = copy.deepcopy(base["chain_names"])
    return copy.deepcopy(base["model"])


def make_machine(base: dict[str, Any], stats: Any, reached: Counter | None = None) -> type[RuleBasedStateMachine]:
    """A state machine class playing on ``base`` (from ``deploy_fuzz_world``), counting into ``stats``
    (a ``CrosscheckStats``) and, when given, into ``reached`` the passing liquidations (``liquidation``) and
    those that realised bad debt (``bad debt``). Each sequence restores the chain's snapshot and copies the
    base model."""
    chain = base["chain"]
    tally: Counter = Counter() if reached is None else reached
    addresses = chain.addresses

    class MorphoFuzz(RuleBasedStateMachine):
        """Every rule sends one operation to both sides and compares (see the module docstring)."""

        @initialize()
        def start(self) -> None:
            self.model = reset(base)
            self.now = base["now"]
            stats.sequences += 1

        # -------------------------------------------------------------- helpers

        def _send(self, op: MorphoOp, wait: int = 1) -> str:
            self.now += wait
            before = {name: self._market(name).as_tuple() for name in self.model.params}
            got, want = chain.apply(op, self.now), self.model.apply(op, self.now)
            stats.operations += 1
            diffs = compare(chain.observe(), self.model.observe()) if got == want else []
            if got != want or diffs:
                stats.mismatches += 1
                raise AssertionError(f"{op.describe()} at t={self.now}: chain {got}, model {want}; {diffs[:5]}")
            check_transition(self.model, op, got, before)
            tally["extra used"] += op.market == EXTRA and got == "ok" and op.kind in ("supply", "supply_collateral")
            if op.kind == "liquidate" and got == "ok":
                tally["liquidation"] += 1
                tally["bad debt"] += self._market(op.market).as_tuple()[0] < before[op.market][0]
            return got

        def _pos(self, market: str, who: str) -> Any:
            return self.model.morpho.position_of(market_id(self.model.params[market]), addresses.accounts[who])

        def _market(self, market: str) -> Any:
            return self.model.morpho.market_of(market_id(self.model.params[market]))

        def _debt(self, market: str, who: str) -> int:
            m = self._market(market)
            return to_assets_up(self._pos(market, who).borrow_shares, m.total_borrow_assets, m.total_borrow_shares)

        @staticmethod
        def _scaled(reference: int, fraction: int, nudge: int) -> int:
            return max(reference * fraction // 10_000 + nudge, 0)

        def _op(self, kind: str, who: str, market: str, **kw: Any) -> MorphoOp:
            acct = addresses.accounts
            return MorphoOp(kind, acct[who], market, on_behalf=acct[kw.pop("on_behalf", None) or who],
                            receiver=acct[kw.pop("receiver", who)], **kw)

        # -------------------------------------------------------------- rules

        @rule(who=names, market=markets, by_shares=st.booleans(), fraction=fractions, nudge=nudges, wait=waits,
              on_behalf=others)
        def supply(self, who, market, by_shares, fraction, nudge, wait, on_behalf):
            on_behalf = on_behalf or who
            held = self.model.morpho.ledger.balance(self.model.params[market].loan_token, addresses.accounts[who])
            amount = self._scaled(held // 20, fraction, nudge)
            m = self._market(market)
            if by_shares:
                shares = amount * (m.total_supply_shares + 10**6) // (m.total_supply_assets + 1)
                op = self._op("supply", who, market, shares=shares, on_behalf=on_behalf)
            else:
                op = self._op("supply", who, market, assets=amount, on_behalf=on_behalf)
            self._send(op, wait)

        @rule(who=names, market=markets, by_shares=st.booleans(), fraction=fractions, nudge=nudges, wait=waits,
              owner=others, receiver=names)
        def withdraw(self, who, market, by_shares, fraction, nudge, wait, owner, receiver):
            owner = owner or who
            shares = self._scaled(self._pos(market, owner).supply_shares, fraction, nudge)
            m = self._market(market)
            if by_shares:
                op = self._op("withdraw", who, market, shares=shares, on_behalf=owner, receiver=receiver)
            else:
                assets = shares * (m.total_supply_assets + 1) // (m.total_supply_shares + 10**6)
                op = self._op("withdraw", who, market, assets=assets, on_behalf=owner, receiver=receiver)
            self._count_on_behalf(who, owner)
            self._send(op, wait)

        @rule(who=names, market=markets, fraction=fractions, nudge=nudges, wait=waits, on_behalf=others)
        def supply_collateral(self, who, market, fraction, nudge, wait, on_behalf):
            on_behalf = on_behalf or who
            held = self.model.morpho.ledger.balance(self.model.params[market].collateral_token, addresses.accounts[who])
            self._send(self._op("supply_collateral", who, market, assets=self._scaled(held // 50, fraction, nudge),
                                on_behalf=on_behalf), wait)

        @rule(who=names, market=markets, fraction=fractions, nudge=nudges, wait=waits, owner=others, receiver=names)
        def withdraw_collateral(self, who, market, fraction, nudge, wait, owner, receiver):
            owner = owner or who
            assets = self._scaled(self._pos(market, owner).collateral, fraction, nudge)
            self._count_on_behalf(who, owner)
            self._send(self._op("withdraw_collateral", who, market, assets=assets, on_behalf=owner,
                                receiver=receiver), wait)

        @rule(who=names, market=markets, by_shares=st.booleans(), fraction=fractions, nudge=nudges, wait=waits,
              owner=others, receiver=names)
        def borrow(self, who, market, by_shares, fraction, nudge, wait, owner, receiver):
            owner = owner or who
            spec, pos, m = self.model.params[market], self._pos(market, owner), self._market(market)
            price = self.model.morpho.oracles[spec.oracle].price
            room = max(pos.collateral * price // 10**36 * spec.lltv // 10**18 - self._debt(market, owner), 0)
            assets = self._scaled(room, fraction, nudge)
            if by_shares:
                shares = assets * (m.total_borrow_shares + 10**6) // (m.total_borrow_assets + 1)
                op = self._op("borrow", who, market, shares=shares, on_behalf=owner, receiver=receiver)
            else:
                op = self._op("borrow", who, market, assets=assets, on_behalf=owner, receiver=receiver)
            self._count_on_behalf(who, owner)
            self._send(op, wait)

        @rule(who=names, market=markets, by_shares=st.booleans(), fraction=fractions, nudge=nudges, wait=waits,
              on_behalf=others)
        def repay(self, who, market, by_shares, fraction, nudge, wait, on_behalf):
            on_behalf = on_behalf or who
            if by_shares:
                shares = self._scaled(self._pos(market, on_behalf).borrow_shares, fraction, nudge)
                op = self._op("repay", who, market, shares=shares, on_behalf=on_behalf)
            else:
                op = self._op("repay", who, market, assets=self._scaled(self._debt(market, on_behalf), fraction, nudge),
                              on_behalf=on_behalf)
            self._send(op, wait)

        @rule(who=names, market=markets, borrower=names, by_shares=st.booleans(), fraction=fractions, nudge=nudges,
              wait=waits)
        def liquidate(self, who, market, borrower, by_shares, fraction, nudge, wait):
            pos = self._pos(market, borrower)
            if by_shares:
                op = self._op("liquidate", who, market, shares=self._scaled(pos.borrow_shares, fraction, nudge),
                              on_behalf=borrower)
            else:
                op = self._op("liquidate", who, market, assets=self._scaled(pos.collateral, fraction, nudge),
                              on_behalf=borrower)
            self._send(op, wait)

        @rule(who=names, market=spec_markets, borrower=names, wait=waits,
              move_bps=st.sampled_from((10_000, 9_000, 8_000, 7_000, 5_000, 3_000)))
        def crash_and_seize_all(self, who, market, borrower, wait, move_bps):
            """The price moves to ``move_bps`` of the file's, then ``who`` seizes all of the borrower's collateral:
            the last collateral taken realises bad debt when it no longer covers the debt with the incentive;
            otherwise the repaid shares exceed the borrow shares (``Panic(0x11)``) or the position is healthy.
            Random fractions almost never hit the whole collateral, so without this rule the fuzzer realised
            no bad debt at all."""
            price = self.model.spec.market_price(market) * move_bps // 10_000
            self._send(MorphoOp("set_price", addresses.owner, market, value=price), wait)
            self._send(self._op("liquidate", who, market, assets=self._pos(market, borrower).collateral,
                                on_behalf=borrower))

        @rule(market=spec_markets, move_bps=st.one_of(st.integers(8_500, 10_500), st.integers(2_000, 15_000)),
              wait=waits)
        def set_price(self, market, move_bps, wait):
            base_price = self.model.spec.market_price(market)
            self._send(MorphoOp("set_price", addresses.owner, market, value=base_price * move_bps // 10_000), wait)

        @rule(who=names, authorized=names, value=st.booleans())
        def set_authorization(self, who, authorized, value):
            acct = addresses.accounts
            self._send(MorphoOp("set_authorization", acct[who], on_behalf=acct[authorized], value=int(value)))

        @rule(who=names, market=markets, wait=waits)
        def accrue_interest(self, who, market, wait):
            self._send(self._op("accrue_interest", who, market), wait)

        @rule(market=markets, fee_bps=st.sampled_from((0, 500, 1_000, 2_500, 2_501)), by_owner=st.booleans())
        def set_fee(self, market, fee_bps, by_owner):
            sender = addresses.owner if by_owner else addresses.accounts["alice"]
            self._send(MorphoOp("set_fee", sender, market, value=fee_bps * 10**14))

        @rule(lltv=lltvs, by_owner=st.booleans())
        def enable_lltv(self, lltv, by_owner):
            sender = addresses.owner if by_owner else addresses.accounts["bob"]
            self._send(MorphoOp("enable_lltv", sender, value=lltv))

        @rule(zero=st.booleans(), by_owner=st.booleans())
        def enable_irm(self, zero, by_owner):
            """The zero-address IRM (new, then ``already set``) or the IrmMock (``already set``)."""
            sender = addresses.owner if by_owner else addresses.accounts["carol"]
            self._send(MorphoOp("enable_irm", sender, on_behalf=ZERO_ADDRESS if zero else addresses.irm))

        @rule(who=names, collateral=st.sampled_from(("WETH", "wstETH")), pick=st.integers(0, 2**16),
              zero_irm=st.booleans())
        def create_market(self, who, collateral, pick, zero_irm):
            """While ``extra`` is not created, rename it to a new market (the collateral, one of the watched
            LLTVs, enabled or not, and the IrmMock or the zero-address IRM) and create it, unless those are a
            deployed market's; afterwards create it again (``market already created``)."""
            if self._market(EXTRA).last_update == 0:
                watched = self.model.watched.lltvs
                params = replace(self.model.params[EXTRA], collateral_token=addresses.tokens[collateral],
                                 lltv=watched[pick % len(watched)], irm=ZERO_ADDRESS if zero_irm else addresses.irm)
                same = [n for n, p in self.model.params.items() if p == params and n != EXTRA]
                if same:  # the deployed market itself: ``market already created``
                    self._send(self._op("create_market", who, same[0]))
                    return
                chain.add_market(EXTRA, params)
                self.model.add_market(EXTRA, params)
            if self._send(self._op("create_market", who, EXTRA)) == "ok":
                tally["created"] += 1

        @rule(who=names, collateral=st.sampled_from(("WETH", "wstETH")), pick=st.integers(0, 2**16),
              zero_irm=st.booleans(), loan=st.booleans(), fraction=fractions, nudge=nudges, wait=waits)
        def use_new_market(self, who, collateral, pick, zero_irm, loan, fraction, nudge, wait):
            """Create ``extra`` as ``create_market`` does if this sequence has not yet, then supply loan assets or
            collateral to it: new markets carry positions in every run, whatever else the session drew."""
            if self._market(EXTRA).last_update == 0:
                self.create_market(who, collateral, pick, zero_irm)
            if loan:
                self.supply(who, EXTRA, False, fraction, nudge, wait, None)
            else:
                self.supply_collateral(who, EXTRA, fraction, nudge, wait, None)

        @rule(who=names, by_owner=st.booleans())
        def set_fee_recipient(self, who, by_owner):
            sender = addresses.owner if by_owner else addresses.accounts[who]
            self._send(MorphoOp("set_fee_recipient", sender, on_behalf=addresses.accounts[who]))

        @rule(who=names, market=markets)
        def create_market_again(self, who, market):
            self._send(self._op("create_market", who, market))

        def _count_on_behalf(self, who: str, owner: str) -> None:
            if who == owner:
                return
            authorized = (addresses.accounts[owner], addresses.accounts[who]) in self.model.morpho.is_authorized
            if authorized:
                stats.on_behalf_authorized += 1
            else:
                stats.on_behalf_unauthorized += 1

        @invariant()
        def solvent(self) -> None:
            """Morpho holds at least the supplied minus borrowed loan assets of every market (the contract's
            accounting invariant), checked on the model (which equals the chain)."""
            if not hasattr(self, "model"):
                return
            held: dict[str, int] = {}
            for name, params in self.model.params.items():
                m = self._market(name)
                assert m.total_borrow_assets <= m.total_supply_assets, name
                held[params.loan_token] = held.get(params.loan_token, 0) + m.total_supply_assets - m.total_borrow_assets
            for token, need in held.items():
                assert self.model.morpho.ledger.balance(token, addresses.morpho) >= need, token

    return MorphoFuzz
