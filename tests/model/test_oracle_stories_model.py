"""Oracle stories in the exact model alone (fast): stated step outcomes and the story checks."""

from __future__ import annotations

import pytest

from protocol_model.oracle_outcome import run_story_model
from protocol_model.oracle_stories import VARIANTS, available, story_path
from protocol_model.scenario import load_scenario
from tests.crosscheck.oracle_checks import CHECKS


@pytest.mark.parametrize("name", available())
def test_oracle_story_in_model(name):
    outcomes, scenarios = {}, {}
    for variant in VARIANTS:
        scenario = load_scenario(story_path(name, variant))
        _, steps, outcomes[variant] = run_story_model(scenario)
        assert steps == [s.expect for s in scenario.steps], f"{name}/{variant}"
        scenarios[variant] = scenario
    CHECKS[name](outcomes["naive"], outcomes["protected"], scenarios["naive"])


def test_every_story_has_a_check():
    assert set(available()) <= set(CHECKS)
