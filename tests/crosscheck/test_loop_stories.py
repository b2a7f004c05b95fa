"""Loop stories as data (scenarios/loops/*.yaml): AMM pairs, the Looper, flash loans, liquidation cascades.

Each file replays on chain and in the model; after every step every field agrees to the wei — the pool's
fields as in test_stories.py plus each pair's reserves, timestamp, cumulative prices, LP supply and token
balances, every account's LP units and the Looper's token balances — and every step's outcome is the
file's. The story-specific outcomes (leverage reached, liquidations, cascades) are asserted in
tests/model/test_loop_stories_model.py, on the same model the chain is checked against here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.scenario.story import load_scenario

LOOPS = Path(__file__).resolve().parents[2] / "scenarios" / "loops"
FILES = sorted(LOOPS.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_loop_story_agrees(checked_replay, path):
    replay = checked_replay(load_scenario(path))
    assert replay.results[-1].after().pairs, "a loop story must have AMM pairs"
