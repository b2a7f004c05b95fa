"""One injected violation per property of docs/PROPERTIES.md (issue #16 item 4: "each has a mutation test that
injects a violation and shows it is caught").

An :class:`Injection` names the property id, the check that the catalogue says checks it (``path::name``, a
reference of the property's row), and a function ``run(ctx)`` that breaks the twin or the state (through
``ctx.monkeypatch``) and then calls that check; the check must raise (``raises``, AssertionError unless said
otherwise, with the property id in its message where the check names it). ``side`` says where the violation is injected:

- ``model``: a broken twin function or a broken model state, caught by a model-only check;
- ``in-process``: a broken twin (or state) caught by the model-vs-chain differential on the in-process chain
  (revm, the same bytecode as anvil): the unmutated contract disagrees with the broken twin;
- ``anvil``: the same on the session's ape network (tests/mutation/test_property_injections_chain.py runs these).

tests/mutation/test_property_injections.py runs every ``model`` and ``in-process`` injection and fails if a
catalogue id has no injection, or an injection names a check its row does not list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from protocol_model.exact import errors
from protocol_model.exact import journal as journal_mod
from protocol_model.exact import math_lib as fp
from protocol_model.exact.lending import params as params_mod

FAILED = pytest.fail.Exception
"""What ``pytest.raises`` raises when the expected error does not come (a check that a rejection happens)."""


@dataclass(frozen=True)
class Injection:
    """A violation of property ``pid`` injected by ``run(ctx)``, caught by ``check`` (``path::name``) raising
    ``raises`` (message matching ``match``); ``side`` is model, in-process or anvil; ``breaks`` says what is
    broken, in one line."""

    pid: str
    check: str
    side: str
    breaks: str
    run: Callable[[Any], None]
    raises: type[BaseException] | tuple[type[BaseException], ...] = AssertionError
    match: str | None = None
    """A pattern the caught error's message must contain (the property id, where the check names it)."""


INJECTIONS: dict[str, Injection] = {}


def injects(pid: str, check: str, breaks: str, side: str = "model",
            raises: type[BaseException] | tuple[type[BaseException], ...] = AssertionError, match: str | None = None):
    """Register the decorated ``run(ctx)`` as the injection of ``pid`` (one per id)."""
    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        assert pid not in INJECTIONS, f"{pid} injected twice"
        INJECTIONS[pid] = Injection(pid, check, side, breaks, fn, raises, match)
        return fn
    return register


def check(ref: str) -> Callable[..., Any]:
    """The function ``path::name`` names (a test, a check helper or a fuzzer rule's module-level function); a
    hypothesis test gets a short, non-shrinking run with no example database, so a broken twin fails fast."""
    path, name = ref.split("::")
    fn = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    if hasattr(fn, "hypothesis"):
        fast = settings(fn._hypothesis_internal_use_settings, max_examples=300, database=None, deadline=None,
                        phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
                        suppress_health_check=list(HealthCheck))
        ctx_mp = pytest.MonkeyPatch()
        ctx_mp.setattr(fn, "_hypothesis_internal_use_settings", fast)
        _PATCHES.append(ctx_mp)
    return fn


_PATCHES: list[pytest.MonkeyPatch] = []


def undo_settings() -> None:
    """Put back the hypothesis settings :func:`check` shortened."""
    while _PATCHES:
        _PATCHES.pop().undo()


def _restore_nothing(self) -> None:
    """A broken ``Journal.rollback``: the frame is dropped and nothing is restored."""
    self.frames.pop()


def patch_then_check(*target: Any) -> Callable[[Any], None]:
    """An injection that sets ``target`` (``monkeypatch.setattr``'s arguments) and calls its check with no
    arguments."""
    def run(ctx) -> None:
        ctx.monkeypatch.setattr(*target)
        check(ctx.pid_check)()
    return run


def _run_first(mp: pytest.MonkeyPatch, owner: type, name: str, hook: Callable[..., None]) -> None:
    """``owner.name`` runs ``hook(self, *args)`` first, then the original method."""
    original = getattr(owner, name)

    def hooked(self, *args, **kwargs):
        hook(self, *args)
        return original(self, *args, **kwargs)

    mp.setattr(owner, name, hooked)


def _run_after(mp: pytest.MonkeyPatch, owner: type, name: str, hook: Callable[..., None]) -> None:
    """``owner.name`` runs the original method, then ``hook(self, *args)``; returns the original's result."""
    original = getattr(owner, name)

    def hooked(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        hook(self, *args)
        return result

    mp.setattr(owner, name, hooked)


def break_journal(mp: pytest.MonkeyPatch) -> None:
    """Every revert keeps its writes (a journal that restores nothing)."""
    mp.setattr(journal_mod.Journal, "rollback", _restore_nothing)


# ================================================================== lending pool: the fuzzer's checks, in process

FUZZ = "tests/crosscheck/test_differential_fuzz.py"
PROPS = "protocol_model/world/lending_properties.py"
"""The lending fuzzer's per-step checks (module functions, called by ``LendingProperties.after``)."""


def _machine(ctx):
    """A started lending fuzz machine on the in-process chain (its ``teardown`` restores the chain)."""
    from protocol_model.world.action import Action
    from tests.crosscheck import test_differential_fuzz as lending
    from tests.crosscheck.conftest import CrosscheckStats

    world, base_model = ctx.fuzz_world
    m = lending.make_machine(world, base_model, CrosscheckStats())()
    m.start()
    ctx.finalizers.append(m.teardown)
    for asset in lending.ASSETS:  # fresh rounds: an earlier machine may have left the chain's clock far ahead
        m.do(Action("price", asset=asset, answer=m.model.pool.feeds[asset].answer))
    return m


def _clone(pool):
    from protocol_model.world.lending_properties import clone

    return clone(pool)


def _with_debt(ctx):
    """bob lends 100,000 USDC; alice supplies ~100,000 USDC of WETH and borrows 60% of her capacity."""
    m = _machine(ctx)
    m.supply("bob", "USDC", 100_000, 0)
    m.supply("alice", "WETH", 50, 0)
    m.borrow("alice", "USDC", 60)
    assert m.model.pool.debt_balance("USDC", "alice") > 0
    return m


def _warp(seconds: int = 1):
    from protocol_model.world.action import Action

    return Action("warp", seconds=seconds)


@injects("P-POOL-01", f"{PROPS}::pool_balances_cover_claims", "reserves claimed beyond the pool's cash", "in-process",
         match="P-POOL-01")
def _pool_01(ctx):
    m = _with_debt(ctx)
    m.model.pool.assets["USDC"].state.reserves += 10**15
    check(ctx.pid_check)(m.model.pool, m.model.account_names)


@injects("P-POOL-02", f"{PROPS}::check_transition", "the borrow index falls by one unit in a step", "in-process",
         match="P-POOL-02")
def _pool_02(ctx):
    _broken_transition(ctx, lambda after: setattr(after.assets["USDC"].state, "borrow_index_ray",
                                                  after.assets["USDC"].state.borrow_index_ray - 1))


@injects("P-POOL-03", f"{PROPS}::check_transition", "the supply index falls without a write-off", "in-process",
         match="P-POOL-03")
def _pool_03(ctx):
    _broken_transition(ctx, lambda after: setattr(after.assets["USDC"].state, "supply_index_ray",
                                                  after.assets["USDC"].state.supply_index_ray - 1))


@injects("P-POOL-04", f"{PROPS}::check_transition", "a write-off of an account that still has collateral",
         "in-process", match="P-POOL-04")
def _pool_04(ctx):
    from protocol_model.exact.lending.lending_pool import BadDebt

    _broken_transition(ctx, lambda after: after.bad_debt_events.append(BadDebt("alice", "USDC", 1, 1, 0)))


def _broken_transition(ctx, corrupt: Callable[[Any], None]) -> None:
    """The fuzzer's transition check of a one-second step whose after-state is the before-state ``corrupt``-ed."""
    m = _with_debt(ctx)
    before, after = _clone(m.model.pool), _clone(m.model.pool)
    corrupt(after)
    check(ctx.pid_check)(_warp(), "ok", before, after, m.now)


@injects("P-POOL-05", "tests/model/test_stories_model.py::test_bad_debt_story_writes_off_reserves_first",
         "the write-off leaves reserves alone and cuts suppliers first")
def _pool_05(ctx):
    from protocol_model.exact.lending.lending_pool import LendingPool

    original = LendingPool._write_off_bad_debt

    def suppliers_first(self, account):
        kept = {name: listed.state.reserves for name, listed in self.assets.items()}
        for listed in self.assets.values():
            listed.state.reserves = 0
        original(self, account)
        for name, listed in self.assets.items():
            listed.state.reserves += kept[name]

    ctx.monkeypatch.setattr(LendingPool, "_write_off_bad_debt", suppliers_first)
    check(ctx.pid_check)()


@injects("P-POOL-06", f"{PROPS}::check_supply_rate", "the supply index doubles in an accrual", "in-process",
         match="P-POOL-06")
def _pool_06(ctx):
    m = _with_debt(ctx)
    before, accrued = _clone(m.model.pool), _clone(m.model.pool)
    accrued.assets["USDC"].state.supply_index_ray *= 2
    check(ctx.pid_check)(before, accrued)


@injects("P-POOL-07", f"{FUZZ}::test_model_and_chain_agree",
         "the twin's debt balance rounds down (ray_mul_up -> ray_mul_down in pool_state)", "in-process",
         match="P-POOL-07")
def _pool_07(ctx):
    from tests.crosscheck.test_differential_fuzz import _interest_sequence

    ctx.monkeypatch.setattr("protocol_model.exact.lending.pool_state.ray_mul_up", fp.ray_mul_down)
    ctx.monkeypatch.setattr("protocol_model.exact.lending.lending_pool.ray_mul_up", fp.ray_mul_down)
    m = _machine(ctx)
    ctx.finalizers.remove(m.teardown)
    _interest_sequence(m)


@injects("P-POOL-08", f"{PROPS}::check_on_behalf", "a stranger's supply turns collateral use on",
         "in-process", match="P-POOL-08")
def _pool_08(ctx):
    from protocol_model.world.action import Action

    m = _machine(ctx)
    before = _clone(m.model.pool)
    assert ("carol", "bob") not in before.authorizations and ("carol", "USDC") not in before.collateral_use
    after = _clone(before)
    after.collateral_use.add(("carol", "USDC"))
    check(ctx.pid_check)(Action("supply", "bob", "USDC", 10**6, on_behalf="carol"), "ok", before, after)


@injects("P-POOL-09", f"{PROPS}::check_on_behalf", "an unauthorized on-behalf borrow succeeds", "in-process",
         match="P-POOL-09")
def _pool_09(ctx):
    from protocol_model.world.action import Action

    m = _with_debt(ctx)
    pool = m.model.pool
    assert ("alice", "carol") not in pool.authorizations
    check(ctx.pid_check)(Action("borrow", "carol", "USDC", 1, on_behalf="alice"), "ok", pool, pool)


@injects("P-POOL-10", f"{PROPS}::check_borrow_or_withdraw", "a borrow leaves less cash than the reserves",
         "in-process", match="P-POOL-10")
def _pool_10(ctx):
    from protocol_model.exact.lending.lending_pool import POOL
    from protocol_model.world.action import Action

    m = _with_debt(ctx)
    after = _clone(m.model.pool)
    after.assets["USDC"].state.reserves = after.ledger.balance("USDC", POOL) + 1
    check(ctx.pid_check)(Action("borrow", "alice", "USDC", 1), "ok", after)


@injects("P-POOL-11", "tests/exact/test_revert_journal.py::test_a_failed_call_leaves_every_piece_of_state_as_before",
         "Journal.rollback restores nothing")
def _pool_11(ctx):
    break_journal(ctx.monkeypatch)
    check(ctx.pid_check)("LendingPool")


@injects("P-POOL-12", "tests/exact/test_revert_journal.py::test_a_broken_journal_is_caught",
         "the 'broken' journal handed to the check is in fact the working one", raises=FAILED)
def _pool_12(ctx):
    from tests.exact import test_revert_journal as t

    ctx.monkeypatch.setitem(t.MUTANTS, "nothing is restored", ("Journal", "rollback", journal_mod.Journal.rollback))
    check(ctx.pid_check)("Ledger", "nothing is restored", ctx.monkeypatch)


@injects("P-POOL-13",
         "tests/exact/test_journal_nesting.py::test_a_caught_inner_revert_is_undone_and_the_outer_call_goes_on",
         "Journal.rollback restores nothing, so the caught inner revert keeps its writes")
def _pool_13(ctx):
    break_journal(ctx.monkeypatch)
    check(ctx.pid_check)()


@injects("P-POOL-14", "tests/model/test_rules.py::test_config_rejections", "AssetConfig.validate accepts anything",
         raises=FAILED)
def _pool_14(ctx):
    from protocol_model.exact.lending.params import AssetConfig

    ctx.monkeypatch.setattr(AssetConfig, "validate", lambda self: self)
    check(ctx.pid_check)(AssetConfig(8000, 10_000, 0, 0, 0), errors.ThresholdTooHigh)


@injects("P-POOL-17", f"{PROPS}::check_borrow_or_withdraw", "a borrow leaves the account at ten times its debt",
         "in-process", match="P-POOL-17")
def _pool_17(ctx):
    from protocol_model.world.action import Action

    m = _with_debt(ctx)
    after = _clone(m.model.pool)
    after.scaled_debt[("USDC", "alice")] *= 10
    check(ctx.pid_check)(Action("borrow", "alice", "USDC", 1), "ok", after)


@injects("P-POOL-18", "tests/mutation/test_inprocess_differential.py::test_long_random_run_agrees",
         "supply rounds the scaled amount up (ray_div_down -> ray_div_up in lending_pool)", "in-process")
def _pool_18(ctx):
    ctx.monkeypatch.setattr("protocol_model.exact.lending.lending_pool.ray_div_down", fp.ray_div_up)
    check(ctx.pid_check)(ctx.artifacts, 11)


injects("P-POOL-19", "tests/model/test_collateral_consent.py::test_consent_never_outlives_a_zero_supply",
        "a supply withdrawn or seized whole keeps its consent (LendingPool._clear_consent does nothing)",
        match="P-POOL-19")(
    patch_then_check("protocol_model.exact.lending.lending_pool.LendingPool._clear_consent",
                     lambda self, account, asset: None))


def _consent_without_supply(ctx):
    """``set_use_as_collateral(true)`` consents without the supply check (NoSupplyBalance never raised)."""
    from protocol_model.exact.lending.lending_pool import LendingPool

    original = LendingPool.set_use_as_collateral

    def unchecked(self, sender, asset, enabled, now):
        if enabled:
            self.collateral_use.add((sender, asset))
            return None
        return original(self, sender, asset, enabled, now)

    ctx.monkeypatch.setattr(LendingPool, "set_use_as_collateral", unchecked)
    check(ctx.pid_check)()


injects("P-POOL-20", "tests/model/test_collateral_consent.py::test_consent_never_outlives_a_zero_supply",
        "setUseAsCollateral(true) consents without a supply (the NoSupplyBalance check removed)",
        match="P-POOL-20")(_consent_without_supply)


# ================================================================== liquidation


def _unhealthy(ctx, hf_num: int, hf_den: int):
    """alice (WETH collateral, USDC debt) pushed to HF ≈ hf_num/hf_den by scaling her debt in a model copy."""
    m = _with_debt(ctx)
    pre = _clone(m.model.pool)
    adjusted, debt_value = pre.liquidation_values("alice")
    pre.scaled_debt[("USDC", "alice")] = pre.scaled_debt[("USDC", "alice")] * adjusted * hf_den // (
        debt_value * hf_num)
    return m, pre


def _liquidation(amount: int = 1):
    from protocol_model.world.action import Action

    return Action("liquidate", "bob", amount=amount, borrower="alice", collateral="WETH", debt="USDC")


@injects("P-LIQ-01", f"{PROPS}::check_liquidation", "a healthy account is liquidated", "in-process", match="P-LIQ-01")
def _liq_01(ctx):
    m = _with_debt(ctx)
    pool = m.model.pool
    check(ctx.pid_check)(_liquidation(), _clone(pool), _clone(pool))


@injects("P-LIQ-02", f"{PROPS}::check_liquidation", "a liquidation above the full-close line raises the debt",
         "in-process", match="P-LIQ-02")
def _liq_02(ctx):
    m, pre = _unhealthy(ctx, 99, 100)
    after = _clone(pre)
    after.scaled_debt[("USDC", "alice")] += after.scaled_debt[("USDC", "alice")] // 10
    check(ctx.pid_check)(_liquidation(), pre, after)


@injects("P-LIQ-03",
         "tests/model/test_pool_fault_properties.py::test_capped_bonus_keeps_lt_times_one_plus_bonus_below_hf",
         "the bonus is never capped (hf_preserving_bonus_bps returns the configured bonus)")
def _liq_03(ctx):
    ctx.monkeypatch.setattr("tests.model.test_pool_fault_properties.hf_preserving_bonus_bps",
                            lambda lt, bonus, hf: bonus)
    check(ctx.pid_check)()


@injects("P-LIQ-04", f"{PROPS}::check_liquidation", "a liquidation leaves one unit of debt (dust)", "in-process",
         match="P-LIQ-04")
def _liq_04(ctx):
    m, pre = _unhealthy(ctx, 99, 100)
    after = _clone(pre)
    after.scaled_debt[("USDC", "alice")] = 1
    check(ctx.pid_check)(_liquidation(), pre, after)


@injects("P-LIQ-07", "tests/model/test_rules.py::test_close_factor_regimes",
         "the close factor is ignored (every liquidation may close the whole debt)")
def _liq_07(ctx):
    from protocol_model.exact.lending import liquidation

    original = liquidation.liquidation_amounts
    ctx.monkeypatch.setattr("tests.model.test_rules.liquidation_amounts",
                            lambda **kw: original(**{**kw, "close_factor_bps": fp.BPS}))
    check(ctx.pid_check)()


injects("P-LIQ-08", "tests/model/test_rules.py::test_seize_all_shrinks_repayment_against_liquidator",
         "the shrunk repayment rounds down (in the liquidator's favour)")(
    patch_then_check("protocol_model.exact.lending.liquidation.mul_div_up", fp.mul_div_down))


@injects("P-LIQ-09", "tests/model/test_pool_fault_properties.py::test_a_rejected_price_never_lowers_the_liquidation_hf",
         "a rejected collateral price counts as zero in the liquidation HF (the old item-3 rule)", match="P-LIQ-09")
def _liq_09(ctx):
    from protocol_model.exact.lending.lending_pool import LendingPool

    original = LendingPool.liquidation_values

    def zeroing(self, account):  # each collateral the router rejects dropped, as if worth nothing
        pool = _clone(self)
        for asset in list(pool.assets):
            try:
                pool._price_wad(asset)
            except errors.PoolError:
                pool.collateral_use.discard((account, asset))
        return original(pool, account)

    ctx.monkeypatch.setattr(LendingPool, "liquidation_values", zeroing)
    check(ctx.pid_check)()


@injects("P-LIQ-10",
         "tests/model/test_pool_fault_properties.py::test_a_max_liquidation_of_the_last_collateral_closes_a_side",
         "NothingToRepay whenever no scaled debt is burnt (the last collateral's dust stays)", match="P-LIQ-10")
def _liq_10(ctx):
    from protocol_model.exact.lending import liquidation

    original = liquidation.liquidation_amounts
    ctx.monkeypatch.setattr("tests.model.test_pool_fault_properties.liquidation_amounts",
                            lambda **kw: original(**{**kw, "last_collateral": False}))
    check(ctx.pid_check)()


# ================================================================== math

injects("P-MATH-01", "tests/model/test_fixed_point.py::test_up_is_down_plus_remainder_flag",
         "mulDivUp rounds down")(
    patch_then_check(fp, "mul_div_up", fp.mul_div_down))


injects("P-MATH-02", "tests/model/test_fixed_point.py::test_named_helpers", "wadMulUp rounds down")(
    patch_then_check(fp, "wad_mul_up", fp.wad_mul_down))


injects("P-MATH-03", "tests/model/test_fixed_point.py::test_overflow_and_zero_division",
         "mulDivDown without its overflow check", raises=FAILED)(
    patch_then_check(fp, "mul_div_down", lambda x, y, d: x * y // d))


@injects("P-MATH-05", "tests/model/test_rules.py::test_rate_curve_has_two_slopes",
         "the rate curve keeps slope 1 above the kink")
def _math_05(ctx):
    def one_slope(r, u):
        return r.base_per_second_ray + r.slope1_per_second_ray * u // r.optimal_utilization_wad

    ctx.monkeypatch.setattr("tests.model.test_rules.borrow_rate_per_second_ray", one_slope)
    check(ctx.pid_check)()


@injects("P-MATH-06", "tests/model/test_rules.py::test_annual_to_per_second_rounds_down",
         "the annual-to-per-second conversion rounds up")
def _math_06(ctx):
    from protocol_model.exact.lending.params import SECONDS_PER_YEAR, RateParams

    def per_second_up(cls, base_bps, slope1_bps, slope2_bps, optimal_bps):
        up = [-(-bps * fp.RAY // fp.BPS // SECONDS_PER_YEAR) for bps in (base_bps, slope1_bps, slope2_bps)]
        return cls(*up, optimal_bps * fp.WAD // fp.BPS)

    ctx.monkeypatch.setattr(RateParams, "from_annual_bps", classmethod(per_second_up))
    check(ctx.pid_check)()


@injects("P-MATH-07", "tests/model/test_rules.py::test_pool_params_and_rate_validation",
         "PoolParams.validate accepts anything", raises=FAILED)
def _math_07(ctx):
    from protocol_model.exact.lending.params import PoolParams

    ctx.monkeypatch.setattr(PoolParams, "validate", lambda self: self)
    check(ctx.pid_check)()


injects("P-MATH-08", "tests/model/test_fixed_point.py::test_every_helper_rounds_within_one_unit",
         "rayDivUp rounds down")(
    patch_then_check(fp, "ray_div_up", fp.ray_div_down))

@injects("P-MATH-09", "tests/model/test_rate_bounds.py::test_an_accepted_curve_never_charges_more_than_the_bound",
         "the twin's rate bound 1e20 RAY a second too high (curves above 1,000% a year accepted)", raises=FAILED)
def _math_09(ctx) -> None:
    the_check = check(ctx.pid_check)  # imported first: the test keeps the contract's bound as its reference
    ctx.monkeypatch.setattr(params_mod, "MAX_BORROW_RATE_PER_SECOND_RAY",
                            params_mod.MAX_BORROW_RATE_PER_SECOND_RAY + 10**20)
    the_check()


# ================================================================== oracle

ORACLE_FAULTS = "tests/exact/test_oracle_faults.py"


def _no_invalid_price(mp):
    """The twin accepts a zero or negative answer (as one unit)."""
    from protocol_model.exact.oracle import oracle_policy, price_router

    original = price_router.answer_to_wad

    def lenient(asset, answer, decimals):
        return original(asset, max(answer, 1), decimals)

    mp.setattr(oracle_policy, "answer_to_wad", lenient)
    mp.setattr(price_router, "answer_to_wad", lenient)


def _no_breaker(mp):
    """The twin's circuit breaker never trips (every move measures zero)."""
    from protocol_model.exact.oracle import oracle_policy

    mp.setattr(oracle_policy, "abs", lambda x: 0, raising=False)


@injects("P-ORACLE-01", f"{FUZZ}::oracle_failure", "the twin accepts a zero answer", "in-process", match="P-POOL-07")
def _oracle_01(ctx):
    _no_invalid_price(ctx.monkeypatch)
    m = _with_debt(ctx)
    m.oracle_failure("WETH", 0)
    m.borrow("alice", "USDC", 1)


injects("P-ORACLE-02", f"{ORACLE_FAULTS}::test_no_policy_rejects_old_zero_future_and_incomplete_rounds",
         "the default maximum age is a thousand years", raises=FAILED)(
    patch_then_check("protocol_model.exact.oracle.oracle_policy.DEFAULT_MAX_AGE_S", 1000 * 365 * 86_400))


@injects("P-ORACLE-03", f"{FUZZ}::wbtc_stale_round", "the twin never finds a round stale", "in-process",
         match="P-POOL-07")
def _oracle_03(ctx):
    ctx.monkeypatch.setattr("protocol_model.exact.oracle.oracle_policy.effective_max_age_s", lambda p: 10**12)
    m = _machine(ctx)
    m.wbtc_stale_round(20 * 86_400, 100)


@injects("P-ORACLE-04", f"{FUZZ}::wbtc_jump", "the twin's circuit breaker never trips", "in-process", match="P-POOL-07")
def _oracle_04(ctx):
    _no_breaker(ctx.monkeypatch)
    m = _machine(ctx)
    m.wbtc_jump(60)


@injects("P-ORACLE-05", f"{FUZZ}::huge_answer", "the twin accepts answers above the largest price", "in-process",
         match="P-POOL-07")
def _oracle_05(ctx):
    ctx.monkeypatch.setattr("protocol_model.exact.oracle.price_router.MAX_PRICE_WAD", fp.UINT256_MAX)
    m = _machine(ctx)
    m.huge_answer("USDC", 10**36 // 10**10 + 1)


@injects("P-ORACLE-06", f"{ORACLE_FAULTS}::test_every_round_gets_the_rule_or_a_named_error",
         "the twin accepts a zero or negative answer")
def _oracle_06(ctx):
    _no_invalid_price(ctx.monkeypatch)
    check(ctx.pid_check)()


@injects("P-ORACLE-07", f"{ORACLE_FAULTS}::test_sequencer_started_at_zero_is_invalid_and_started_at_is_used",
         "the sequencer gate dates the status change by updatedAt", raises=(AssertionError, errors.PoolError))
def _oracle_07(ctx):
    from protocol_model.exact.oracle.price_router import Feed

    ctx.monkeypatch.setattr(Feed, "started_at_seen", Feed.updated_at_seen)
    check(ctx.pid_check)()


@injects("P-ORACLE-08", f"{ORACLE_FAULTS}::test_impossible_policies_are_rejected_by_name",
         "OraclePolicy.validate accepts anything", raises=FAILED)
def _oracle_08(ctx):
    from protocol_model.exact.oracle.oracle_policy import OraclePolicy

    ctx.monkeypatch.setattr(OraclePolicy, "validate", lambda self: self)
    check(ctx.pid_check)()


@injects("P-ORACLE-09", f"{ORACLE_FAULTS}::test_pair_feed_is_as_old_as_its_quote",
         "the pair feed's round is dated by the block, not by its quote")
def _oracle_09(ctx):
    from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed

    original = PairPriceFeed.round
    ctx.monkeypatch.setattr(PairPriceFeed, "round", lambda self, quote, now: replace(
        original(self, quote, now), updated_at=now, started_at=now))
    check(ctx.pid_check)()


@injects("P-ORACLE-10", f"{ORACLE_FAULTS}::test_reference_round_cannot_be_moved_in_the_block",
         "the breaker's reference is the current spot price")
def _oracle_10(ctx):
    from protocol_model.exact.amm.uniswap_v2_pair import Q112
    from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed

    def spot(self, now):
        reserve_base, reserve_quote = self.pair.reserves(self.base)
        return reserve_quote * Q112 // reserve_base

    ctx.monkeypatch.setattr(PairPriceFeed, "reference_x112", spot)
    check(ctx.pid_check)()


STRATEGY_ORACLE = "tests/crosscheck/test_strategy_oracle_rounds.py"


@injects("P-ORACLE-12", f"{STRATEGY_ORACLE}::test_a_looper_unwind_reads_the_router_like_the_chain",
         "the strategy twins read the primary answer only (no round check)", "in-process")
def _oracle_12(ctx):
    from protocol_model.exact.oracle.oracle_policy import DEFAULT_MAX_AGE_S
    from protocol_model.exact.oracle.price_router import price_wad
    from protocol_model.exact.strategies.leveraged_token import LeveragedToken, Prices
    from protocol_model.exact.strategies.looper import Looper

    def answer(pool, asset):
        return price_wad(asset, pool.feeds.get(asset))

    ctx.monkeypatch.setattr(Looper, "_price", lambda self, asset, now: answer(self.pool, asset))
    ctx.monkeypatch.setattr(LeveragedToken, "prices", lambda self: Prices(answer(self.pool, self.asset),
                                                                          answer(self.pool, self.debt_asset)))
    stale = [{"op": "feed", "asset": "WETH", "price_usd": "2000", "age_s": DEFAULT_MAX_AGE_S + 1}]
    check(ctx.pid_check)(stale, "StalePrice")


@injects("P-ORACLE-11", "tests/model/test_pair_feed.py::test_twap_needs_a_window_and_barely_moves_on_a_short_pump",
         "the TWAP feed answers the spot price", raises=(AssertionError, FAILED))
def _oracle_11(ctx):
    from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed

    ctx.monkeypatch.setattr(PairPriceFeed, "twap", False, raising=False)
    original = PairPriceFeed.price_x112

    def spot(self, now):
        reserve_base, reserve_quote = self.pair.reserves(self.base)
        return reserve_quote * (1 << 112) // reserve_base

    ctx.monkeypatch.setattr(PairPriceFeed, "price_x112", spot)
    assert original is not spot
    check(ctx.pid_check)()


@injects("P-ORACLE-13", "tests/model/test_pair_feed.py::test_a_twap_round_is_as_late_as_its_average",
         "a TWAP round dated by its quote alone (any span passes as fresh)", match="P-ORACLE-13")
def _oracle_13(ctx):
    from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed

    ctx.monkeypatch.setattr(PairPriceFeed, "averaged_until", lambda self, now: None)
    check(ctx.pid_check)()


@injects("P-ORACLE-14",
         "tests/model/test_pair_feed.py::test_the_reference_never_follows_a_pump_held_less_than_its_span",
         "update() records in any new block whatever the reference span (review-pool's rule)", match="P-ORACLE-14")
def _oracle_14(ctx):
    from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed

    ctx.monkeypatch.setattr(PairPriceFeed, "update_gap_s", property(lambda self: max(self.window_s, 1)))
    check(ctx.pid_check)()


# ================================================================== flash loans (the twin's rules; chain: anvil)

FLASH = "tests/model/test_flash_loan_model.py"


@injects("P-FLASH-01", f"{FLASH}::test_the_fee_goes_to_reserves", "the fee is kept out of the reserves")
def _flash_01(ctx):
    ctx.monkeypatch.setattr("protocol_model.exact.lending.lending_pool.LendingPool.flash_loan_fee",
                            lambda self, amount: 0)
    check(ctx.pid_check)()


@injects("P-FLASH-02", f"{FLASH}::test_a_receiver_that_does_not_repay_reverts_by_name",
         "the twin never pulls the repayment", raises=FAILED)
def _flash_02(ctx):
    from protocol_model.exact.lending.lending_pool import LendingPool

    original = LendingPool.flash_loan

    def unpulled(self, sender, receiver, asset, amount, callback, now):
        self.ledger.transfer_from = lambda *args: None
        try:
            return original(self, sender, receiver, asset, amount, callback, now)
        finally:
            del self.ledger.transfer_from

    ctx.monkeypatch.setattr(LendingPool, "flash_loan", unpulled)
    check(ctx.pid_check)("no-approval", "ERC20InsufficientAllowance")


@injects("P-FLASH-03", f"{FLASH}::test_flash_loan_argument_checks",
         "a zero-amount flash loan is accepted", raises=(AssertionError, FAILED))
def _flash_03(ctx):
    from protocol_model.exact.lending.lending_pool import LendingPool

    original = LendingPool.flash_loan
    ctx.monkeypatch.setattr(LendingPool, "flash_loan",
                            lambda self, s, r, asset, amount, cb, now: 0 if amount == 0 else
                            original(self, s, r, asset, amount, cb, now))
    check(ctx.pid_check)()


FLASH_IN_PROCESS = "tests/chain/test_inprocess_flash_loan.py"


def _start_in_process(ctx):
    """The ``replay_in_process`` fixture of tests/chain on a fresh in-process chain: ``start(spec dict) -> Replay``."""
    from protocol_model.chain.inprocess import InProcessChain
    from protocol_model.chain.inprocess_world import deploy_in_process
    from protocol_model.chain.replay import Replay
    from protocol_model.scenario.story import parse_scenario

    chain = InProcessChain(ctx.artifacts)

    def start(spec):
        scenario = parse_scenario(spec)
        return Replay.start(scenario, deploy_in_process(scenario, chain))
    return start


@injects("P-FLASH-04", f"{FLASH_IN_PROCESS}::test_a_flash_loan_inside_a_locked_pool_call_is_refused",
         "the token's hook re-enters through a view the lock does not guard (a re-entry that succeeds)", "in-process")
def _flash_04(ctx):
    ctx.monkeypatch.setattr("tests.chain.test_inprocess_flash_loan.hook_payload",
                            lambda rig: bytes(rig.rp.chain.pool.flashLoanFeeBps.encode_input()))
    check(ctx.pid_check)(_start_in_process(ctx))


@injects("P-FLASH-05",
         "tests/chain/test_inprocess_flash_manipulation.py::test_a_flash_pump_and_borrow_in_one_transaction",
         "the twin reads a pair-fed price as of the step's start (before the transaction's own swaps)", "in-process")
def _flash_05(ctx):
    from protocol_model.exact.lending.lending_pool import LendingPool
    from tests.chain.test_inprocess_flash_manipulation import SPOT

    original = LendingPool.price_wad

    def stale(self, asset, now):
        saved, self.pair_feeds = self.pair_feeds, {}
        try:
            return original(self, asset, now)
        finally:
            self.pair_feeds = saved

    ctx.monkeypatch.setattr(LendingPool, "price_wad", stale)
    check(ctx.pid_check)(_start_in_process(ctx), SPOT, None, 300_000, 600_000, "ok")


# ================================================================== AMM

AMM = "tests/model/test_amm_model.py"


@injects("P-AMM-02", f"{AMM}::test_amount_out_keeps_fee_adjusted_product", "getAmountOut quotes one unit more")
def _amm_02(ctx):
    from protocol_model.exact.amm import uniswap_v2_pair as v2

    original = v2.get_amount_out
    ctx.monkeypatch.setattr("tests.model.test_amm_model.get_amount_out",
                            lambda a, r_in, r_out: original(a, r_in, r_out) + 1)
    check(ctx.pid_check)()


@injects("P-AMM-03", f"{AMM}::test_amount_in_is_sufficient", "getAmountIn asks one unit less")
def _amm_03(ctx):
    from protocol_model.exact.amm import uniswap_v2_pair as v2

    original = v2.get_amount_in
    ctx.monkeypatch.setattr("tests.model.test_amm_model.get_amount_in",
                            lambda out, r_in, r_out: max(original(out, r_in, r_out) - 1, 0))
    check(ctx.pid_check)()


injects("P-AMM-04", f"{AMM}::test_first_deposit_locks_minimum_liquidity_and_swap_pays_the_fee",
         "the first deposit locks no minimum liquidity")(
    patch_then_check("protocol_model.exact.amm.uniswap_v2_pair.MINIMUM_LIQUIDITY", 0))


# ================================================================== leveraged-token vault

LEV_MODEL = "tests/model/test_leveraged_token_model.py"


injects("P-VAULT-02", f"{LEV_MODEL}::test_inflating_the_share_price_never_pays", "no virtual shares (offset 0)")(
    patch_then_check("protocol_model.exact.strategies.leveraged_token.VIRTUAL_SHARES", 1))


@injects("P-VAULT-05", f"{LEV_MODEL}::test_min_shares_and_deadline_guard_a_deposit",
         "deposit ignores its deadline", raises=(AssertionError, FAILED))
def _vault_05(ctx):
    from protocol_model.exact.strategies import leveraged_token as lt

    original = lt.LeveragedToken.deposit
    ctx.monkeypatch.setattr(lt.LeveragedToken, "deposit",
                            lambda self, sender, assets, receiver, now, min_shares=0, deadline=fp.UINT256_MAX:
                            original(self, sender, assets, receiver, now, min_shares))
    check(ctx.pid_check)()


@injects("P-VAULT-06", f"{LEV_MODEL}::test_a_revert_restores_pool_pair_ledger_and_vault",
         "Journal.rollback restores nothing")
def _vault_06(ctx):
    break_journal(ctx.monkeypatch)
    check(ctx.pid_check)()


@injects("P-VAULT-07", "tests/model/test_sandwich.py::test_a_vault_rebalance_sandwich_never_pays",
         "the vault's swaps may move 2% from the oracle (the old band, above the sandwich bound)")
def _vault_07(ctx):
    from protocol_model.world.leveraged_world import DEFAULT_VAULTS
    from tests.model.test_sandwich import FRONT_RUN_SHARES

    ctx.monkeypatch.setattr("protocol_model.exact.strategies.leveraged_token.MAX_SLIPPAGE_BPS", 200)
    ctx.monkeypatch.setitem(DEFAULT_VAULTS, "lev2x", replace(DEFAULT_VAULTS["lev2x"], max_slippage_bps=200))
    caught = []
    for share in FRONT_RUN_SHARES:
        try:
            check(ctx.pid_check)(share)
        except AssertionError as err:
            caught.append(err)
    if caught:
        raise caught[0]


@injects("P-VAULT-08", f"{LEV_MODEL}::test_invalid_parameters_name_the_rule",
         "LeveragedTokenParams.validate accepts anything", raises=FAILED)
def _vault_08(ctx):
    from tests.model import test_leveraged_token_model as t

    ctx.monkeypatch.setattr(type(t.P), "validate", lambda self: self)
    change, error = _first_param(t.test_invalid_parameters_name_the_rule)
    check(ctx.pid_check)(change, error)


def _first_param(fn) -> tuple:
    """The first argument tuple of a ``pytest.mark.parametrize``-d test."""
    [mark] = [m for m in fn.pytestmark if m.name == "parametrize"]
    return tuple(mark.args[1][0])


# ================================================================== looper

LOOP_MODEL = "tests/model/test_loop_stories_model.py"


@injects("P-LOOP-01", f"{LOOP_MODEL}::test_outcomes_as_written_and_looper_keeps_nothing",
         "the Looper keeps one unit of every token it moves")
def _loop_01(ctx):
    from protocol_model.exact.ledger import Ledger

    original = Ledger.transfer

    def skim(self, token, frm, to, amount, *a, **k):
        if frm == "looper" and amount > 1:
            amount -= 1
        return original(self, token, frm, to, amount, *a, **k)

    ctx.monkeypatch.setattr(Ledger, "transfer", skim)
    from tests.model import test_loop_stories_model as t

    check(ctx.pid_check)(t.FILES[0])


@injects("P-LOOP-02", f"{LOOP_MODEL}::test_open_3x_reaches_3x_and_unwinds_to_less_than_the_equity",
         "the flash open borrows a third less (leverage short of 3x)")
def _loop_02(ctx):
    from protocol_model.exact.lending.lending_pool import LendingPool

    original = LendingPool.borrow_on_behalf
    ctx.monkeypatch.setattr(LendingPool, "borrow_on_behalf",
                            lambda self, s, asset, amount, ob, rec, now:
                            original(self, s, asset, amount * 2 // 3, ob, rec, now))
    check(ctx.pid_check)()


injects("P-LOOP-03", "tests/model/test_sandwich.py::test_the_bound_is_derived_from_the_fee",
         "the Looper's slippage bound is 60 bps, above the derived ⌊t*⌋ = 59")(
    patch_then_check("protocol_model.exact.strategies.looper.MAX_SLIPPAGE_BPS", 60))


# ================================================================== perp engine

PERP_FUZZ = "tests/crosscheck/test_perp_fuzz.py"
PERP_PROPS = "tests/model/test_perp_properties.py"


def _perp_machine(ctx):
    """A perp fuzz machine holding a model of the fuzz scenario after some trades (no chain needed for its
    invariants, which read only the model)."""
    from protocol_model.scenario.perp_fuzz import FUZZ_ACCOUNTS, perp_fuzz_scenario
    from protocol_model.world.perp_world import PerpAction, PerpModelWorld
    from tests.crosscheck import test_perp_fuzz as perp
    from tests.crosscheck.conftest import CrosscheckStats

    scenario = perp_fuzz_scenario()
    now = 1_800_000_000
    model = PerpModelWorld(scenario, [now] * len(scenario.markets))
    for account in FUZZ_ACCOUNTS:
        now += 1
        assert model.apply(PerpAction("deposit", account, amount=perp.STARTING_DEPOSIT), now) == "ok"
    m = perp.make_machine(None, model, CrosscheckStats())()
    m.model, m.now = model, now
    return m


@injects("P-PERP-01", f"{PERP_FUZZ}::open_interest_balances", "a position grows on one side only")
def _perp_01(ctx):
    from protocol_model.exact.perp.perp_state import Position
    from protocol_model.scenario.perp_fuzz import FUZZ_ACCOUNTS

    m = _perp_machine(ctx)
    m.model.engine.positions[(FUZZ_ACCOUNTS[0], 0)] = replace(Position(), size_wad=1)
    m.open_interest_balances()


@injects("P-PERP-02", f"{PERP_FUZZ}::open_interest_balances", "the insurance fund goes negative")
def _perp_02(ctx):
    m = _perp_machine(ctx)
    m.model.engine.insurance_fund_wad = -1
    m.open_interest_balances()


@injects("P-PERP-03", f"{PERP_FUZZ}::engine_holds_what_it_owes", "insurance credited without tokens")
def _perp_03(ctx):
    m = _perp_machine(ctx)
    m.model.engine.insurance_fund_wad += 10**6 * fp.WAD
    m.engine_holds_what_it_owes()


@injects("P-PERP-04", f"{PERP_PROPS}::test_funding_stops_on_a_stale_mark_and_views_include_it",
         "margin views leave pending funding out")
def _perp_04(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine

    ctx.monkeypatch.setattr(PerpEngine, "side_index_now", lambda self, m, size, price, now: self.side_index(m, size))
    check(ctx.pid_check)()


@injects("P-PERP-05", f"{PERP_PROPS}::test_a_broken_feed_elsewhere_changes_nothing",
         "a margin view reads every market's price", raises=(AssertionError, errors.PoolError))
def _perp_05(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine

    def read_every_price(engine, *args):
        for m in engine.markets:
            engine.index_price(m.index_asset)

    _run_first(ctx.monkeypatch, PerpEngine, "margin", read_every_price)
    check(ctx.pid_check)()


@injects("P-PERP-07",
         "tests/model/test_perp_model.py::test_bankruptcy_insurance_then_socialised_including_the_liquidator",
         "the insurance fund is emptied before every liquidation (never drawn)")
def _perp_07(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine

    _run_first(ctx.monkeypatch, PerpEngine, "liquidate", lambda engine, *args: setattr(engine, "insurance_fund_wad", 0))
    check(ctx.pid_check)()


@injects("P-PERP-11",
         "tests/model/test_perp_attacks.py::test_a_winning_liquidator_pays_its_share_of_the_socialised_loss",
         "the bankruptcy is booked after the liquidator's fill (the order before review-perp)")
def _perp_11(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine

    bankrupt, pending = PerpEngine._bankrupt, []

    def book_pending(engine, *args):
        while pending:
            bankrupt(engine, *pending.pop(0))

    ctx.monkeypatch.setattr(PerpEngine, "_bankrupt", lambda self, *args: pending.append(args))
    _run_after(ctx.monkeypatch, PerpEngine, "fill", book_pending)
    check(ctx.pid_check)()


@injects("P-PERP-12", "tests/model/test_perp_attacks.py::test_liquidating_oneself_from_a_second_account_never_pays",
         "the liquidator's reward is credited twice")
def _perp_12(ctx):
    from protocol_model.exact.perp.perp_engine import LiquidationEvent, PerpEngine

    def pay_again(engine, liquidator, *args):
        engine.cross_balance_wad[liquidator] += [ev for ev in engine.events
                                                 if isinstance(ev, LiquidationEvent)][-1].reward_wad

    _run_after(ctx.monkeypatch, PerpEngine, "liquidate", pay_again)
    check(ctx.pid_check)()


@injects("P-PERP-08", "tests/model/test_perp_model.py::test_funding_is_capped_premium_times_index",
         "the funding step is doubled")
def _perp_08(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine

    original = PerpEngine.funding_step

    def doubled(m, index, fresh):
        premium, rate, delta = original(m, index, fresh)
        return premium, rate, 2 * delta

    ctx.monkeypatch.setattr(PerpEngine, "funding_step", staticmethod(doubled))
    check(ctx.pid_check)()


# ================================================================== chain-side checks, run on the in-process chain

POOL_FAULTS = "tests/crosscheck/test_pool_faults.py"


def _replay_in_process(ctx):
    """The ``replay`` fixture of test_pool_faults.py on a fresh in-process chain: ``start(scenario) -> Replay``."""
    from protocol_model.chain.inprocess import InProcessChain
    from protocol_model.chain.inprocess_world import deploy_in_process
    from protocol_model.chain.replay import Replay

    chain = InProcessChain(ctx.artifacts)
    return lambda scenario: Replay.start(scenario, deploy_in_process(scenario, chain))


def _liquidation_amounts_patched(mp, wrap) -> None:
    """The lending twin's ``liquidation_amounts`` replaced by ``wrap(original, **kwargs)``."""
    from protocol_model.exact.lending import lending_pool

    original = lending_pool.liquidation_amounts
    mp.setattr(lending_pool, "liquidation_amounts", lambda **kw: wrap(original, **kw))


@injects("P-LIQ-05", f"{POOL_FAULTS}::test_item1_dust_liquidation_reverts_and_max_closes_whole",
         "the twin accepts a liquidation that leaves dust (no minimum leftover)", "in-process")
def _liq_05(ctx):
    _liquidation_amounts_patched(ctx.monkeypatch, lambda original, **kw: original(**{**kw, "min_leftover_usd_wad": 0}))
    check(ctx.pid_check)(_replay_in_process(ctx))


@injects("P-LIQ-06", f"{POOL_FAULTS}::test_item2_liquidation_that_seizes_nothing_reverts",
         "the twin names a liquidation that seizes nothing NothingToRepay", "in-process")
def _liq_06(ctx):
    def renamed(original, **kw):
        try:
            return original(**kw)
        except errors.NothingToSeize:
            raise errors.NothingToRepay() from None

    _liquidation_amounts_patched(ctx.monkeypatch, renamed)
    check(ctx.pid_check)(_replay_in_process(ctx))


@injects("P-LOOP-04", "tests/crosscheck/test_loop_stories.py::test_loop_story_agrees",
         "the Looper twin's quotes ask one unit more from the pair (get_amount_in + 1)", "in-process")
def _loop_04(ctx):
    from protocol_model.chain.inprocess import InProcessChain
    from protocol_model.chain.inprocess_world import deploy_in_process
    from protocol_model.exact.strategies import looper
    from tests.crosscheck.conftest import CrosscheckStats, make_checked_replay
    from tests.crosscheck.test_loop_stories import FILES

    original = looper.get_amount_in
    ctx.monkeypatch.setattr(looper, "get_amount_in", lambda out, r_in, r_out: original(out, r_in, r_out) + 1)
    chain = InProcessChain(ctx.artifacts)
    replay = make_checked_replay(lambda scenario: deploy_in_process(scenario, chain), chain, CrosscheckStats())
    for path in FILES:
        check(ctx.pid_check)(replay, path)


# ================================================================== chain-only checks, on the session's ape network
# (tests/mutation/test_property_injections_chain.py provides the fixtures these checks take)


@injects("P-AMM-01", "tests/crosscheck/test_amm.py::test_pair_and_model_agree",
         "the pair twin quotes one unit more out of every swap", "anvil")
def _amm_01(ctx):
    from protocol_model.exact.amm import uniswap_v2_pair as v2

    original = v2.get_amount_out
    ctx.monkeypatch.setattr(v2, "get_amount_out", lambda a, r_in, r_out: original(a, r_in, r_out) + 1)
    check(ctx.pid_check)(ctx.fixture("amm"), ctx.fixture("crosscheck_stats"))


@injects("P-MATH-04", "tests/contracts/test_math_lib.py::test_known_roundings", "the twin's mulDivUp rounds down",
         "anvil")
def _math_04(ctx):
    ctx.monkeypatch.setattr(fp, "mul_div_up", fp.mul_div_down)
    check(ctx.pid_check)(ctx.fixture("math_harness"), 1, 1, 3)


@injects("P-POOL-15", "tests/contracts/test_pool_admin.py::test_roles_guard_setters",
         "the caller the check treats as a stranger holds the admin role (a guard that lets it in)", "anvil")
def _pool_15(ctx):
    pool, token, model, _ = ctx.fixture("pool_setup")
    admin = ctx.fixture("admin")
    check(ctx.pid_check)((pool, token, model, admin), admin)


@injects("P-POOL-16", "tests/contracts/test_reentrancy.py::test_every_token_moving_entry_point_refuses_reentry",
         "the token re-enters through an unguarded view (a re-entry that succeeds)", "anvil")
def _pool_16(ctx):
    from tests.contracts import test_reentrancy as t

    ctx.monkeypatch.setattr(t, "_reentries", lambda pool, evil, world: dict.fromkeys(
        ("supply", "withdraw", "borrow", "repay", "liquidate"), pool.healthFactor.encode_input(evil)))
    check(ctx.pid_check)(ctx.fixture("attack"), ctx.fixture("signers"), ctx.fixture("admin"))


@injects("P-PERP-06", "tests/crosscheck/test_perp_fuzz.py::test_perp_model_and_chain_agree",
         "the perp twin liquidates only accounts with no equity at all", "anvil")
def _perp_06(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine
    from tests.crosscheck import test_perp_fuzz as perp

    ctx.monkeypatch.setattr(PerpEngine, "margin", _no_maintenance(PerpEngine.margin))
    fuzz_settings = perp.fuzz_settings  # a failure is all it takes: no shrinking on the node
    ctx.monkeypatch.setattr(perp, "fuzz_settings", lambda examples, shrink=True: fuzz_settings(examples, False))
    check(ctx.pid_check)(ctx.fixture("perp_fuzz_world"), ctx.fixture("crosscheck_stats"))


def _no_maintenance(original):
    """A perp ``margin`` whose maintenance requirement is zero."""
    def margin(self, account, iso, market, now):
        return replace(original(self, account, iso, market, now), maintenance_wad=0)
    return margin


@injects("P-PERP-09", "tests/crosscheck/test_perp_fuzz.py::test_perp_fuzzer_catches_a_flipped_rounding",
         "the 'flipped' rounding handed to the check is the unflipped one", "anvil", raises=FAILED)
def _perp_09(ctx):
    from protocol_model.exact.perp import perp_math

    ctx.monkeypatch.setattr(perp_math, "floor_div", perp_math.ceil_div)
    check(ctx.pid_check)(ctx.fixture("perp_fuzz_world"), ctx.monkeypatch,
                         "protocol_model.exact.perp.perp_engine.ceil_div")


injects("P-VAULT-10", "tests/model/test_leveraged_token_cooldown.py::"
        "test_no_account_moves_shares_within_its_cooldown_and_no_stranger_extends_it",
        "the vault twin's cooldown check does nothing (redeem and transfer pass within it)")(
    patch_then_check("protocol_model.exact.strategies.leveraged_token.LeveragedToken._check_cooldown",
                     lambda self, account, now: None))


LEV = "tests/crosscheck/test_leveraged_token.py"


def _vault_patched(ctx, name: str, replacement: Callable[[Any], Any], *fixtures: str) -> None:
    """``LeveragedToken.name`` replaced by ``replacement(original)``; the check gets ``fixtures``."""
    from protocol_model.exact.strategies.leveraged_token import LeveragedToken

    ctx.monkeypatch.setattr(LeveragedToken, name, replacement(getattr(LeveragedToken, name)))
    check(ctx.pid_check)(*(ctx.fixture(f) for f in fixtures))


@injects("P-VAULT-01", f"{LEV}::test_random_price_paths_agree", "the vault twin's shares round up on deposit",
         "anvil")
def _vault_01(ctx):
    from protocol_model.exact.strategies.leveraged_token import VIRTUAL_SHARES

    _vault_patched(ctx, "convert_to_shares", lambda _: lambda self, assets: fp.mul_div_up(
        assets, self.total_supply + VIRTUAL_SHARES, self.total_assets() + 1), "lev", "crosscheck_stats")


@injects("P-VAULT-03", f"{LEV}::test_tokens_sent_to_the_vault_are_not_nav",
         "the vault twin counts tokens sent to it in its NAV", "anvil")
def _vault_03(ctx):
    _vault_patched(ctx, "total_assets", lambda original: lambda self: original(self) + self.pool.ledger.balance(
        self.asset, self.address), "lev", "crosscheck_stats")


@injects("P-VAULT-04", f"{LEV}::test_nav_per_share_tracks_leverage_times_the_move",
         "the vault twin reports NAV per share 1% high", "anvil")
def _vault_04(ctx):
    _vault_patched(ctx, "convert_to_assets", lambda original: lambda self, shares: original(self, shares) * 101 // 100,
                   "lev")


# ================================================================== fuzzers' own fault tests and postconditions
# (the in-process worlds come from tests/mutation/test_property_injections.py's fixtures)

NO_FAULT = "the fault the check injects is never applied (its monkeypatch does nothing)"


class _InertPatch:
    """A ``monkeypatch`` whose ``setattr`` does nothing: a targeted fault test handed it injects no fault,
    so its ``pytest.raises`` must fail (the fault test would not catch a twin that escaped its fault)."""

    def setattr(self, *args: Any, **kwargs: Any) -> None:
        """Ignore the patch."""


def _unapplied_fault(ctx, *fixtures: str, args: tuple[Any, ...] = ()) -> None:
    """Call the check (a targeted fault test) with its fixtures, an inert monkeypatch and ``args``."""
    check(ctx.pid_check)(*(ctx.fixture(f) for f in fixtures), _InertPatch(), *args)


@injects("P-AMM-05", "tests/crosscheck/test_amm.py::test_amm_fuzzer_catches_a_flipped_rounding", NO_FAULT,
         "in-process", raises=FAILED)
def _amm_05(ctx):
    _unapplied_fault(ctx, "amm_in_process")


@injects("P-VAULT-09", f"{LEV}::test_leveraged_fuzzer_catches_a_flipped_rounding", NO_FAULT, "in-process",
         raises=FAILED)
def _vault_09(ctx):
    _unapplied_fault(ctx, "lev_in_process")


LOOPER_FUZZ = "tests/crosscheck/test_looper_fuzz.py"


@injects("P-LOOP-11", f"{LOOPER_FUZZ}::test_looper_fuzzer_catches_a_flipped_rounding", NO_FAULT, "in-process",
         raises=FAILED)
def _loop_11(ctx):
    _unapplied_fault(ctx, "looper_world_in_process", args=(
        "protocol_model.exact.strategies.looper.bps_mul_down", "protocol_model.exact.math_lib.bps_mul_up"))


@injects("P-MORPHO-09", "tests/crosscheck/test_morpho_blue.py::test_fuzzer_catches_an_injected_fault", NO_FAULT,
         "in-process", raises=FAILED)
def _morpho_09(ctx):
    _unapplied_fault(ctx, "fuzz_base", args=(
        "protocol_model.exact.presets.morpho_blue.morpho.to_shares_up",
        "protocol_model.exact.presets.morpho_blue.shares_math_lib.to_shares_down"))


@injects("P-AAVE-08", "tests/crosscheck/test_aave_fuzz_inprocess.py::test_fuzzer_catches_an_injected_fault",
         NO_FAULT, "in-process", raises=FAILED)
def _aave_08(ctx):
    _unapplied_fault(ctx, "aave_world")


def _looper_step(ctx, kind: str):
    """A started Looper fuzz machine on the in-process chain after a real flash open by alice (and, for
    ``kind`` 'unwind', a full unwind), both agreeing on both twins: (machine, action, before, after) with
    ``before``/``after`` copies of the model's pool around the last action."""
    from protocol_model.exact.math_lib import BPS
    from protocol_model.world.action import Action
    from protocol_model.world.lending_properties import clone
    from tests.crosscheck import test_looper_fuzz as lf
    from tests.crosscheck.conftest import CrosscheckStats

    world, base_model = ctx.fixture("looper_world_in_process")
    m = lf.make_machine(world, base_model, CrosscheckStats(), {})()
    m.start()
    ctx.finalizers.append(m.teardown)
    opening = Action("loop_open", "alice", amount=10**18, collateral="WETH", debt="USDC", mode="flash",
                     leverage_bps=20_000, max_slippage_bps=lf.MAX_SLIPPAGE_BPS)
    action = opening
    if kind == "unwind":
        assert m.do(opening) == "ok"
        action = Action("loop_unwind", "alice", collateral="WETH", debt="USDC", fraction_bps=BPS,
                        max_slippage_bps=lf.MAX_SLIPPAGE_BPS)
    before = clone(m.model.pool)
    assert m.do(action) == "ok"
    after = clone(m.model.pool)
    m.check_loop(action, "ok", before, clone(after))  # the real step passes
    return m, action, before, after


def _broken_loop(ctx, kind: str, corrupt: Callable[[Any, Any], None]) -> None:
    """``check_loop`` of a real Looper step whose before/after pools are ``corrupt``-ed."""
    m, action, before, after = _looper_step(ctx, kind)
    corrupt(before, after)
    m.check_loop(action, "ok", before, after)


@injects("P-LOOP-06", f"{LOOPER_FUZZ}::check_loop", "an open leaves one more unit of collateral in the wallet",
         "in-process")
def _loop_06(ctx):
    _broken_loop(ctx, "open", lambda before, after: after.ledger.mint("WETH", "alice", 1))


@injects("P-LOOP-07", f"{LOOPER_FUZZ}::check_loop", "an open leaves the debt at ten times the borrow capacity",
         "in-process")
def _loop_07(ctx):
    def above_capacity(before, after):
        after.scaled_debt[("USDC", "alice")] *= 10
    _broken_loop(ctx, "open", above_capacity)


@injects("P-LOOP-08", f"{LOOPER_FUZZ}::check_loop", "an open borrows for a user who never authorized the Looper",
         "in-process")
def _loop_08(ctx):
    from tests.crosscheck.test_looper_fuzz import LOOPER

    _broken_loop(ctx, "open", lambda before, after: before.authorizations.discard(("alice", LOOPER)))


@injects("P-LOOP-09", f"{LOOPER_FUZZ}::check_loop", "a full unwind leaves one unit of debt", "in-process")
def _loop_09(ctx):
    def debt_left(before, after):
        after.scaled_debt[("USDC", "alice")] = after.scaled_debt.get(("USDC", "alice"), 0) + 1
    _broken_loop(ctx, "unwind", debt_left)


@injects("P-LOOP-10", f"{LOOPER_FUZZ}::looper_keeps_nothing", "the Looper keeps one unit of USDC", "in-process")
def _loop_10(ctx):
    from tests.crosscheck.test_looper_fuzz import LOOPER

    m, *_ = _looper_step(ctx, "open")
    m.model.pool.ledger.mint("USDC", LOOPER, 1)
    m.looper_keeps_nothing()


@injects("P-LOOP-12",
         "tests/chain/test_inprocess_looper_callback.py::test_only_the_pool_and_the_loopers_own_flash_loan_reach_its_callback",
         "the flash loan the check sends is alice's own unwind (a callback that lets its caller in)", "in-process")
def _loop_12(ctx):
    def own_unwind(rig, data, debt):
        cw = rig.rp.chain
        out = rig.send(cw.amm.looper, "unwind", cw.tokens["WETH"], cw.tokens["USDC"], fp.BPS, 59, 0, fp.UINT256_MAX,
                       sender=cw.signers["alice"])
        return out, out

    ctx.monkeypatch.setattr("tests.chain.test_inprocess_looper_callback.attack", own_unwind)
    check(ctx.pid_check)(_start_in_process(ctx))


@injects("P-LOOP-13", "tests/chain/test_inprocess_looper_min_out.py::test_the_users_guard_holds_under_a_front_run",
         "the Looper twin's iterative open ignores the user's minSupplied", "in-process")
def _loop_13(ctx):
    from protocol_model.exact.strategies.looper import Looper
    from protocol_model.world.action import Action
    from tests.crosscheck.test_looper_fuzz import PAIR, TRADER

    original = Looper.open_iterative
    ctx.monkeypatch.setattr(Looper, "open_iterative",
                            lambda self, *a, min_supplied=0, **kw: original(self, *a, min_supplied=0, **kw))
    front_run = Action("swap", TRADER, "USDC", 100_000 * 10**6, pair=PAIR)
    check(ctx.pid_check)(_start_in_process(ctx), "iterative", front_run, "InsufficientOutput")


def _no_shrinking(ctx, module: Any) -> None:
    """``module.fuzz_settings`` without shrinking (a failure is all an injection needs)."""
    fuzz_settings = module.fuzz_settings
    ctx.monkeypatch.setattr(module, "fuzz_settings", lambda examples, *a, shrink=True: fuzz_settings(
        examples, *a, shrink=False))


@injects("P-LOOP-05", f"{LOOPER_FUZZ}::test_looper_model_and_in_process_chain_agree",
         "the Looper twin's borrow fraction rounds up (bps_mul_down -> bps_mul_up in looper)", "in-process",
         match="!=|chain")
def _loop_05(ctx):
    from tests.crosscheck import test_looper_fuzz as lf

    ctx.monkeypatch.setattr("protocol_model.exact.strategies.looper.bps_mul_down", fp.bps_mul_up)
    _no_shrinking(ctx, lf)
    check(ctx.pid_check)(ctx.fixture("looper_world_in_process"), ctx.fixture("crosscheck_suite"),
                         ctx.fixture("capsys"))


@injects("P-PERP-10", "tests/crosscheck/test_perp_fuzz.py::test_perp_model_and_in_process_chain_agree",
         "the perp twin liquidates only accounts with no equity at all", "in-process")
def _perp_10(ctx):
    from protocol_model.exact.perp.perp_engine import PerpEngine
    from tests.crosscheck import test_perp_fuzz as perp

    ctx.monkeypatch.setattr(PerpEngine, "margin", _no_maintenance(PerpEngine.margin))
    _no_shrinking(ctx, perp)
    check(ctx.pid_check)(ctx.fixture("perp_fuzz_world_in_process"), ctx.fixture("crosscheck_suite"),
                         ctx.fixture("capsys"))


MORPHO_TWIN = "tests/exact/test_morpho_blue_twin.py"


@injects("P-MORPHO-07", f"{MORPHO_TWIN}::test_a_revert_leaves_every_piece_of_state_untouched",
         "Journal.rollback restores nothing, so a late revert keeps the accrual")
def _morpho_07(ctx):
    from tests.exact.test_morpho_blue_twin import BOB, PARAMS

    break_journal(ctx.monkeypatch)
    check(ctx.pid_check)(lambda m: m.borrow(BOB, PARAMS, 10**9, 0, BOB, BOB, 90_000_000), "insufficient collateral")


@injects("P-MORPHO-08", f"{MORPHO_TWIN}::test_error_names_and_strings_are_errorslib",
         "the twin's unauthorized error carries another reason string")
def _morpho_08(ctx):
    from protocol_model.exact.presets.morpho_blue import errors_lib

    ctx.monkeypatch.setattr(errors_lib.UNAUTHORIZED, "reason", "not authorized")
    check(ctx.pid_check)()


@injects("P-AAVE-07", "tests/presets/aave/test_libraries_against_chain.py::test_wad_ray_math_equals_the_library",
         "the twin's rayMul rounds down instead of half up", "in-process")
def _aave_07(ctx):
    from protocol_model.exact.presets.aave_v3 import wad_ray_math
    from tests.presets.aave import test_libraries_against_chain as t

    ctx.monkeypatch.setattr(wad_ray_math, "ray_mul", lambda a, b: a * b // wad_ray_math.RAY)
    chain = t.chain.__wrapped__()
    check(ctx.pid_check)(chain, t.wrapper.__wrapped__(chain))


@injects("P-AAVE-09", "tests/presets/aave/test_protocol_file.py::test_bad_markets_are_refused_with_the_rule",
         "a refused reserve's error no longer names the rule (PoolConfigurator's INVALID_RESERVE_PARAMS)")
def _aave_09(ctx):
    def unnamed(bps):
        raise ValueError("invalid reserve")

    ctx.monkeypatch.setattr("protocol_model.scenario.aave_v3.format_bps", unnamed)
    check(ctx.pid_check)({"aave_v3.reserves.WETH.ltv": "83%"}, "above the liquidation threshold")


MORPHO_FUZZ = "tests/crosscheck/morpho_fuzz.py"


def _morpho_state(ctx):
    """(model copy, account addresses, market tuples before) of the Morpho fuzz base (seeded positions on the
    in-process chain, where model and real Morpho agree)."""
    import copy

    base = ctx.fixture("fuzz_base")
    model = copy.deepcopy(base["model"])
    before = {name: _morpho_market(model, name).as_tuple() for name in model.params}
    return model, base["chain"].addresses.accounts, before


def _morpho_market(model, name: str):
    from protocol_model.exact.presets.morpho_blue.market_params_lib import market_id

    return model.morpho.market_of(market_id(model.params[name]))


def _morpho_position(model, name: str, who: str):
    from protocol_model.exact.presets.morpho_blue.market_params_lib import market_id

    return model.morpho.position_of(market_id(model.params[name]), who)


def _morpho_op(kind: str, sender: str, on_behalf: str, market: str = "wstETH_USDC", assets: int = 1):
    from protocol_model.world.morpho_blue_world import MorphoOp

    return MorphoOp(kind, sender, market, assets=assets, on_behalf=on_behalf, receiver=sender)


@injects("P-MORPHO-02", f"{MORPHO_FUZZ}::solvent", "a market lends more than its suppliers put in", "in-process")
def _morpho_02(ctx):
    from tests.crosscheck import morpho_fuzz
    from tests.crosscheck.conftest import CrosscheckStats

    base = ctx.fixture("fuzz_base")
    m = morpho_fuzz.make_machine(base, CrosscheckStats())()
    m.start()
    market = m._market("wstETH_USDC")
    market.total_borrow_assets = market.total_supply_assets + 1
    m.solvent()


@injects("P-MORPHO-03", f"{MORPHO_FUZZ}::check_transition", "a supply lowers the supply share price",
         "in-process")
def _morpho_03(ctx):
    from tests.crosscheck.morpho_fuzz import check_transition

    model, acct, before = _morpho_state(ctx)
    _morpho_market(model, "wstETH_USDC").total_supply_assets -= 10**6
    check_transition(model, _morpho_op("supply", acct["alice"], acct["alice"]), "ok", before)


@injects("P-MORPHO-04", f"{MORPHO_FUZZ}::check_transition", "an unauthorized on-behalf borrow passes",
         "in-process")
def _morpho_04(ctx):
    from tests.crosscheck.morpho_fuzz import check_transition

    model, acct, before = _morpho_state(ctx)
    assert (acct["alice"], acct["dave"]) not in model.morpho.is_authorized
    check_transition(model, _morpho_op("borrow", acct["dave"], acct["alice"]), "ok", before)


@injects("P-MORPHO-05", f"{MORPHO_FUZZ}::check_transition", "a borrow leaves the position at twice its limit",
         "in-process")
def _morpho_05(ctx):
    from tests.crosscheck.morpho_fuzz import check_transition

    model, acct, before = _morpho_state(ctx)
    _morpho_position(model, "wstETH_USDC", acct["carol"]).borrow_shares *= 2
    check_transition(model, _morpho_op("borrow", acct["carol"], acct["carol"]), "ok", before)


@injects("P-MORPHO-06", f"{MORPHO_FUZZ}::check_transition",
         "a liquidation takes the last collateral and leaves the borrow shares", "in-process")
def _morpho_06(ctx):
    from tests.crosscheck.morpho_fuzz import check_transition

    model, acct, before = _morpho_state(ctx)
    _morpho_position(model, "wstETH_USDC", acct["carol"]).collateral = 0
    check_transition(model, _morpho_op("liquidate", acct["bob"], acct["carol"]), "ok", before)

AAVE_MACHINE = "tests/crosscheck/aave_machine.py"
AAVE_STORIES = "tests/crosscheck/test_aave_stories_inprocess.py"


def _aave_machine(ctx):
    """A started Aave fuzz machine on the in-process chain (torn down after the injection)."""
    from tests.crosscheck.aave_machine import make_machine
    from tests.crosscheck.conftest import CrosscheckStats

    m = make_machine(ctx.fixture("aave_world"), CrosscheckStats())()
    m.start()
    ctx.finalizers.append(m.teardown)
    return m


def _aave_units(ctx, asset: str, whole: int) -> int:
    return whole * 10 ** ctx.fixture("aave_world").market.params.reserve(asset).decimals


def _aave_borrower(ctx, m) -> None:
    """alice lends 100,000 USDC; bob supplies 10 WETH (both real, passing on both twins)."""
    from protocol_model.world.aave_v3 import OK, AaveAction

    assert m.do(AaveAction("supply", "alice", "USDC", _aave_units(ctx, "USDC", 100_000))) == OK
    assert m.do(AaveAction("supply", "bob", "WETH", _aave_units(ctx, "WETH", 10))) == OK


@injects("P-AAVE-02", f"{AAVE_MACHINE}::do", "a supply lowers the liquidity index by one unit", "in-process",
         match="an index fell")
def _aave_02(ctx):
    from protocol_model.world.aave_v3 import AaveAction

    def lower(world, result):
        world.model.reserves["USDC"].liquidity_index -= 1
    m = _aave_machine(ctx)
    _aave_machine_step_then(ctx, lower)
    m.do(AaveAction("supply", "alice", "USDC", _aave_units(ctx, "USDC", 1_000)))


@injects("P-AAVE-03", f"{AAVE_MACHINE}::do", "a liquidation of a healthy account passes (on both twins)",
         "in-process", match="healthy account was liquidated")
def _aave_03(ctx):
    from dataclasses import replace as dc_replace

    from protocol_model.world.aave_v3 import MAX, OK, AaveAction

    m = _aave_machine(ctx)
    _aave_borrower(ctx, m)
    assert m.do(AaveAction("borrow", "bob", "USDC", _aave_units(ctx, "USDC", 100))) == OK
    ctx.monkeypatch.setattr(ctx.fixture("aave_world"), "step", _passing(ctx.fixture("aave_world").step, dc_replace))
    m.do(AaveAction("liquidate", "carol", "WETH", MAX, "bob", "USDC"))


def _passing(step, dc_replace):
    """``step`` whose outcome is ok on both twins, whatever the calls returned."""
    from protocol_model.world.aave_v3 import OK

    return lambda *args, **kwargs: dc_replace(step(*args, **kwargs), model=OK, chain=OK)


@injects("P-AAVE-04", f"{AAVE_MACHINE}::do", "a borrow leaves the account with its collateral priced at one unit",
         "in-process", match="HF < 1")
def _aave_04(ctx):
    from protocol_model.world.aave_v3 import AaveAction

    def crash(world, result):
        world.model.prices["WETH"] = 1
    m = _aave_machine(ctx)
    _aave_borrower(ctx, m)
    _aave_machine_step_then(ctx, crash)
    m.do(AaveAction("borrow", "bob", "USDC", _aave_units(ctx, "USDC", 100)))


def _aave_machine_step_then(ctx, after: Callable[[Any, Any], Any]) -> None:
    """``world.step`` wrapped: ``after(world, result)`` runs once both twins have stepped and been compared
    (it changes the model behind the comparison's back)."""
    world = ctx.fixture("aave_world")
    step = world.step

    def wrapped(*args, **kwargs):
        result = step(*args, **kwargs)
        after(world, result)
        return result
    ctx.monkeypatch.setattr(world, "step", wrapped)


def _aave_story(ctx, name: str) -> None:
    """The catalogue's story check on ``scenarios/presets/aave/<name>.yaml`` (the in-process market)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scenarios" / "presets" / "aave" / f"{name}.yaml"
    check(ctx.pid_check)(path, ctx.fixture("aave_market_chain"), ctx.fixture("crosscheck_suite"))


@injects("P-AAVE-01", f"{AAVE_STORIES}::test_story_agrees_with_real_aave",
         "the twin's liquidation takes its percentages rounded down (percent_mul floors)", "in-process",
         match=r"\.yaml step \d+")
def _aave_01(ctx):
    ctx.monkeypatch.setattr("protocol_model.exact.presets.aave_v3.liquidation_logic.percent_mul",
                            lambda value, bps: value * bps // 10_000)
    _aave_story(ctx, "bonus_and_protocol_fee")


@injects("P-AAVE-05", f"{AAVE_STORIES}::test_story_agrees_with_real_aave",
         "the twin's close factor switches to 100% at HF 0.90 instead of 0.95", "in-process", match=r"\.yaml step \d+")
def _aave_05(ctx):
    ctx.monkeypatch.setattr("protocol_model.exact.presets.aave_v3.liquidation_logic.CLOSE_FACTOR_HF_THRESHOLD",
                            90 * fp.WAD // 100)
    _aave_story(ctx, "close_factor_boundary")


@injects("P-AAVE-06", f"{AAVE_STORIES}::test_story_agrees_with_real_aave",
         "the twin writes off the debt left when a liquidation takes the last collateral", "in-process",
         match=r"\.yaml step \d+")
def _aave_06(ctx):
    from protocol_model.exact.presets.aave_v3 import liquidation_logic, pool
    from protocol_model.exact.presets.aave_v3.tokenization import a_token_balance_of

    liquidate = liquidation_logic.execute_liquidation_call

    def writing_off(ps, caller, collateral_asset, debt_asset, user, *args):
        amounts = liquidate(ps, caller, collateral_asset, debt_asset, user, *args)
        debt = ps.reserves[debt_asset]
        left = debt.variable_debt_token.scaled_balance_of(user)
        if a_token_balance_of(ps, ps.reserves[collateral_asset], user) == 0 and left:
            debt.variable_debt_token.burn_scaled(user, left)
        return amounts
    ctx.monkeypatch.setattr(pool, "execute_liquidation_call", writing_off)
    _aave_story(ctx, "bad_debt_left")


@injects("P-MORPHO-01", "tests/crosscheck/test_morpho_blue.py::test_story_on_real_morpho_in_process",
         "the twin's compounding is a simple product (w_taylor_compounded -> w_mul_down)", "in-process",
         match=r"\.yaml step \d+")
def _morpho_01(ctx):
    from pathlib import Path

    from protocol_model.exact.presets.morpho_blue import math_lib

    ctx.monkeypatch.setattr("protocol_model.exact.presets.morpho_blue.morpho.w_taylor_compounded", math_lib.w_mul_down)
    path = Path(__file__).resolve().parents[2] / "scenarios" / "presets" / "morpho" / "interest_months.yaml"
    check(ctx.pid_check)(path, ctx.fixture("crosscheck_suite"))


TABLE_HEADER = ("| Id | Side | Injected violation | Caught by |", "|---|---|---|---|")


def injection_table() -> str:
    """The Markdown table of every injection (docs/PROPERTIES.md, "Mutation tests"), in id order."""
    rows = [f"| `{i.pid}` | {i.side} | {i.breaks} | `{i.check.split('::')[-1]}` |"
            for i in sorted(INJECTIONS.values(), key=lambda i: (i.pid.rsplit("-", 1)[0], i.pid))]
    return "\n".join((*TABLE_HEADER, *rows))
