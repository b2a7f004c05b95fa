"""Every Aave story (scenarios/presets/aave/*.yaml) replayed on the real Aave V3 bytecode on the in-process
chain and on the twin: each step has the same outcome on both, the outcome the file states, and every
observable equal to the wei afterwards. The session's cross-check line counts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.aave_v3.replay import play_story
from protocol_model.chain.inprocess import InProcessChain

STORIES = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "presets" / "aave").glob("*.yaml"))
SUITE = "in-process aave-v3 stories"


def test_there_are_at_least_eight_stories():
    assert len(STORIES) >= 8


def check_story(results, stats, where: str) -> None:
    """Count a replayed story and assert every step agreed and matched its expectation."""
    stats.sequences += 1
    stats.operations += len(results)
    stats.mismatches += sum(not r.agrees for r, _ in results)
    assert results, f"{where}: no steps"
    for r, expect in results:
        at = f"{where} step {r.index} {r.action.describe()}"
        assert r.model == r.chain, f"{at}: model {r.model}, chain {r.chain}"
        assert not r.mismatches, f"{at}: {r.mismatches[:5]}"
        assert r.model == expect, f"{at}: expected {expect}, got {r.model}"


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_story_agrees_with_real_aave(path, crosscheck_suite):
    chain = InProcessChain()
    check_story(play_story(chain, chain.accounts, str(path)), crosscheck_suite(SUITE), path.name)
