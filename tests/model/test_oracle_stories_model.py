"""Oracle stories in the exact model alone (fast): stated step outcomes and the story checks."""

from __future__ import annotations

import pytest

from protocol_model.scenario.story import load_scenario
from protocol_model.world.oracle_outcome import run_story_model
from protocol_model.world.oracle_stories import VARIANTS, available, story_path
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


def test_osm_story_files_match_their_generator():
    from protocol_model.scenario.story import parse_scenario
    from protocol_model.world.osm_story import osm_scenario

    for variant, delay in (("naive", 3600), ("protected", 0)):
        stored = load_scenario(story_path("osm_delay", variant))
        generated = parse_scenario(osm_scenario(delay))
        assert [s.model_dump() for s in stored.steps] == [s.model_dump() for s in generated.steps]


def test_osm_loss_grows_with_the_delay():
    """Bad debt + hidden insolvency at the market price, by OSM delay (docs/oracles/delayed_feed.md)."""
    from protocol_model.scenario.story import parse_scenario
    from protocol_model.world.osm_story import osm_scenario

    losses = []
    for delay in (0, 600, 1800, 3600, 7200):
        scenario = parse_scenario(osm_scenario(delay))
        _, steps, outcome = run_story_model(scenario)
        assert steps == [s.expect for s in scenario.steps], delay  # float walk-through == integer engine
        losses.append(outcome.loss_usd)
    assert losses[0] == 0 and losses[-1] > losses[3] > 0
    assert losses == sorted(losses), losses
