"""Stateful differential fuzzing: random operation sequences on chain and in the exact model.

The model predicts each call's success or exact revert reason; after every step every observable field
is compared to the wei, and the pool invariants are checked (docs/SPEC.md, "Invariants").
FUZZ_EXAMPLES sets the number of sequences (default 100; `make fuzz` runs 2,000).
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from protocol_model.chain.story_chain import deploy_story
from protocol_model.exact import math_lib as fp
from protocol_model.scenario.fuzz import FUZZ_ACCOUNTS, fuzz_scenario
from protocol_model.world.lending_properties import LendingProperties, pool_balances_cover_claims
from protocol_model.world.lending_rules import RULES, Ints, OneOf, Param, Pick
from protocol_model.world.model_world import Action, ModelWorld

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "55"))
STEPS = int(os.environ.get("FUZZ_STEPS", "30"))
ASSETS = ["USDC", "WBTC", "WETH"]
MAX = fp.UINT256_MAX


@pytest.fixture(scope="module")
def fuzz_world(project, accounts, fuzz_driver):
    """The fuzz pool on the raw JSON-RPC fast path (thousands of calls under `make fuzz`) and its model twin."""
    scenario = fuzz_scenario()
    world = deploy_story(scenario, project, accounts, fuzz_driver)
    return world, ModelWorld(scenario, world.listed_at, world.feed_times)


def strategy(param: Param, names: dict[str, list[str]]) -> st.SearchStrategy:
    """The hypothesis strategy of a rule parameter's space (lending_rules.Param)."""
    if isinstance(param, Ints):
        return st.integers(param.lo, param.hi)
    if isinstance(param, Pick):
        return st.sampled_from(param.values)
    if isinstance(param, OneOf):
        return st.one_of(*(strategy(p, names) for p in param.options))
    return st.sampled_from(names[param.what])


NAMES = {"account": FUZZ_ACCOUNTS, "asset": ASSETS}


def given(name: str):
    """``@rule`` with the strategies of ``RULES[name]``'s parameters."""
    return rule(**{k: strategy(p, NAMES) for k, p in RULES[name].params.items()})


def make_machine(world, base_model, stats):
    class PoolMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snap_id = world.driver.snapshot()
            self.model = copy.deepcopy(base_model)
            self.now = world.now()
            self.model.view_now = self.now
            self.steps = 0
            self.properties = LendingProperties()
            stats.sequences += 1

        def teardown(self):
            world.driver.restore(self.snap_id)

        # -------------------------------------------------------------- driving both twins

        def do(self, action: Action) -> str:
            """One action on both twins: same outcome, every field equal, then every step property
            (lending_properties: P-POOL-01..09, P-LIQ-01/02/04)."""
            self.now += action.seconds if action.kind == "warp" else 1
            self.properties.before(self.model, action)
            model_out = self.model.apply(action, self.now)
            chain_out = world.apply(action, self.now)
            stats.operations += 1
            self.steps += 1
            model_snap, chain_snap = self.model.snapshot(), world.snapshot()
            diff = [] if model_snap == chain_snap else model_snap.diff(chain_snap)
            if model_out != chain_out or diff:
                stats.mismatches += 1
            assert model_out == chain_out, f"P-POOL-07: {action.describe()}: model {model_out}, chain {chain_out}"
            assert not diff, f"P-POOL-07: {action.describe()}: {diff[:6]}"
            self.properties.after(self.model, action, model_out)
            return model_out

        def play(self, name: str, **params) -> list[str]:
            """Rule ``name`` of lending_rules.RULES with ``params``, built on the model's state and run."""
            return [self.do(action) for action in RULES[name].build(self.model, **params)]

        # -------------------------------------------------------------- rules (lending_rules.RULES)

        @given("supply")
        def supply(self, account, asset, whole, frac):
            self.play("supply", account=account, asset=asset, whole=whole, frac=frac)

        @given("supply_for_another")
        def supply_for_another(self, payer, account, asset, whole):
            """A third party supplies on `account`'s behalf: credited, never made collateral (P-POOL-08)."""
            self.play("supply_for_another", payer=payer, account=account, asset=asset, whole=whole)

        @given("borrow")
        def borrow(self, account, asset, percent):
            self.play("borrow", account=account, asset=asset, percent=percent)

        @given("borrow_within")
        def borrow_within(self, account, asset, percent):
            self.play("borrow_within", account=account, asset=asset, percent=percent)

        @given("withdraw")
        def withdraw(self, account, asset, percent, everything):
            self.play("withdraw", account=account, asset=asset, percent=percent, everything=everything)

        @given("act_on_behalf")
        def act_on_behalf(self, caller, account, asset, percent, borrow, everything, grant):
            """borrowOnBehalf / withdrawOnBehalf by `caller` for `account` after a grant, a revocation or
            neither; an unauthorized call is Unauthorized (P-POOL-09, checked on every step)."""
            self.play("act_on_behalf", caller=caller, account=account, asset=asset, percent=percent,
                      borrow=borrow, everything=everything, grant=grant)
            if caller != account:
                if (account, caller) in self.model.pool.authorizations:
                    stats.on_behalf_authorized += 1
                else:
                    stats.on_behalf_unauthorized += 1

        @given("use_as_collateral")
        def use_as_collateral(self, account, asset, enabled):
            """setUseAsCollateral: on needs a supply (NoSupplyBalance, P-POOL-20), off with debt keeps HF >= 1
            (P-POOL-17); both checked on every step."""
            self.play("use_as_collateral", account=account, asset=asset, enabled=enabled)

        @given("repay")
        def repay(self, payer, account, asset, percent, everything):
            self.play("repay", payer=payer, account=account, asset=asset, percent=percent, everything=everything)

        @given("liquidate")
        def liquidate(self, liquidator, borrower, collateral, debt, percent, everything):
            self.play("liquidate", liquidator=liquidator, borrower=borrower, collateral=collateral, debt=debt,
                      percent=percent, everything=everything)

        @given("move_price")
        def move_price(self, asset, factor_pct):
            self.play("move_price", asset=asset, factor_pct=factor_pct)

        @given("oracle_failure")
        def oracle_failure(self, asset, answer):
            """A zero or negative answer: every operation that needs this price must revert InvalidPrice."""
            self.play("oracle_failure", asset=asset, answer=answer)

        @given("wbtc_stale_round")
        def wbtc_stale_round(self, age, factor_pct):
            """A WBTC round published `age` seconds ago: older than 3 days is StalePrice under the policy."""
            self.play("wbtc_stale_round", age=age, factor_pct=factor_pct)

        @given("wbtc_jump")
        def wbtc_jump(self, jump_pct):
            """WBTC moves jump_pct% in one round: beyond 30% the breaker rejects it (PriceJump)."""
            self.play("wbtc_jump", jump_pct=jump_pct)

        @given("round_fields")
        def round_fields(self, asset, factor_pct, updated_age, started_lead, zero, lag):
            """A round with every field chosen (issue #14 item 6): zero, future, incomplete or stale."""
            self.play("round_fields", asset=asset, factor_pct=factor_pct, updated_age=updated_age,
                      started_lead=started_lead, zero=zero, lag=lag)

        @given("huge_answer")
        def huge_answer(self, asset, answer):
            """Answers at and above the largest price: PriceOverflow, never a panic."""
            self.play("huge_answer", asset=asset, answer=answer)

        @given("donate")
        def donate(self, account, asset, whole, frac):
            """A plain token transfer to the pool: cash no supplier claims (the suppliers' cap, P-POOL-06)."""
            self.play("donate", account=account, asset=asset, whole=whole, frac=frac)

        @given("empty_market")
        def empty_market(self, supplier, donor, borrower, asset, collateral, tiny, whole, percent, seconds):
            """Fresh rounds, a dust supply, a donation, collateral and a borrow of most of the cash, then time: when the
            borrow passes, the debt exceeds the supply across the warp and P-POOL-06 is checked on the capped accrual
            (counted)."""
            outcomes = self.play("empty_market", supplier=supplier, donor=donor, borrower=borrower, asset=asset,
                                 collateral=collateral, tiny=tiny, whole=whole, percent=percent, seconds=seconds)
            state = self.model.pool.assets[asset].state
            if outcomes[len(self.model.asset_names) + 3] == "ok" and state.total_debt() > state.total_supply():
                stats.unfunded_debt += 1

        @given("warp")
        def warp(self, seconds):
            """Time passes; USDC and WETH keep their heartbeat, so only WBTC goes stale by waiting."""
            self.play("warp", seconds=seconds)

        @given("pause")
        def pause(self, supply_paused, borrow_paused):
            self.play("pause", supply_paused=supply_paused, borrow_paused=borrow_paused)

        # -------------------------------------------------------------- invariants (model == chain here)

        @invariant()
        def pool_balances_cover_claims(self):
            """P-POOL-01 after every rule (also checked after every step by ``LendingProperties``)."""
            if hasattr(self, "model"):
                pool_balances_cover_claims(self.model.pool, FUZZ_ACCOUNTS)

    return PoolMachine


def fuzz_settings(examples: int, steps: int = STEPS, shrink: bool = True) -> settings:
    """The fuzzers' settings: ``examples`` sequences of ``steps`` rules, derandomized unless FUZZ_SEED or
    FUZZ_RANDOM is set; FUZZ_SHRINK=0 skips shrinking (``make mutate``: a failure is all it needs)."""
    shrink = shrink and os.environ.get("FUZZ_SHRINK", "1") != "0"
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    derandomize=os.environ.get("FUZZ_SEED") is None and not os.environ.get("FUZZ_RANDOM"))


UNFUNDED_DEBT_PER_SEQUENCES = 2
"""At least one empty_market pattern with the debt left above the supply (P-POOL-06 then checked on an accrual the
suppliers' cap governs) per this many sequences."""


def min_unfunded_debt(sequences: int) -> int:
    """How many empty_market patterns must have left debt above the supply in ``sequences`` sequences (at least 1):
    fewer means the rule stopped reaching the suppliers' cap and P-POOL-06 is no longer exercised there."""
    return max(sequences // UNFUNDED_DEBT_PER_SEQUENCES, 1)


def test_model_and_chain_agree(fuzz_world, crosscheck_stats):
    world, base_model = fuzz_world
    before = (crosscheck_stats.sequences, crosscheck_stats.unfunded_debt)
    run_state_machine_as_test(make_machine(world, base_model, crosscheck_stats), settings=fuzz_settings(EXAMPLES))
    assert crosscheck_stats.mismatches == 0
    sequences, unfunded = (now - then for now, then in zip((crosscheck_stats.sequences,
                                                            crosscheck_stats.unfunded_debt), before, strict=True))
    assert unfunded >= min_unfunded_debt(sequences), (unfunded, sequences)


@pytest.mark.parametrize("target,replacement", [
    ("protocol_model.exact.lending.kinked_rate_model.bps_mul_up", "protocol_model.exact.math_lib.bps_mul_down"),
    ("protocol_model.exact.lending.pool_state.ray_mul_up", "protocol_model.exact.math_lib.ray_mul_down"),
])
def test_fuzzer_catches_a_flipped_rounding(fuzz_world, monkeypatch, target, replacement):
    """A copy of the model with one rounding direction flipped must be caught as a mismatch."""
    from tests.crosscheck.conftest import CrosscheckStats

    module, name = target.rsplit(".", 1)
    rmod, rname = replacement.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", getattr(__import__(rmod, fromlist=[rname]), rname))
    world, base_model = fuzz_world
    stats = CrosscheckStats()
    with pytest.raises(AssertionError):
        _interest_sequence(make_machine(world, base_model, stats)())
        run_state_machine_as_test(make_machine(world, base_model, stats), settings=fuzz_settings(60, 30, shrink=False))
    assert stats.mismatches >= 1


def test_fuzzer_catches_a_kept_consent(fuzz_world, monkeypatch):
    """A model that keeps the collateral consent when a supply reaches zero (the bug SPEC §3.5 fixed, P-POOL-19) must
    be caught on the withdrawal itself: the snapshot's ``collateral_consent`` is compared after every step, so the
    divergence is named before it changes any value (alice has no debt: her account values agree)."""
    from protocol_model.exact.lending.lending_pool import LendingPool
    from tests.crosscheck.conftest import CrosscheckStats

    monkeypatch.setattr(LendingPool, "_clear_consent", lambda self, account, asset: None)
    world, base_model = fuzz_world
    stats = CrosscheckStats()
    machine = make_machine(world, base_model, stats)()
    machine.start()
    try:
        machine.supply("alice", "WETH", 1_000, 3)
        assert stats.mismatches == 0
        only_consent = r"""\["position \('WETH', 'alice'\)\.collateral_consent: 1 != 0"\]"""
        with pytest.raises(AssertionError, match=only_consent):
            machine.withdraw("alice", "WETH", 100, True)
    finally:
        machine.teardown()
    assert stats.mismatches == 1


def _interest_sequence(machine) -> None:
    """A fixed sequence through the fuzzer's own rules that accrues interest on outstanding debt several
    times (where every rounding of the rate and index math is exercised), so a flipped rounding is caught
    whatever sequences the random search happens to draw. Raises AssertionError on the first mismatch."""
    machine.start()
    try:
        machine.supply("bob", "USDC", 100_000, 0)
        machine.supply("alice", "WETH", 100_000, 7)
        machine.borrow("alice", "USDC", 60)
        for days in (30, 91, 365):
            machine.warp(days * 86_400 + 17)
            machine.repay("alice", "alice", "USDC", 1, False)
            machine.borrow("alice", "USDC", 3)
    finally:
        machine.teardown()
