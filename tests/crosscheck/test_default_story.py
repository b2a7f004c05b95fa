"""The default scenario: model and chain agree on every field after every step, and outcomes are as written."""

from __future__ import annotations

from pathlib import Path

from protocol_model.chain.replay import Replay
from protocol_model.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_default_scenario_agrees(deploy_world):
    scenario = load_scenario(SCENARIOS / "default.yaml")
    replay = Replay.start(scenario, deploy_world(scenario))
    for result in replay.run():
        assert result.model == result.chain, f"step {result.index} {result.action.describe()}"
        assert not result.mismatches, f"step {result.index}: {result.mismatches[:5]}"
        assert result.as_expected, f"step {result.index}: expected {result.expected}, got {result.model}"
