"""Stories as data: every scenario file replays on chain and in the model, agreeing on every field after
every step, with each step's outcome (ok or the named revert) as the file states it."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.scenario.story import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "stories").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_story_agrees(checked_replay, path):
    checked_replay(load_scenario(path))
