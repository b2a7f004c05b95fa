"""Aave stories replayed on the real Aave V3 bytecode deployed on the session's ape network (anvil under
``make test``) and on the twin, every observable compared after every step.

Every story plays on the same bytecode in process (``test_aave_stories_inprocess.py``, offline half); anvil
replays the ones whose mechanisms differ most (eMode, isolation mode with its debt ceiling, months of interest
with block times, two collaterals with ``receiveAToken``, bad debt left), and
``tests/scripts/test_aave_story_cli.py`` plays ``close_factor_boundary`` on anvil through the console command."""

from __future__ import annotations

import pytest

from protocol_model.chain.aave_v3.replay import deploy_lensed_market, play_story
from protocol_model.chain.driver import restoring
from protocol_model.scenario.protocol import load_protocol
from tests.crosscheck.test_aave_stories_inprocess import STORIES, check_story

ON_ANVIL = ("emode", "isolation_mode", "interest_over_months", "two_collaterals_partial_receive", "bad_debt_left")


@pytest.fixture(scope="module")
def aave_market(driver, accounts):
    """The example market (protocols/aave_v3_market.yaml), deployed once; each story runs on it and the chain
    is put back afterwards."""
    return deploy_lensed_market(driver, load_protocol("aave_v3_market").aave_v3.params(), list(accounts))


@pytest.mark.parametrize("path", [p for p in STORIES if p.stem in ON_ANVIL], ids=lambda p: p.stem)
def test_story_agrees_with_real_aave_on_the_network(path, driver, accounts, aave_market, crosscheck_stats):
    with restoring(driver):
        results = play_story(driver, list(accounts), str(path), aave_market)
    check_story(results, crosscheck_stats, path.name)
