"""The fuzz campaign (protocol_model/chain/fuzz_campaign.py) on the in-process chain: its sequences are
deterministic by (seed, number), written stories replay the same calls, a run resumes from its state file, two
workers share the work, and an injected model fault is found, shrunk to a few operations and written as a
regression story that fails with the fault and passes without it.

In process (revm): ``pytest -p no:ape_test tests/crosscheck/test_fuzz_campaign.py`` runs it without a node.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from protocol_model.chain import fuzz_campaign as fc
from protocol_model.exact import math_lib
from protocol_model.scenario.story import load_scenario

FAULT = ("protocol_model.exact.lending.pool_state.ray_mul_up", math_lib.ray_mul_down)
"""A flipped rounding twin: the model's debt grows rounding down where the contract rounds up."""
FAULT_SEED = 0
"""Most seeds meet the fault in their first sequence (its opening borrow accrues interest on the next step)."""
MAX_SHRUNK_OPERATIONS = 8


@pytest.fixture(scope="module")
def target():
    """The lending target on its own in-process chain."""
    return fc.LendingTarget()


def _on_behalf(action):
    return replace(action, on_behalf=action.on_behalf or action.account)


def test_sequences_are_deterministic_and_stories_replay_the_same_calls(target, tmp_path):
    for number in range(3):
        run = target.fuzz(fc.sequence_rng(5, number), 30)
        again = target.fuzz(fc.sequence_rng(5, number), 30)
        assert run.failure is None, run.failure
        assert run.actions == again.actions and run.outcomes == again.outcomes
        path = tmp_path / f"seq{number}.yaml"
        path.write_text(fc.yaml.safe_dump(target.story(run, f"seq{number}"), sort_keys=False))
        scenario = load_scenario(path)
        resolved = [target.world.resolve(step) for step in scenario.steps]
        assert [_on_behalf(a) for a in resolved] == [_on_behalf(a) for a in run.actions]
        assert [s.expect for s in scenario.steps] == run.outcomes
        steps, failure = fc.replay_story(path)
        assert (steps, failure) == (len(run.actions), None)


def test_a_run_resumes_from_its_state_file(tmp_path):
    def config(state):
        return fc.CampaignConfig(seed=11, steps=8, chunk=2, regressions=tmp_path / "reg", state_path=state)

    saved: list[float] = []
    real_save = fc.CampaignState.save

    def save(state, path):
        real_save(state, path)
        saved.append(json.loads(path.read_text())["wall_seconds"])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fc.CampaignState, "save", save)
        first = fc.run_campaign(config(tmp_path / "a.json"), 150, workers=1, progress=False, say=lambda _: None)
    assert first.state.operations >= 150 and not first.failures
    # every chunk's save carries the run's wall time so far (an interrupted run keeps it), and it only grows
    assert len(saved) >= 3 and 0 < saved[0] and saved == sorted(saved) and saved[-1] == first.state.wall_seconds
    resumed = fc.run_campaign(config(tmp_path / "a.json"), 400, workers=1, progress=False, say=lambda _: None)
    assert resumed.sequences > 0 and resumed.state.sequences == first.state.sequences + resumed.sequences
    straight = fc.run_campaign(config(tmp_path / "b.json"), 400, workers=1, progress=False, say=lambda _: None)
    a, b = json.loads((tmp_path / "a.json").read_text()), json.loads((tmp_path / "b.json").read_text())
    assert (a["operations"], a["sequences"], a["done_below"]) == (b["operations"], b["sequences"], b["done_below"])
    assert straight.state.mismatches == 0 and straight.state.property_failures == 0
    with pytest.raises(ValueError, match="seed is 11"):
        fc.open_state(replace(config(tmp_path / "a.json"), seed=12), fresh=False, seed_given=True)


def test_two_workers_share_the_chunks(tmp_path):
    lines: list[str] = []
    config = fc.CampaignConfig(seed=3, steps=8, chunk=2, regressions=tmp_path / "reg", state_path=tmp_path / "s.json")
    report = fc.run_campaign(config, 200, workers=2, progress=False, say=lines.append)
    state = json.loads((tmp_path / "s.json").read_text())
    assert state["operations"] >= 200 and state["done"] == [] and state["done_below"] * 2 == state["sequences"]
    assert any(line.startswith("workers: ") and len(line.split(",")) == 2 for line in lines), lines
    assert report.line() == lines[-1] and "0 mismatches, 0 property failures" in lines[-1]


def test_an_injected_fault_is_shrunk_into_a_regression_story(tmp_path, monkeypatch):
    monkeypatch.setattr(*FAULT)
    config = fc.CampaignConfig(seed=FAULT_SEED, steps=40, chunk=2, regressions=tmp_path / "reg",
                               state_path=tmp_path / "s.json")
    report = fc.run_campaign(config, 2_000, workers=1, progress=False, say=lambda _: None, max_failures=1)
    assert report.failures, "the flipped rounding was never caught"
    assert report.state.sequences <= 2 * len(report.failures), "the run went on past its failure budget"
    found = report.failures[0]
    assert found["kind"] == "mismatch" and found["operations"] <= MAX_SHRUNK_OPERATIONS, found
    path = tmp_path / "reg" / f"lending-s{FAULT_SEED}-n{found['sequence']}.yaml"
    assert path.read_text().startswith("# Regression written by the fuzz campaign")
    steps, failure = fc.replay_story(path)
    assert failure is not None and failure.kind == "mismatch" and steps == found["operations"]
    monkeypatch.undo()
    steps, failure = fc.replay_story(path)
    assert failure is None and steps == found["operations"]


def test_a_property_failure_is_shrunk_under_its_id(tmp_path, monkeypatch):
    """A stricter solvency rule (no debt at all) stands in for a violated property: the failure is kept under
    its id while shrinking, down to the supplies and the borrow it needs."""
    from protocol_model.world import lending_properties as lp

    def no_debt(pool, accounts):
        lp.require(not any(pool.debt_balance(x, a) for x in pool.assets for a in accounts), "P-POOL-01", "debt")

    monkeypatch.setattr(lp, "pool_balances_cover_claims", no_debt)
    config = fc.CampaignConfig(seed=2, steps=40, chunk=2, regressions=tmp_path / "reg", state_path=tmp_path / "s.json")
    report = fc.run_campaign(config, 3_000, workers=1, progress=False, say=lambda _: None, max_failures=1)
    assert report.failures and report.state.property_failures == len(report.failures)
    assert [f["file"] != "" for f in report.failures][0], "the chunk's first failure was not written"
    found = report.failures[0]
    assert found["kind"] == "P-POOL-01" and found["operations"] <= 3, found
    path = tmp_path / "reg" / f"lending-s2-n{found['sequence']}.yaml"
    _, failure = fc.replay_story(path)
    assert failure is not None and failure.kind == "P-POOL-01"
    monkeypatch.undo()
    assert fc.replay_story(path) == (found["operations"], None)
