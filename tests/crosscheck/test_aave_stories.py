"""Every Aave story replayed on the real Aave V3 bytecode deployed on the session's ape network (anvil under
``make test``) and on the twin, every observable compared after every step."""

from __future__ import annotations

import pytest

from protocol_model.chain.aave_v3.replay import play_story
from protocol_model.chain.driver import restoring
from tests.crosscheck.test_aave_stories_inprocess import STORIES, check_story


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_story_agrees_with_real_aave_on_the_network(path, driver, accounts, crosscheck_stats):
    with restoring(driver):
        results = play_story(driver, list(accounts), str(path))
    check_story(results, crosscheck_stats, path.name)
