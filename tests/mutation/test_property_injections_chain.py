"""The injected violations of the chain-only checks (side ``anvil`` in tests/mutation/injections.py), run on the
session's ape network with the fixtures those checks take: the pair, the leveraged-token world, the perp fuzz
world, the pool admin set-up, the re-entrant token and the MathLib harness.

Each injection gets fresh worlds (the checks' module fixtures, built again per test here): a check that fails
half-way leaves no state behind for the next injection. A local ``crosscheck_stats`` keeps the mismatches these
runs provoke out of the session's cross-check totals.
"""

from __future__ import annotations

import pytest

from tests.contracts import test_pool_admin, test_reentrancy
from tests.crosscheck import test_amm, test_leveraged_token, test_perp_fuzz
from tests.crosscheck.conftest import CrosscheckStats
from tests.mutation.injections import INJECTIONS
from tests.mutation.test_property_injections import run_injection

ON_CHAIN = sorted(pid for pid, inj in INJECTIONS.items() if inj.side == "anvil")


@pytest.fixture
def pool_setup(project, admin, accounts):
    return test_pool_admin.pool_setup.__wrapped__(project, admin, accounts)


@pytest.fixture
def attack(project, admin, signers, deploy_world):
    return test_reentrancy.attack.__wrapped__(project, admin, signers, deploy_world)


@pytest.fixture
def amm(project, admin, signers, driver):
    return test_amm.amm.__wrapped__(project, admin, signers, driver)


@pytest.fixture
def lev(project, admin, signers):
    return test_leveraged_token.lev.__wrapped__(project, admin, signers)


@pytest.fixture
def perp_fuzz_world(project, admin, signers, fuzz_driver):
    return test_perp_fuzz.perp_fuzz_world.__wrapped__(project, admin, signers, fuzz_driver)


@pytest.fixture
def crosscheck_stats() -> CrosscheckStats:
    """Counts of this module's provoked mismatches, apart from the session's."""
    return CrosscheckStats()


@pytest.mark.parametrize("pid", ON_CHAIN)
def test_an_injected_violation_is_caught_on_chain(pid, monkeypatch, request):
    run_injection(INJECTIONS[pid], monkeypatch, request)
