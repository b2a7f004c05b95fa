"""The Aave V3 differential fuzzer on the in-process chain: the real Aave V3 bytecode (npm @aave/core-v3
1.19.3) against the exact twin, at least 10,000 operations with 0 mismatches (AAVE_FUZZ_EXAMPLES sequences of
up to AAVE_FUZZ_STEPS rules), and a targeted injected fault (the compounded interest's third term dropped
from the twin) that the fuzzer must catch."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from hypothesis.stateful import run_state_machine_as_test

from tests.crosscheck.aave_machine import deploy_in_process, fuzz_settings, make_machine

EXAMPLES = int(os.environ.get("AAVE_FUZZ_EXAMPLES", "200"))
STEPS = int(os.environ.get("AAVE_FUZZ_STEPS", "50"))
MIN_OPERATIONS = int(os.environ.get("AAVE_FUZZ_MIN_OPERATIONS", "10000"))
SUITE = "in-process aave-v3 fuzz"


@pytest.fixture(scope="module")
def aave_world():
    """The fuzzed Aave V3 market on a fresh in-process chain, with its twin."""
    return deploy_in_process()


def test_model_and_real_aave_agree(aave_world, crosscheck_suite, capsys):
    stats, outcomes = crosscheck_suite(SUITE), Counter()
    start, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(make_machine(aave_world, stats, outcomes), settings=fuzz_settings(EXAMPLES, STEPS))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with capsys.disabled():
        print(f"\n{SUITE}: {stats.operations} operations in {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"({stats.operations / max(cpu, 1e-9):.0f} ops/s CPU)")
        print(f"{SUITE} outcomes: " + ", ".join(f"{op} {out}: {n}" for (op, out), n in sorted(outcomes.items())))
    assert stats.mismatches == 0
    assert stats.operations >= MIN_OPERATIONS, stats
    passed = {op for (op, out), n in outcomes.items() if out == "ok"}
    assert {"supply", "withdraw", "borrow", "repay", "liquidate", "collateral", "emode", "price"} <= passed, \
        f"some operations never passed: {sorted(outcomes.items())}"
    if EXAMPLES >= 250:  # the default run reaches eMode liquidations and the isolation debt ceiling
        assert outcomes[("liquidate in eMode", "ok")] >= 10, sorted(outcomes.items())
        assert outcomes[("borrow", "53")] >= 5, sorted(outcomes.items())


def test_fuzzer_catches_an_injected_fault(aave_world, monkeypatch):
    """The twin's compounded interest without its third binomial term: the indexes drift from the chain's
    after a long warp with debt outstanding, and the fuzzer must report it."""
    from protocol_model.exact.presets.aave_v3 import math_utils, reserve_logic
    from protocol_model.exact.presets.aave_v3.wad_ray_math import RAY, ray_mul
    from tests.crosscheck.conftest import CrosscheckStats

    def two_terms(rate: int, last: int, now: int) -> int:
        exp = now - last
        if exp == 0:
            return RAY
        second = exp * max(exp - 1, 0) * (ray_mul(rate, rate) // math_utils.SECONDS_PER_YEAR**2) // 2
        return RAY + rate * exp // math_utils.SECONDS_PER_YEAR + second

    monkeypatch.setattr(reserve_logic, "calculate_compounded_interest", two_terms)
    stats = CrosscheckStats()
    with pytest.raises(AssertionError, match="normalizedDebt|variableBorrowIndex|Debt"):
        run_state_machine_as_test(make_machine(aave_world, stats), settings=fuzz_settings(50, STEPS, shrink=False))
    assert stats.mismatches > 0


def test_fuzzer_catches_a_wrong_emode_bonus(aave_world, monkeypatch):
    """The eMode category's liquidation bonus one bps too high in the twin: only a passing liquidation of an
    eMode position on an eMode collateral shows it (the reserves' bonuses are untouched)."""
    from protocol_model.exact.presets.aave_v3 import liquidation_logic
    from tests.crosscheck.conftest import CrosscheckStats

    real = liquidation_logic.calculate_available_collateral_to_liquidate

    def bonus_plus_one(collateral, debt, c_price, d_price, amount, user_collateral, bonus):
        wrong = bonus + 1 if bonus == aave_world.model.emode_categories[1].liquidation_bonus else bonus
        return real(collateral, debt, c_price, d_price, amount, user_collateral, wrong)

    monkeypatch.setattr(liquidation_logic, "calculate_available_collateral_to_liquidate", bonus_plus_one)
    stats = CrosscheckStats()
    with pytest.raises(AssertionError):
        run_state_machine_as_test(make_machine(aave_world, stats), settings=fuzz_settings(80, STEPS, shrink=False))
    assert stats.mismatches > 0


@pytest.mark.parametrize("field,fault", [
    ("WETH.configuration", lambda model: setattr(model.reserves["WETH"], "ltv", model.reserves["WETH"].ltv + 1)),
    ("DAI.configuration", lambda model: setattr(model.reserves["DAI"], "reserve_factor",
                                                model.reserves["DAI"].reserve_factor + 1)),
    ("WBTC.oracle.getAssetPrice", lambda model: model.set_price("WBTC", model.prices["WBTC"] + 1)),
])
def test_compare_reads_configuration_and_oracle_prices(aave_world, field, fault):
    """One unit off in the twin's reserve configuration or oracle price (on a fresh deployment, where no
    account holds a position) shows as exactly that observable differing from the chain."""
    import copy

    saved = copy.deepcopy(aave_world.model)
    try:
        assert aave_world.compare() == ()
        fault(aave_world.model)
        assert [name for name, _, _ in aave_world.compare()] == [field]
    finally:
        aave_world.model = saved
