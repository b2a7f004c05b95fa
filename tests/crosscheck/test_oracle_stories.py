"""Oracle stories (scenarios/oracle/): each failure mode in a naive and a protected configuration,
replayed on chain and in the model; every step agrees to the wei and has the outcome the file states;
the story's outcome (liquidations, wrongly liquidated users, bad debt, profit) is what the checks
in oracle_checks.py derive independently."""

from __future__ import annotations

import pytest

from protocol_model.chain.oracle_replay import track_outcome
from protocol_model.scenario.story import load_scenario
from protocol_model.world.oracle_stories import VARIANTS, available, story_path
from tests.crosscheck.oracle_checks import CHECKS


@pytest.mark.parametrize("name", available())
def test_oracle_story_on_chain(checked_replay, name):
    outcomes, scenarios = {}, {}
    for variant in VARIANTS:
        scenarios[variant] = load_scenario(story_path(name, variant))
        checked_replay(scenarios[variant], lambda replay, v=variant: outcomes.__setitem__(v, track_outcome(replay)),
                       where=f"{name}/{variant} ")
    CHECKS[name](outcomes["naive"], outcomes["protected"], scenarios["naive"])
