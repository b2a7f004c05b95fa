"""Stories, `ape run` scripts, the console command and the pytest plugin send every state-changing pool call as an
ape transaction (issue #19, item 3), so ape's session history, gas report, traces and coverage see supply, borrow,
repay, withdraw and liquidate; only the fuzzers ask for the raw JSON-RPC fast path (``via_ape=False``), which ape
never sees.

The proof is ape's own record: ``chain.history[account].sessional`` holds the receipts of the transactions ape
sent in this session (what ``ape test --gas`` reads). A story played through the default driver leaves one pool
receipt per passing pool step, method by method; the same story on the fast path leaves none.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import connect, is_anvil, restoring
from protocol_model.chain.replay import Replay
from protocol_model.chain.story_chain import deploy_story
from protocol_model.scenario.story import load_scenario
from protocol_model.testing.chain import deploy as plugin_deploy

ROOT = Path(__file__).resolve().parents[2]
STORIES = [ROOT / "scenarios" / "default.yaml", ROOT / "scenarios" / "stories" / "bad_debt.yaml"]
POOL_METHODS = ("supply", "borrow", "repay", "withdraw", "liquidate")
"""Story kinds that are one LendingPool call of the same name."""


def pool_receipts(chain, world) -> Counter:
    """Methods of the LendingPool transactions ape sent this session from the story's accounts, counted."""
    pool = world.pool.address
    return Counter(r.method_called.name for signer in world.signers.values()
                   for r in chain.history[signer.address].sessional
                   if r.receiver == pool and r.method_called is not None)


def play(chain, project, accounts, story: Path, via_ape: bool) -> tuple[Counter, Counter]:
    """Play ``story`` (every step model == chain) through ``connect(project, via_ape)``; (pool methods ape saw,
    passing pool steps by kind), read before the chain is put back."""
    driver = connect(project, via_ape)
    with restoring(driver):
        replay = Replay.start(load_scenario(story), deploy_story(load_scenario(story), project, accounts, driver))
        replay.run()
        assert replay.results and replay.mismatches == 0
        seen = pool_receipts(chain, replay.chain)
    passed = Counter(r.action.kind for r in replay.results if r.model == "ok" and r.action.kind in POOL_METHODS)
    return seen, passed


@pytest.fixture(scope="module")
def played(chain, project, accounts) -> dict[str, tuple[Counter, Counter]]:
    """Each story of ``STORIES`` played once through the default driver: stem -> (pool methods, passing steps)."""
    return {story.stem: play(chain, project, accounts, story, via_ape=True) for story in STORIES}


@pytest.mark.parametrize("story", [p.stem for p in STORIES])
def test_every_passing_pool_step_of_a_story_is_an_ape_transaction(played, story):
    seen, passed = played[story]
    assert passed and seen == passed, (seen, passed)


def test_the_stories_show_every_state_changing_kind(played):
    seen = set().union(*(set(s) for s, _ in played.values()))
    assert set(POOL_METHODS) <= seen, seen


def test_the_fuzzers_fast_path_is_invisible_to_ape(chain, project, accounts):
    if not is_anvil():
        pytest.skip("the raw JSON-RPC path exists on anvil only; elsewhere every driver is ape's")
    seen, passed = play(chain, project, accounts, STORIES[1], via_ape=False)
    assert passed and not seen, (seen, passed)


def test_stories_scripts_console_and_plugin_default_to_ape_transactions(chain, project, accounts):
    """The entry points' own defaults: ``ChainWorld.deploy`` without a driver (``ape run demo`` / ``play`` /
    ``bench``, via ``chain.session``/``chain.play``), ``deploy_story`` without one (``protocol-model story --chain``),
    ``connect(project)`` (``ape run oracle_story`` / ``lab_replay``, the repo's story tests) and the plugin's
    ``deployed``; only ``via_ape=False`` is the raw path."""
    scenario = load_scenario(STORIES[1])
    driver = connect(project)
    assert driver.sends_via_ape
    with restoring(driver):
        signers = {a.name: accounts[i] for i, a in enumerate(scenario.accounts, start=1)}
        assert ChainWorld.deploy(scenario, project, accounts[0], signers).driver.sends_via_ape
        assert deploy_story(scenario, project, accounts).driver.sends_via_ape
        assert plugin_deploy(scenario, project, accounts).chain.driver.sends_via_ape
    assert connect(project, via_ape=False).sends_via_ape is not is_anvil()
