"""Every story the fuzz campaign wrote under scenarios/regressions/ (shrunk failures, docs/fuzzing.md) replays on
the chain and in the model, agreeing on every field after every step, each step with the outcome it states (the
chain's when it was found), and with every step property of world/lending_properties.py holding."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.scenario.story import load_scenario
from protocol_model.world.lending_properties import LendingProperties

REGRESSIONS = Path(__file__).resolve().parents[2] / "scenarios" / "regressions"
FILES = sorted(REGRESSIONS.glob("*.yaml"))


def test_the_regressions_directory_holds_stories():
    assert FILES, f"{REGRESSIONS}: no regression stories (the campaign's kill test of a flipped rounding is kept there)"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_regression_agrees(checked_replay, path):
    checked_replay(load_scenario(path), play=lambda replay: replay.run([LendingProperties()]), where=f"{path.name}: ")
