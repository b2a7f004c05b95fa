"""Every scenario file's stated outcomes hold in the exact model alone (fast; no chain)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.scenario.story import load_scenario
from protocol_model.world.model_world import run_model

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "stories").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_story_outcomes_in_model(path):
    scenario = load_scenario(path)
    world, outcomes = run_model(scenario)
    assert [s.expect for s in scenario.steps] == outcomes


def test_bad_debt_story_writes_off_reserves_first():
    world, _ = run_model(load_scenario(SCENARIOS / "stories" / "bad_debt.yaml"))
    [event] = world.pool.bad_debt_events
    usdc = world.pool.assets["USDC"].state
    assert event.asset == "USDC" and event.from_reserves > 0 and event.from_suppliers > 0
    assert usdc.reserves == 0 and usdc.bad_debt == event.amount
    assert usdc.supply_index_ray < 10**27  # suppliers absorbed the rest
