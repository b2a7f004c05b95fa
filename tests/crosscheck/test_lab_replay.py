"""Cross-check (3): lab paths replayed on anvil through the scenario runner.

The lab runs a six-borrower book over 200 paths; the worst path (most bad debt) and two random ones are
turned into scenarios (opening, the lab's oracle prices as ``price`` steps, a keeper's ``liquidate max``
calls, see ``protocol_model.sim.exact``) and replayed by ``Replay`` on the chain and in the exact model
(every field compared to the wei after every step). The chain must then show the lab's numbers:
liquidation and bad-debt counts exactly, bad debt per asset within the tolerance of
tests/lab/test_engine_vs_exact.py (float64 vs integer units).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from protocol_model.scenario.base import ScenarioError
from protocol_model.sim.onchain import BORROWERS, check_path, default_case, pick_paths, simulation_case
from protocol_model.sim.run import job_from_spec, run_job
from protocol_model.sim.spec import load_simulation

REL, UNITS = 1e-9, 4


@pytest.fixture
def driver(fuzz_driver):
    """Lab paths are bulk replays (paths x positions x steps, generated like fuzz input): the fuzzers' raw
    JSON-RPC path, which `checked_replay` then uses (the story suites stay on ape's transaction path)."""
    return fuzz_driver


@pytest.fixture
def deploy_world(project, accounts, fuzz_driver):
    """``deploy_world`` of tests/conftest.py on the fuzzers' raw path (see ``driver`` above)."""
    from protocol_model.chain.story_chain import deploy_story

    return lambda scenario: deploy_story(scenario, project, accounts, fuzz_driver)


def test_lab_paths_agree_on_chain(checked_replay):
    case = default_case()
    lab = case.run()
    picks = pick_paths(lab, n_random=2, seed=7)
    assert lab.per_path["bad_debt_usd"][picks[0]] > 0, "the worst path should carry bad debt"
    names = [a.name for a in case.params.assets]
    dec = [a.decimals for a in case.params.assets]
    for p in picks:
        results = checked_replay(case.exact(lab, p).scenario, where=f"path {p} ").results
        chain_liquidations = sum(r.action.kind == "liquidate" and r.chain == "ok" for r in results)
        assert chain_liquidations == lab.per_path["liquidation_count"][p], f"path {p}: liquidation count"
        final = results[-1].after()
        events = [e for e in lab.events if e[0] == p]
        assert sum(e[6] > 0 for e in events) == lab.per_path["bad_debt_count"][p]
        for k, name in enumerate(names):
            on_chain = final.field("asset", name, "bad_debt")
            in_lab = lab.bad_debt_tokens[p][k] * 10 ** dec[k]
            n_bad = sum(e[6] > 0 for e in events if case.book.debt_asset[e[2]] == k)
            assert (on_chain > 0) == (n_bad > 0), f"path {p} {name}: bad debt on chain {on_chain}, lab events {n_bad}"
            assert abs(on_chain - in_lab) <= REL * on_chain + UNITS * max(1, len(events)), \
                f"path {p} {name}: bad debt chain {on_chain} vs lab {in_lab:.0f} units"


SMALL = Path(__file__).resolve().parents[2] / "scenarios" / "lab" / "chain_replay_small.yaml"


def test_user_simulation_paths_agree_on_chain(checked_replay):
    """The user's own simulation file (not the built-in case): its worst path and two sampled ones replay
    with model == chain on every step, and the chain shows the lab's liquidations and bad debt."""
    spec = load_simulation(SMALL)
    case = simulation_case(spec)
    assert (case.n_paths, case.n_steps, len(case.book)) == (spec.paths, spec.steps, spec.book.synthetic.positions)
    assert case.names[0] != BORROWERS[0], "the file's book names its own accounts"
    lab = case.run()
    picks = pick_paths(lab, n_random=2, seed=spec.seed)
    assert lab.per_path["bad_debt_usd"][picks[0]] > 0, "the worst path of the small file should carry bad debt"
    for p in picks:
        results = checked_replay(case.exact(lab, p).scenario, where=f"path {p} ").results
        check = check_path(case, lab, p, results)
        assert check.ok, check.failures
        assert check.chain_liquidations == check.lab_liquidations > 0


def test_user_simulation_paths_are_numbered_as_simulate_numbers_them():
    """Path p of the replay case is path p of ``simulate`` on the same (quantized) book: same chunk seeds."""
    spec = load_simulation(SMALL).model_copy(update={"paths_per_chunk": 15})
    case = simulation_case(spec)
    job = job_from_spec(spec, record_series=True)
    ran = run_job(replace(job, book=case.book), workers=1)
    np.testing.assert_array_equal(case.run().series["oracle"], ran.series["oracle"])


def test_simulation_with_reserves_is_refused_in_one_line():
    spec = load_simulation(Path(__file__).resolve().parents[2] / "scenarios" / "lab" / "eth_crash.yaml")
    with pytest.raises(ScenarioError, match=r"^eth-crash-year: assets\.USDC\.reserves_tokens: [^\n]+$"):
        simulation_case(spec, paths=10)
