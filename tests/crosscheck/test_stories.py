"""Stories as data: every scenario file replays on chain and in the model, agreeing on every field after
every step, with each step's outcome (ok or the named revert) as the file states it."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.replay import Replay
from protocol_model.scenario.story import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "stories").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_story_agrees(deploy_world, chain, path, crosscheck_stats):
    scenario = load_scenario(path)
    snap = chain.snapshot()
    try:
        replay = Replay.start(scenario, deploy_world(scenario))
        results = replay.run()
    finally:
        chain.restore(snap)
    crosscheck_stats.sequences += 1
    crosscheck_stats.operations += len(results)
    crosscheck_stats.mismatches += replay.mismatches
    assert results, "a story with no steps proves nothing"
    for r in results:
        assert r.model == r.chain, f"step {r.index} {r.action.describe()}: model {r.model}, chain {r.chain}"
        assert not r.mismatches, f"step {r.index} {r.action.describe()}: {r.mismatches[:5]}"
        assert r.as_expected, f"step {r.index} {r.action.describe()}: expected {r.expected}, got {r.model}"
