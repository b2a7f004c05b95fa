"""Morpho Blue preset on the session's ape network (anvil under ``make test``): every story of
scenarios/presets/morpho/ and a slice of the differential fuzzer against the real Morpho Blue 1.0.0 bytecode,
deployed through ape, so the anvil path stays as honest as the in-process one (tests/crosscheck/test_morpho_blue.py
carries the 10,000-operation fuzz). MORPHO_ANVIL_FUZZ_EXAMPLES sets the slice (default 6 sequences)."""

from __future__ import annotations

import os

import pytest
from hypothesis.stateful import run_state_machine_as_test

from tests.crosscheck.conftest import CONNECTED_SUITE
from tests.crosscheck.morpho_fuzz import deploy_fuzz_world, fuzz_settings, make_machine
from tests.crosscheck.test_morpho_blue import STORIES, check_story

EXAMPLES = int(os.environ.get("MORPHO_ANVIL_FUZZ_EXAMPLES", "3"))


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_story_on_real_morpho(path, driver, accounts, crosscheck_suite):
    from protocol_model.chain.driver import restoring

    with restoring(driver):
        check_story(path, driver, accounts[0], list(accounts)[1:], crosscheck_suite(CONNECTED_SUITE))


def test_model_and_real_morpho_agree(driver, accounts, crosscheck_suite):
    from protocol_model.chain.driver import restoring

    stats = crosscheck_suite(CONNECTED_SUITE)
    with restoring(driver):
        base = deploy_fuzz_world(driver, accounts[0], list(accounts)[1:5])
        before = stats.operations
        run_state_machine_as_test(make_machine(base, stats), settings=fuzz_settings(EXAMPLES))
    assert stats.mismatches == 0
    assert stats.operations - before >= 20 * EXAMPLES
