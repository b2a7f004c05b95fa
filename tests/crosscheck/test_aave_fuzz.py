"""A slice of the Aave V3 differential fuzzer on the session's ape network (anvil under ``make test``): the
same state machine as test_aave_fuzz_inprocess.py, the real Aave V3 bytecode deployed through ape."""

from __future__ import annotations

import os

import pytest
from hypothesis.stateful import run_state_machine_as_test

from protocol_model.chain.aave_v3.replay import AaveChainWorld
from tests.crosscheck.aave_machine import USERS, fuzz_market, fuzz_settings, make_machine, starting_balances

EXAMPLES = int(os.environ.get("AAVE_ANVIL_FUZZ_EXAMPLES", "4"))


@pytest.fixture(scope="module")
def aave_chain_world(driver, accounts):
    market = fuzz_market()
    return AaveChainWorld.deploy(driver, market, list(accounts), USERS, starting_balances(market))


def test_model_and_real_aave_agree_on_the_network(aave_chain_world, crosscheck_stats):
    before = crosscheck_stats.mismatches
    run_state_machine_as_test(make_machine(aave_chain_world, crosscheck_stats), settings=fuzz_settings(EXAMPLES, 25))
    assert crosscheck_stats.mismatches == before
