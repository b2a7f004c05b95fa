"""The Aave V3 differential fuzzer: a hypothesis state machine driving the real Aave V3 bytecode (on an
in-process chain or anvil) and the exact twin with the same random actions (supplies, on-behalf supplies and
repays, withdrawals, borrows sized from the account's headroom, repays, liquidations with and without
receiveAToken, collateral switches, eMode changes, price moves and time passing). After every operation the
outcome (ok or the same error code) and every observable of ``AaveV3Lens.snapshot`` must agree to the wei,
and the applicable catalogue properties hold on the model: indexes never fall, only an account with HF < 1
is liquidated, a passing borrow or withdraw leaves HF ≥ 1, and a liquidation never writes debt off."""

from __future__ import annotations

import copy
import os
from collections import Counter

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from protocol_model.chain.aave_v3.replay import AaveChainWorld
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.exact.errors import PoolError
from protocol_model.scenario.protocol import load_protocol
from protocol_model.world.aave_v3 import MAX, OK, AaveAction

USERS = ["alice", "bob", "carol", "dave", "erin"]
ASSETS = ["USDC", "DAI", "WETH", "WBTC", "ISO"]
WAD = 10**18
PRICE_FACTORS_PERMILLE = [0, 500, 800, 900, 950, 970, 990, 1010, 1030, 1100, 1300]
"""A price move multiplies the answer by factor / 1000 (0: the aggregator answers 0 and AaveOracle falls
back to the unset fallback oracle, which reverts)."""


def fuzz_market():
    """The fuzzed market: protocols/aave_v3_market.yaml."""
    return load_protocol("aave_v3_market").aave_v3.params()  # type: ignore[union-attr]


def starting_balances(market) -> dict[str, dict[str, int]]:
    """Every user holds 10 million whole tokens of each reserve (WBTC: 1,000)."""
    return {u: {r.symbol: (1_000 if r.symbol == "WBTC" else 10_000_000) * 10**r.decimals for r in market.reserves}
            for u in USERS}


def deploy_in_process() -> AaveChainWorld:
    """The fuzzed market deployed on a fresh in-process chain with its twin."""
    chain = InProcessChain()
    market = fuzz_market()
    return AaveChainWorld.deploy(chain, market, chain.accounts, USERS, starting_balances(market))


def fuzz_settings(examples: int, steps: int, shrink: bool = True) -> settings:
    """Settings of a fuzz run: derandomized unless FUZZ_SEED / FUZZ_RANDOM is set; without ``shrink`` the
    first failure is reported as found."""
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=shrink,
                    phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    derandomize=os.environ.get("FUZZ_SEED") is None and not os.environ.get("FUZZ_RANDOM"))


def make_machine(world: AaveChainWorld, stats, outcomes: Counter | None = None):
    """The state machine class over ``world`` (its chain restored after each sequence), counting into
    ``stats`` (a ``CrosscheckStats``) and, when given, ``outcomes`` ((op, outcome) -> count)."""
    tally: Counter = Counter() if outcomes is None else outcomes
    base_model = copy.deepcopy(world.model)
    decimals = {r.symbol: r.decimals for r in world.market.params.reserves}
    users, assets = st.sampled_from(USERS), st.sampled_from(ASSETS)

    def amount_strategy():
        return st.one_of(st.integers(0, 1_000), st.integers(1, 10**6), st.floats(0, 1).map(lambda f: f))

    class AaveMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snap_id = world.driver.snapshot()
            world.model = copy.deepcopy(base_model)
            self.now = world.driver.now()
            stats.sequences += 1

        def teardown(self):
            world.driver.restore(self.snap_id)
            world.model = copy.deepcopy(base_model)  # the world is left as deployed, on both twins

        def do(self, action: AaveAction, seconds: int = 12) -> str:
            model = world.model
            self.now += seconds
            before = {a: (model.reserves[a].liquidity_index, model.reserves[a].variable_borrow_index)
                      for a in ASSETS}
            hf_before = self.health_factor(action.other) if action.op == "liquidate" else 0
            config = model.user_config(action.account) if action.account else None
            guarded = config is not None and action.op == "withdraw" and bool(config.borrowing) and \
                model.reserves[action.asset].id in config.collateral
            debt_before = model.variable_debt_balance(action.asset2, action.other) if action.op == "liquidate" else 0
            result = world.step(stats.operations, action, self.now)
            stats.operations += 1
            tally[(action.op, result.chain)] += 1
            if not result.agrees:
                stats.mismatches += 1
            assert result.model == result.chain, f"{action.describe()}: model {result.model}, chain {result.chain}"
            assert not result.mismatches, f"{action.describe()}: {result.mismatches[:6]}"
            for a in ASSETS:
                r = model.reserves[a]
                assert (r.liquidity_index, r.variable_borrow_index) >= before[a], f"{a}: an index fell"
            if result.model == OK and (action.op == "borrow" or (action.op == "withdraw" and guarded)):
                hf = self.health_factor(action.account)
                assert hf is not None and hf >= WAD, "HF < 1 after a borrow or a collateral withdrawal"
            if result.model == OK and action.op == "liquidate":
                assert hf_before is not None and hf_before < WAD, "a healthy account was liquidated"
                repaid = debt_before - model.variable_debt_balance(action.asset2, action.other)
                assert repaid <= debt_before and model.variable_debt_balance(action.asset2, action.other) >= 0
            return result.model

        def health_factor(self, user: str) -> int | None:
            """The model's HF of ``user`` at the next step's time (None when a price is unreadable)."""
            try:
                return world.model.at(self.now).get_user_account_data(user).health_factor
            except PoolError:
                return None

        def token_amount(self, asset: str, pick) -> int:
            if isinstance(pick, float):
                return int(pick * 100_000 * 10 ** decimals[asset]) // (20 if asset == "WBTC" else 1)
            return pick

        @rule(user=users, asset=assets, pick=amount_strategy(), other=st.one_of(st.just(""), users))
        def supply(self, user, asset, pick, other):
            self.do(AaveAction("supply", user, asset, self.token_amount(asset, pick), other))

        @rule(user=users, asset=assets, pick=st.one_of(st.just(MAX), amount_strategy()))
        def withdraw(self, user, asset, pick):
            self.do(AaveAction("withdraw", user, asset, pick if pick == MAX else self.token_amount(asset, pick)))

        @rule(user=users, asset=assets, share=st.integers(1, 1_050))
        def borrow_headroom(self, user, asset, share):
            """Borrow ``share`` ‰ of the account's available borrows (a bit above it sometimes)."""
            model = world.model.at(self.now + 12)
            try:
                available = model.get_user_account_data(user).available_borrows_base
            except PoolError:
                available = 0
            price = max(model.prices[asset], 1)
            amount = available * share // 1_000 * 10 ** decimals[asset] // price
            self.do(AaveAction("borrow", user, asset, max(amount, 1)))

        @rule(lender=users, user=users, collateral=assets, debt=assets, size=st.integers(1, 200_000),
              share=st.integers(850, 1_000), crash=st.sampled_from([1_000, 990, 960, 930, 900, 700, 400]))
        def leveraged_position(self, lender, user, collateral, debt, size, share, crash):
            """A lender supplies the debt asset, the user supplies ``size`` USD of collateral and borrows
            ``share`` ‰ of the headroom, then the collateral's price moves to ``crash`` ‰: positions around
            and beyond the liquidation line (HF 1, the 0.95 close-factor line, bad debt)."""
            model = world.model
            unit_price = lambda a: max(model.prices[a], 1)  # noqa: E731 - local shorthand
            debt_units = size * 2 * 10**8 * 10 ** decimals[debt] // unit_price(debt)
            self.do(AaveAction("supply", lender, debt, max(debt_units, 1)))
            collateral_units = size * 10**8 * 10 ** decimals[collateral] // unit_price(collateral)
            self.do(AaveAction("supply", user, collateral, max(collateral_units, 1)))
            if collateral == "ISO":
                self.do(AaveAction("collateral", user, collateral, flag=True))
            self.borrow_headroom(user, debt, share)
            if crash != 1_000 and model.prices[collateral] > 0:
                self.do(AaveAction("price", asset=collateral, number=max(model.prices[collateral] * crash // 1_000, 1)))

        @rule(lender=users, user=users, size=st.integers(1, 200_000), share=st.integers(900, 1_000),
              rise=st.sampled_from([1_000, 1_010, 1_030, 1_060, 1_100]), liquidator=users, receive=st.booleans())
        def emode_liquidation(self, lender, user, size, share, rise, liquidator, receive):
            """A stablecoin eMode position (category 1: ``size`` USD of USDC, DAI borrowed up to ``share`` ‰ of the
            headroom at the category's 93% LTV); DAI's price moves to ``rise`` ‰ and the position is liquidated
            for everything allowed: the category's threshold and 1% bonus apply, not the reserves'. Without this
            rule no eMode liquidation passed in the default run."""
            model = world.model
            self.do(AaveAction("supply", lender, "DAI", max(size * 2 * 10**8 * WAD // max(model.prices["DAI"], 1), 1)))
            self.do(AaveAction("emode", user, number=1))
            self.do(AaveAction("supply", user, "USDC", max(size * 10**8 * 10**6 // max(model.prices["USDC"], 1), 1)))
            self.borrow_headroom(user, "DAI", share)
            if rise != 1_000 and model.prices["DAI"] > 0:
                self.do(AaveAction("price", asset="DAI", number=model.prices["DAI"] * rise // 1_000))
            in_emode = model.users_emode.get(user, 0) == 1
            outcome = self.do(AaveAction("liquidate", liquidator, "USDC", MAX, user, "DAI", receive))
            if in_emode:
                tally[("liquidate in eMode", outcome)] += 1

        @rule(lender=users, user=users, debt=st.sampled_from(["USDC", "DAI"]), size=st.integers(50_000, 400_000),
              share=st.integers(900, 1_050))
        def isolated_position(self, lender, user, debt, size, share):
            """``size`` USD of the isolated collateral (ISO: debt ceiling 100,000 USD, LTV 50%) switched on, and a
            borrow of ``share`` ‰ of its headroom: the ceiling binds above about 200,000 USD of ISO (53)."""
            model = world.model
            self.do(AaveAction("supply", lender, debt, size * 2 * 10**8 * 10 ** decimals[debt]
                               // max(model.prices[debt], 1)))
            self.do(AaveAction("supply", user, "ISO", size * 10**8 * WAD // max(model.prices["ISO"], 1)))
            self.do(AaveAction("collateral", user, "ISO", flag=True))
            self.borrow_headroom(user, debt, share)

        @rule(user=users, asset=assets, pick=st.sampled_from([MAX, 1, 2, 3, 10, 1_000]))
        def withdraw_own(self, user, asset, pick):
            """Withdraw all (``max``) or 1/``pick`` of the user's aToken balance."""
            balance = world.model.at(self.now + 12).a_token_balance(asset, user)
            self.do(AaveAction("withdraw", user, asset, MAX if pick == MAX else max(balance // pick, 1)))

        @rule(liquidator=users, receive=st.booleans(), pick=st.sampled_from([MAX, 1, 10, 3, 2]))
        def liquidate_unhealthy(self, liquidator, receive, pick):
            """Liquidate an account the model says has HF < 1 (if any), on one of its collaterals and debts:
            everything (``max``) or 1/``pick`` of the debt."""
            model = world.model
            for borrower in USERS:
                hf = self.health_factor(borrower)
                config = model.user_config(borrower)
                if hf is None or hf >= WAD or not config.borrowing or not config.collateral:
                    continue
                collateral = model.reserves_list[min(config.collateral)]
                debt = model.reserves_list[max(config.borrowing)]
                owed = model.variable_debt_balance(debt, borrower)
                amount = MAX if pick == MAX else max(owed // pick, 1)
                self.do(AaveAction("liquidate", liquidator, collateral, amount, borrower, debt, receive))
                return

        @rule(liquidator=users, receive=st.booleans(), drop=st.sampled_from([960, 900, 800, 600, 300]))
        def crash_and_liquidate(self, liquidator, receive, drop):
            """The first borrower found has its first collateral's price cut to ``drop`` ‰, then is liquidated
            for everything allowed (the close factor decides how much)."""
            model = world.model
            for borrower in USERS:
                config = model.user_config(borrower)
                if config.borrowing and config.collateral:
                    collateral = model.reserves_list[min(config.collateral)]
                    debt = model.reserves_list[min(config.borrowing)]
                    if model.prices[collateral] > 0:
                        new = max(model.prices[collateral] * drop // 1_000, 1)
                        self.do(AaveAction("price", asset=collateral, number=new))
                    self.do(AaveAction("liquidate", liquidator, collateral, MAX, borrower, debt, receive))
                    return

        @rule(user=users, pick=st.sampled_from([MAX, 1, 2, 4, 10]), helper=st.one_of(st.just(""), users))
        def repay_own(self, user, pick, helper):
            """Repay one of the user's debts (all of it, or 1/``pick``), by itself or by a helper on its
            behalf."""
            config = world.model.user_config(user)
            if not config.borrowing:
                return
            debt = world.model.reserves_list[min(config.borrowing)]
            owed = world.model.at(self.now + 12).variable_debt_balance(debt, user)
            amount = pick if pick == MAX and not helper else max(owed // (1 if pick == MAX else pick), 1)
            self.do(AaveAction("repay", helper or user, debt, amount, user))

        @rule(user=users, asset=assets, pick=amount_strategy())
        def borrow(self, user, asset, pick):
            self.do(AaveAction("borrow", user, asset, self.token_amount(asset, pick)))

        @rule(user=users, asset=assets, pick=st.one_of(st.just(MAX), amount_strategy()),
              other=st.one_of(st.just(""), users))
        def repay(self, user, asset, pick, other):
            self.do(AaveAction("repay", user, asset, pick if pick == MAX else self.token_amount(asset, pick), other))

        @rule(liquidator=users, borrower=users, collateral=assets, debt=assets,
              pick=st.one_of(st.just(MAX), amount_strategy()), receive=st.booleans())
        def liquidate(self, liquidator, borrower, collateral, debt, pick, receive):
            amount = pick if pick == MAX else self.token_amount(debt, pick)
            self.do(AaveAction("liquidate", liquidator, collateral, amount, borrower, debt, receive))

        @rule(user=users, asset=assets, on=st.booleans())
        def collateral(self, user, asset, on):
            self.do(AaveAction("collateral", user, asset, flag=on))

        @rule(user=users, category=st.sampled_from([0, 0, 1, 2]))
        def emode(self, user, category):
            self.do(AaveAction("emode", user, number=category))

        @rule(asset=assets, factor=st.sampled_from(PRICE_FACTORS_PERMILLE))
        def price(self, asset, factor):
            current = world.model.prices[asset]
            base = world.market.params.reserve(asset).price
            new = base if current <= 0 else current * factor // 1_000
            self.do(AaveAction("price", asset=asset, number=new))

        @rule(seconds=st.sampled_from([60, 3_600, 86_400, 30 * 86_400, 182 * 86_400]))
        def warp(self, seconds):
            """Time passes: an empty block, then every observable (the normalized income and debt views)."""
            self.now += seconds
            world.driver.mine(self.now)
            stats.operations += 1
            mismatches = world.compare()
            if mismatches:
                stats.mismatches += 1
            assert not mismatches, f"warp {seconds}: {mismatches[:6]}"

    return AaveMachine
