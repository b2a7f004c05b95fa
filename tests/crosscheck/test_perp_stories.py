"""Perp stories as data: every scenarios/perp/*.yaml file replays on chain (PerpEngine) and in the exact
model, agreeing on every readable field after every step, with each outcome as the file states it."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.scenario.perp import load_perp_scenario

FILES = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "perp").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_perp_story_agrees(checked_replay, path):
    replay = checked_replay(load_perp_scenario(path))
    assert replay.results[-1].after().n_fields() > 20
