"""The injected violations of the chain-only checks (side ``anvil`` in tests/mutation/injections.py), run on the
session's ape network with the fixtures those checks take: the pair, the leveraged-token world, the perp fuzz
world, the pool admin set-up, the re-entrant token and the MathLib harness.

Each injection gets fresh worlds (the checks' module fixtures, built again per test here): a check that fails
half-way leaves no state behind for the next injection. A local ``crosscheck_stats`` keeps the mismatches these
runs provoke out of the session's cross-check totals.
"""

from __future__ import annotations

import pytest

from tests.crosscheck.conftest import CrosscheckStats
from tests.mutation.injections import INJECTIONS
from tests.mutation.test_property_injections import borrowed_fixture, run_injection

ON_CHAIN = sorted(pid for pid, inj in INJECTIONS.items() if inj.side == "anvil")


pool_setup = borrowed_fixture("tests.contracts.test_pool_admin", "pool_setup", "function")
attack = borrowed_fixture("tests.contracts.test_reentrancy", "attack", "function")
amm = borrowed_fixture("tests.crosscheck.test_amm", "amm", "function")
lev = borrowed_fixture("tests.crosscheck.test_leveraged_token", "lev", "function")
perp_fuzz_world = borrowed_fixture("tests.crosscheck.test_perp_fuzz", "perp_fuzz_world", "function")


@pytest.fixture
def crosscheck_stats() -> CrosscheckStats:
    """Counts of this module's provoked mismatches, apart from the session's."""
    return CrosscheckStats()


@pytest.mark.parametrize("pid", ON_CHAIN)
def test_an_injected_violation_is_caught_on_chain(pid, monkeypatch, request):
    run_injection(INJECTIONS[pid], monkeypatch, request)
