"""Oracle stories (scenarios/oracle/): each failure mode in a naive and a protected configuration,
replayed on chain and in the model; every step agrees to the wei and has the outcome the file states;
the story's outcome (liquidations, wrongly liquidated users, bad debt, profit) is what the checks
in oracle_checks.py derive independently."""

from __future__ import annotations

import pytest

from protocol_model.chain.oracle_replay import replay_story
from protocol_model.scenario.story import load_scenario
from protocol_model.world.oracle_stories import VARIANTS, available, story_path
from tests.crosscheck.oracle_checks import CHECKS


@pytest.mark.parametrize("name", available())
def test_oracle_story_on_chain(deploy_world, chain, name, crosscheck_stats):
    outcomes, scenarios = {}, {}
    for variant in VARIANTS:
        scenario = load_scenario(story_path(name, variant))
        snap = chain.snapshot()
        try:
            results, outcome, replay = replay_story(scenario, deploy_world(scenario))
        finally:
            chain.restore(snap)
        crosscheck_stats.sequences += 1
        crosscheck_stats.operations += len(results)
        crosscheck_stats.mismatches += replay.mismatches
        for r in results:
            where = f"{name}/{variant} step {r.index} {r.action.describe()}"
            assert r.model == r.chain, f"{where}: model {r.model}, chain {r.chain}"
            assert not r.mismatches, f"{where}: {r.mismatches[:5]}"
            assert r.as_expected, f"{where}: expected {r.expected}, got {r.model}"
        outcomes[variant], scenarios[variant] = outcome, scenario
    CHECKS[name](outcomes["naive"], outcomes["protected"], scenarios["naive"])
