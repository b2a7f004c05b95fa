"""Stateful differential fuzzing of the margin engine: random sequences on chain (PerpEngine) and in the
exact model, every readable field compared to the wei after every step, plus the engine's invariants.

The main slice runs on the in-process chain (INPROCESS_PERP_EXAMPLES sequences, default 400); a small slice
(PERP_FUZZ_EXAMPLES, default 10; `make fuzz` runs 500) on the session's chain (anvil under ``make test``).
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from protocol_model.chain.inprocess_world import deploy_perp_in_process
from protocol_model.chain.perp_adapter import PerpChainWorld
from protocol_model.exact.math_lib import WAD
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.perp_engine import ENGINE
from protocol_model.scenario.perp_fuzz import FUZZ_ACCOUNTS, perp_fuzz_scenario
from protocol_model.world.perp_world import PerpAction, PerpModelWorld
from tests.crosscheck.conftest import CrosscheckStats
from tests.crosscheck.fuzzing import begin_sequence, machine_settings, timed

EXAMPLES = int(os.environ.get("PERP_FUZZ_EXAMPLES", "10"))
"""Sequences on anvil (the small slice that keeps the JSON-RPC path honest)."""
INPROCESS_EXAMPLES = int(os.environ.get("INPROCESS_PERP_EXAMPLES", "300"))
"""Sequences on the in-process chain (the main slice)."""
SUITE = "in-process perp fuzz"
STEPS = int(os.environ.get("FUZZ_STEPS", "25"))
MARKETS = [0, 1]
BASE_ANSWER = {0: 2_000 * 10**8, 1: 50_000 * 10**8}
STARTING_DEPOSIT = 20_000 * 10**6

accounts_st = st.sampled_from(FUZZ_ACCOUNTS)
markets_st = st.sampled_from(MARKETS)


@pytest.fixture(scope="module")
def perp_fuzz_world(project, admin, signers, fuzz_driver):
    """The perp fuzz world on the session's chain (anvil), funded, with its model twin."""
    scenario = perp_fuzz_scenario()
    return funded(PerpChainWorld.deploy(scenario, project, admin, signers, fuzz_driver), scenario)


@pytest.fixture(scope="module")
def perp_fuzz_world_in_process():
    """The same world on the in-process chain (revm), from the same bytecode."""
    scenario = perp_fuzz_scenario()
    return funded(deploy_perp_in_process(scenario), scenario)


def funded(world: PerpChainWorld, scenario) -> tuple[PerpChainWorld, PerpModelWorld]:
    """``world`` and its model twin after every fuzz account deposited STARTING_DEPOSIT (both agree)."""
    model = PerpModelWorld(scenario, world.listed_at)
    now = world.now()
    for account in FUZZ_ACCOUNTS:  # every sequence starts with funded cross balances
        now += 1
        action = PerpAction("deposit", account, amount=STARTING_DEPOSIT)
        assert model.apply(action, now) == world.apply(action, now) == "ok"
    assert not model.snapshot().diff(world.snapshot())
    return world, model


def make_machine(world, base_model, stats):
    class PerpMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            begin_sequence(self, world, base_model, stats)

        def teardown(self):
            world.driver.restore(self.snap_id)

        def do(self, action: PerpAction) -> str:
            self.now += action.seconds if action.kind == "warp" else 1
            before = copy.deepcopy(self.model.engine)
            model_out = self.model.apply(action, self.now)
            chain_out = world.apply(action, self.now)
            stats.operations += 1
            if os.environ.get("PERP_FUZZ_OUTCOMES"):
                print("OUTCOME", action.kind, model_out)
            diff = self.model.snapshot().diff(world.snapshot())
            if model_out != chain_out or diff:
                stats.mismatches += 1
            assert model_out == chain_out, f"{action.describe()}: model {model_out}, chain {chain_out}"
            assert not diff, f"{action.describe()}: {diff[:6]}"
            if action.kind == "liquidate" and model_out == "ok":
                p = before.position(action.target, action.market)
                mg = before.margin(action.target, p.isolated, action.market, self.now)
                assert mg.equity_wad < mg.maintenance_wad, "an account at or above maintenance was liquidated"
            if model_out == "InvalidPrice":
                broken = [i for i in MARKETS if self.index_of(before, i) is None]
                assert set(reads(before, action)) & set(broken), (
                    f"{action.describe()}: InvalidPrice though it reads only {reads(before, action)}, "
                    f"broken {broken}")
            return model_out

        @staticmethod
        def index_of(e, market: int) -> int | None:
            try:
                return e.index_price(e.markets[market].index_asset)
            except errors.PoolError:
                return None

        def index(self, market: int) -> int:
            price = self.index_of(self.model.engine, market)
            return BASE_ANSWER[market] * 10**10 if price is None else price

        @rule(account=accounts_st, amount=st.one_of(st.integers(1, 50_000), st.integers(1, 20)))
        def deposit(self, account, amount):
            self.do(PerpAction("deposit", account, amount=amount * 10**6 + 7))

        @rule(account=accounts_st, amount=st.integers(1, 5_000))
        def fund_insurance(self, account, amount):
            self.do(PerpAction("fund_insurance", account, amount=amount * 10**6))

        @rule(account=accounts_st, percent=st.integers(1, 110))
        def withdraw(self, account, percent):
            bal = self.model.engine.cross_balance_wad.get(account, 0)
            self.do(PerpAction("withdraw", account, amount=max(bal * percent // 100 // 10**12, 1)))

        @rule(account=accounts_st, market=markets_st, isolated=st.booleans())
        def margin_mode(self, account, market, isolated):
            self.do(PerpAction("margin_mode", account, market, isolated=isolated))

        @rule(account=accounts_st, market=markets_st, percent=st.integers(1, 110), back=st.booleans())
        def transfer_margin(self, account, market, percent, back):
            e = self.model.engine
            source = e.isolated(account, market) if back else e.cross_balance_wad.get(account, 0)
            amount = max(source * percent // 100, 1)
            self.do(PerpAction("transfer_margin", account, market, amount=-amount if back else amount))

        def headroom_wad(self, account, market):
            """Equity above initial margin in the bucket a trade in `market` would use (0 if unreadable)."""
            e = self.model.engine
            try:
                mg = e.margin(account, e.position(account, market).isolated, market, self.now)
            except errors.PoolError:
                return 0
            return max(mg.equity_wad - mg.initial_wad, 0)

        @rule(market=markets_st, buyer=accounts_st, seller=accounts_st, percent=st.integers(1, 120),
              dust=st.integers(0, 10**6), offset_bps=st.one_of(st.integers(-250, 250), st.just(0)))
        def trade(self, market, buyer, seller, percent, dust, offset_bps):
            """Size: percent of what the tighter side's headroom supports at initial margin."""
            index = self.index(market)
            room = min(self.headroom_wad(buyer, market), self.headroom_wad(seller, market))
            notional_wad = room * 10_000 // self.model.engine.markets[market].params.initial_margin_bps
            size = max(notional_wad * percent // 100, 10**15) * WAD // index + dust
            price = max(index + index * offset_bps // 10_000 + dust, 1)
            self.do(PerpAction("trade", market=market, buyer=buyer, seller=seller, size_wad=size, price_wad=price))

        @rule(market=markets_st, buyer=accounts_st, seller=accounts_st, liquidator=accounts_st,
              percent=st.integers(80, 100), drop_pct=st.integers(3, 25), buyer_loses=st.booleans())
        def leveraged_trade_then_crash(self, market, buyer, seller, liquidator, percent, drop_pct, buyer_loses):
            """A near-maximum trade, a move against one side, then a liquidation attempt on that side."""
            self.trade(market, buyer, seller, percent, 0, 0)
            e = self.model.engine
            answer = e.feeds[e.markets[market].index_asset].answer
            base = answer if answer > 0 else BASE_ANSWER[market]
            factor = 100 - drop_pct if buyer_loses else 100 + drop_pct
            self.do(PerpAction("price", asset=e.markets[market].index_asset, answer=max(base * factor // 100, 1)))
            self.do(PerpAction("liquidate", liquidator, market, target=buyer if buyer_loses else seller))

        @rule(liquidator=accounts_st, victim=accounts_st, market=markets_st)
        def liquidate(self, liquidator, victim, market):
            self.do(PerpAction("liquidate", liquidator, market, target=victim))

        @rule(market=markets_st, factor_pct=st.one_of(st.integers(60, 140), st.integers(90, 110)))
        def move_price(self, market, factor_pct):
            e = self.model.engine
            asset = e.markets[market].index_asset
            answer = e.feeds[asset].answer
            base = answer if answer > 0 else BASE_ANSWER[market]
            self.do(PerpAction("price", asset=asset, answer=max(base * factor_pct // 100, 1)))

        @rule(market=markets_st, answer=st.sampled_from([0, -1]))
        def oracle_failure(self, market, answer):
            self.do(PerpAction("price", asset=self.model.engine.markets[market].index_asset, answer=answer))

        @rule(seconds=st.one_of(st.integers(1, 3600), st.integers(3600, 30 * 86_400)))
        def warp(self, seconds):
            self.do(PerpAction("warp", seconds=seconds))

        @invariant()
        def open_interest_balances(self):
            if not hasattr(self, "model"):
                return
            e = self.model.engine
            for i, m in enumerate(e.markets):
                sizes = [e.position(a, i).size_wad for a in FUZZ_ACCOUNTS]
                assert sum(sizes) == 0, f"market {i}: sizes do not net to zero"
                assert m.long_oi_wad == m.short_oi_wad == sum(s for s in sizes if s > 0)
            assert e.insurance_fund_wad >= 0

        @invariant()
        def engine_holds_what_it_owes(self):
            """Σ bucket equity + insurance ≤ tokens held + unsocialised loss (+1 wei per position of
            flooring slack), whenever every index price is valid."""
            if not hasattr(self, "model"):
                return
            e = self.model.engine
            now = self.model.view_time
            try:
                owed = e.insurance_fund_wad + sum(
                    e.margin(a, False, 0, now).equity_wad + sum(e.margin(a, True, i, now).equity_wad for i in MARKETS)
                    for a in FUZZ_ACCOUNTS)
            except errors.PoolError:
                return
            slack = sum(1 for a in FUZZ_ACCOUNTS for i in MARKETS if e.position(a, i).size_wad)
            held = e.ledger.balance(e.collateral, ENGINE) * e.unit_scale
            assert owed <= held + e.unsocialized_loss_wad + slack, f"owes {owed}, holds {held}"

        @invariant()
        def views_include_pending_funding(self):
            """Every margin view equals the same view after its markets' funding is accrued (nothing pending is
            left out), and funding never runs on a stale mark (issue 14, item 11)."""
            if not hasattr(self, "model"):
                return
            e, now = self.model.engine, self.model.view_time
            accrued = copy.deepcopy(e)
            for i in MARKETS:
                try:
                    accrued._accrue(i, now)
                except errors.PoolError:
                    continue
                m = e.markets[i]
                if m.last_funding_time >= m.mark_time + m.params.mark_max_age_seconds:
                    assert accrued.markets[i].cum_long_wad == m.cum_long_wad, f"market {i}: funding on a stale mark"
            for a in FUZZ_ACCOUNTS:
                for iso, i in [(False, 0)] + [(True, j) for j in MARKETS]:
                    try:
                        view = e.margin(a, iso, i, now)
                    except errors.PoolError:
                        continue
                    assert view == accrued.margin(a, iso, i, now), f"{a} {iso} {i}: view misses pending funding"

    return PerpMachine


def reads(e, action: PerpAction) -> list[int]:
    """The markets whose index price ``action`` may read (issue 14, item 10): the market it trades or liquidates
    and the markets of each bucket whose margin it checks, as the engine was before the call."""
    def bucket(account: str, iso: bool, market: int) -> list[int]:
        if iso:
            return [market]
        return [j for j in MARKETS if e.position(account, j).size_wad != 0 and not e.position(account, j).isolated]

    def mode(account: str) -> bool:
        return e.position(account, action.market).isolated

    if action.kind == "withdraw":
        return bucket(action.account, False, 0)
    if action.kind == "transfer_margin":
        return bucket(action.account, action.amount < 0, action.market)
    if action.kind == "trade":
        return [action.market] + bucket(action.buyer, mode(action.buyer), action.market) + bucket(
            action.seller, mode(action.seller), action.market)
    if action.kind == "liquidate":
        return [action.market] + bucket(action.target, mode(action.target), action.market) + bucket(
            action.account, mode(action.account), action.market)
    return []


def fuzz_settings(examples: int, shrink: bool = True) -> settings:
    """Hypothesis settings of the perp fuzzer: ``examples`` sequences of STEPS rules."""
    return machine_settings(examples, STEPS, shrink)


def test_perp_model_and_chain_agree(perp_fuzz_world, crosscheck_stats):
    world, base_model = perp_fuzz_world
    run_state_machine_as_test(make_machine(world, base_model, crosscheck_stats), settings=fuzz_settings(EXAMPLES))
    assert crosscheck_stats.mismatches == 0


def test_perp_model_and_in_process_chain_agree(perp_fuzz_world_in_process, crosscheck_suite, capsys):
    """The main slice, on the in-process chain: INPROCESS_PERP_EXAMPLES sequences."""
    world, base_model = perp_fuzz_world_in_process
    stats = crosscheck_suite(SUITE)
    with timed(SUITE, stats, capsys):
        run_state_machine_as_test(make_machine(world, base_model, stats), settings=fuzz_settings(INPROCESS_EXAMPLES))
    assert stats.mismatches == 0
    assert stats.sequences >= INPROCESS_EXAMPLES
    assert stats.operations >= STEPS * stats.sequences // 2, stats


@pytest.mark.parametrize("target", ["protocol_model.exact.perp.perp_engine.ceil_div",
                                    "protocol_model.exact.perp.perp_engine.floor_div"])
def test_perp_fuzzer_catches_a_flipped_rounding(perp_fuzz_world_in_process, monkeypatch, target):
    """A model with one signed rounding flipped (ceil <-> floor) must be caught as a mismatch: a fixed
    sequence through the fuzzer's own rules (funded trades, a price move, funding over a day, a crash and a
    liquidation), where every signed division of the engine runs on inexact quotients."""
    from protocol_model.exact.perp import perp_math as signed

    flipped = signed.floor_div if target.endswith("ceil_div") else signed.ceil_div
    monkeypatch.setattr(target, flipped)
    world, base_model = perp_fuzz_world_in_process
    stats = CrosscheckStats()
    machine = make_machine(world, base_model, stats)()
    machine.start()
    try:
        with pytest.raises(AssertionError):
            machine.trade(0, "alice", "bob", 50, 123_457, 37)
            machine.trade(1, "carol", "dave", 70, 999, -113)
            machine.move_price(0, 93)
            machine.warp(86_400 + 13)
            machine.trade(0, "bob", "alice", 20, 7, 11)
            machine.leveraged_trade_then_crash(1, "erin", "carol", "bob", 95, 17, True)
            machine.withdraw("alice", 37)
    finally:
        machine.teardown()
    assert stats.mismatches >= 1
