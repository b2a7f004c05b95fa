"""The lending differential fuzzer on the in-process chain (revm), at scale.

The same hypothesis state machine as test_differential_fuzz.py (every rule: supplies, on-behalf borrows and
withdrawals, repays, liquidations, price moves, oracle failures, stale and malformed rounds, huge answers,
warps, pauses), the same transition checks and invariants, against the same ``ChainWorld`` and step registry
that run on anvil, deployed on an ``InProcessChain`` from the same compiled bytecode: after every operation
the outcome (ok or the same error name) and every observable field must agree to the wei.

It needs no node (``pytest -p no:ape_test tests/crosscheck/test_fuzz_inprocess.py`` runs it) and counts its
operations in its own cross-check suite line. INPROCESS_FUZZ_EXAMPLES sets the number of sequences (default
2,900, about 105,000 operations); test_differential_fuzz.py keeps a smaller slice on anvil so both paths
stay honest.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis.stateful import run_state_machine_as_test

from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.scenario.fuzz import fuzz_scenario
from protocol_model.world.model_world import ModelWorld
from tests.crosscheck import test_differential_fuzz as lending

EXAMPLES = int(os.environ.get("INPROCESS_FUZZ_EXAMPLES", "2000"))
SUITE = "in-process lending fuzz"
MIN_OPERATIONS_PER_SEQUENCE = 20
"""A sequence is ``STEPS`` rules, some of which send several operations: far fewer means the machine
stopped early (a broken rule), not a pass."""


@pytest.fixture(scope="module")
def fuzz_world():
    """The fuzz scenario (oracle policies included) as a ``ChainWorld`` on a fresh in-process chain, and its
    model twin."""
    scenario = fuzz_scenario()
    world = deploy_in_process(scenario)
    return world, ModelWorld(scenario, world.listed_at, world.feed_times)


def test_model_and_in_process_chain_agree(fuzz_world, crosscheck_suite, capsys):
    world, base_model = fuzz_world
    stats = crosscheck_suite(SUITE)
    start, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(lending.make_machine(world, base_model, stats), settings=lending.fuzz_settings(EXAMPLES))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with capsys.disabled():
        print(f"\n{SUITE}: {stats.operations} operations in {wall:.1f} s wall ({stats.operations / wall:.0f} ops/s), "
              f"{cpu:.1f} s CPU ({stats.operations / max(cpu, 1e-9):.0f} ops/s); "
              f"{stats.unfunded_debt} accruals over debt above the supply (empty_market)")
    assert stats.mismatches == 0
    assert stats.sequences >= EXAMPLES
    assert stats.operations >= MIN_OPERATIONS_PER_SEQUENCE * stats.sequences, stats
    assert stats.on_behalf_authorized and stats.on_behalf_unauthorized, "on-behalf rules never ran both ways"
    assert stats.unfunded_debt >= lending.min_unfunded_debt(stats.sequences), stats


test_in_process_fuzzer_catches_a_flipped_rounding = lending.test_fuzzer_catches_a_flipped_rounding
"""The flipped-rounding check of test_differential_fuzz.py, run here against this module's in-process
``fuzz_world``: a model with one rounding direction flipped must be caught as a mismatch."""

test_in_process_fuzzer_catches_a_kept_consent = lending.test_fuzzer_catches_a_kept_consent
"""The kept-consent check of test_differential_fuzz.py against the in-process ``fuzz_world``: a model that keeps the
collateral consent of a supply withdrawn whole is named (``collateral_consent``) on that withdrawal."""
