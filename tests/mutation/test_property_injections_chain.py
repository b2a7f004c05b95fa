"""The injected violations of the chain-only checks (side ``anvil`` in tests/mutation/injections.py), run on the
session's ape network with the fixtures those checks take: the pair, the leveraged-token world, the perp fuzz
world, the pool admin set-up, the re-entrant token and the MathLib harness.

A local ``crosscheck_stats`` keeps the mismatches these runs provoke out of the session's cross-check totals.
"""

from __future__ import annotations

import pytest

from tests.contracts.test_pool_admin import pool_setup  # noqa: F401  (fixtures of the checks called)
from tests.contracts.test_reentrancy import attack  # noqa: F401
from tests.crosscheck.conftest import CrosscheckStats
from tests.crosscheck.test_amm import amm  # noqa: F401
from tests.crosscheck.test_leveraged_token import lev  # noqa: F401
from tests.crosscheck.test_perp_fuzz import perp_fuzz_world  # noqa: F401
from tests.mutation.injections import INJECTIONS
from tests.mutation.test_property_injections import run_injection

ON_CHAIN = sorted(pid for pid, inj in INJECTIONS.items() if inj.side == "anvil")


@pytest.fixture
def crosscheck_stats() -> CrosscheckStats:
    """Counts of this module's provoked mismatches, apart from the session's."""
    return CrosscheckStats()


@pytest.mark.parametrize("pid", ON_CHAIN)
def test_an_injected_violation_is_caught_on_chain(pid, monkeypatch, request):
    run_injection(INJECTIONS[pid], monkeypatch, request)
