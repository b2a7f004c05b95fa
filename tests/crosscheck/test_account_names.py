"""Any account names in a story: the story's own names, in file order, play the provider's test accounts
(issue #13 item 6); a story with more accounts than the chain offers is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.story_chain import deploy_story
from protocol_model.scenario.story import ScenarioError, load_scenario, parse_scenario

STORY = Path(__file__).resolve().parents[2] / "scenarios" / "stories" / "lp_keeper.yaml"
DEFAULT_NAMES = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory"}


def test_lp_and_keeper_story_plays_on_chain(checked_replay, accounts):
    scenario = load_scenario(STORY)
    names = [a.name for a in scenario.accounts]
    assert names == ["lp", "keeper"] and not DEFAULT_NAMES & set(names)
    replay = checked_replay(scenario)
    world = replay.chain
    assert [world.signers[n].address for n in names] == [accounts[1].address, accounts[2].address]
    kinds = [r.action.kind for r in replay.results]
    assert kinds.count("liquidate") == 2 and "HealthyAccount" in [r.chain for r in replay.results]


def test_more_accounts_than_the_chain_offers_is_one_line(project, accounts):
    funded = list(accounts)
    many = [{"name": f"acct{i}", "balances": {"USDC": "1"}} for i in range(len(funded))]
    scenario = parse_scenario({"kind": "story", "name": "crowd", "protocol": "generic", "accounts": many}, "crowd")
    with pytest.raises(ScenarioError) as err:
        deploy_story(scenario, project, funded)
    message = str(err.value)
    assert "\n" not in message and f"{len(funded)} accounts" in message and f"only {len(funded) - 1}" in message
