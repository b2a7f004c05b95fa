"""Perp stories as data: every scenarios/perp/*.yaml file replays on chain (PerpEngine) and in the exact
model, agreeing on every readable field after every step, with each outcome as the file states it."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.perp_adapter import PerpChainWorld
from protocol_model.chain.perp_replay import PerpReplay
from protocol_model.scenario.perp import load_perp_scenario

FILES = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "perp").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_perp_story_agrees(project, admin, signers, chain, path, crosscheck_stats):
    scenario = load_perp_scenario(path)
    snap = chain.snapshot()
    try:
        replay = PerpReplay.start(scenario, PerpChainWorld.deploy(scenario, project, admin, signers))
        results = replay.run()
    finally:
        chain.restore(snap)
    crosscheck_stats.sequences += 1
    crosscheck_stats.operations += len(results)
    crosscheck_stats.mismatches += sum(not r.agrees for r in results)
    assert results, "a story with no steps proves nothing"
    for r in results:
        assert r.model == r.chain, f"step {r.index} {r.action.describe()}: model {r.model}, chain {r.chain}"
        assert not r.mismatches, f"step {r.index} {r.action.describe()}: {r.mismatches[:5]}"
        assert r.model == r.expected, f"step {r.index} {r.action.describe()}: expected {r.expected}, got {r.model}"
    assert results[-1].snapshot.n_fields() > 20
