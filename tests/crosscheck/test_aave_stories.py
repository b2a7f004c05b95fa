"""Every Aave story replayed on the real Aave V3 bytecode deployed on the session's ape network (anvil under
``make test``) and on the twin, every observable compared after every step."""

from __future__ import annotations

import pytest

from protocol_model.chain.aave_v3.replay import deploy_lensed_market, play_story
from protocol_model.chain.driver import restoring
from protocol_model.scenario.protocol import load_protocol
from tests.crosscheck.test_aave_stories_inprocess import STORIES, check_story


@pytest.fixture(scope="module")
def aave_market(driver, accounts):
    """The example market (protocols/aave_v3_market.yaml), deployed once; each story runs on it and the chain
    is put back afterwards."""
    return deploy_lensed_market(driver, load_protocol("aave_v3_market").aave_v3.params(), list(accounts))


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_story_agrees_with_real_aave_on_the_network(path, driver, accounts, aave_market, crosscheck_stats):
    with restoring(driver):
        results = play_story(driver, list(accounts), str(path), aave_market)
    check_story(results, crosscheck_stats, path.name)
