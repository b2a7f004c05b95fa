"""Every Aave story (scenarios/presets/aave/*.yaml) replayed on the real Aave V3 bytecode on the in-process
chain and on the twin: each step has the same outcome on both, the outcome the file states, and every
observable equal to the wei afterwards. The session's cross-check line counts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.aave_v3.replay import deploy_lensed_market, play_story
from protocol_model.chain.driver import restoring
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.scenario.protocol import load_protocol

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


@pytest.fixture(scope="module")
def market_chain():
    """An in-process chain with the example market deployed once (each story restores the chain after)."""
    chain = InProcessChain()
    return chain, deploy_lensed_market(chain, load_protocol("aave_v3_market").aave_v3.params(), chain.accounts)


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_story_agrees_with_real_aave(path, market_chain, crosscheck_suite):
    chain, deployed = market_chain
    with restoring(chain):
        results = play_story(chain, chain.accounts, str(path), deployed)
    check_story(results, crosscheck_suite(SUITE), path.name)
