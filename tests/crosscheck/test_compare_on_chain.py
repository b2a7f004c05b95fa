"""``compare --verify-on-chain``: the worst paths of both configurations replayed through the contracts.

Each worst path becomes an exact-keeper scenario on the positions that matter on it, deployed on a fresh
in-process chain from the compiled bytecode: model == chain on every field after every step, and the chain
shows the lab's liquidation count and bad debt. A replay whose expected numbers are off is reported as a
disagreement, and the command then exits 1 with the report still written.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from protocol_model.chain import lab_verify
from protocol_model.cli import main
from protocol_model.sim import compare as cmp
from tests.lab.test_compare import PROPOSAL, SIM


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare_on_chain")
    (d / "sim.yaml").write_text(SIM)
    (d / "proposal.yaml").write_text(PROPOSAL)
    return d


@pytest.fixture(scope="module")
def result(files):
    cur, prop, notes = cmp.load_sides("generic", files / "proposal.yaml", files / "sim.yaml")
    return cmp.compare(cur, prop, resamples=50, workers=1, fan_paths=0, notes=notes)


def test_worst_paths_agree_on_chain(result):
    verified = lab_verify.verify_worst_paths(result, per_side=2)
    assert [v.replay.side for v in verified] == ["current", "current", "proposed", "proposed"]
    assert [v.replay.path for v in verified] == result.worst_paths(2)["current"] + result.worst_paths(2)["proposed"]
    for v in verified:
        assert v.check.ok, v.check.failures
        assert v.check.steps > len(v.replay.positions)
        assert v.check.chain_liquidations == v.check.lab_liquidations
    assert sum(v.check.chain_liquidations for v in verified) > 0, "the worst paths should liquidate"
    assert any(sum(v.check.bad_debt_chain.values()) > 0 for v in verified), "and leave bad debt"


def test_a_wrong_lab_figure_is_reported(result):
    case = next(lab_verify.replays(result, per_side=1))
    assert lab_verify.verify(case).check.ok
    more = lab_verify.verify(replace(case, lab_liquidations=case.lab_liquidations + 1)).check
    assert not more.ok and any(f.startswith("liquidations: lab") for f in more.failures)
    debt = {k: v * 1.001 + 1.0 for k, v in case.lab_bad_debt.items()}
    off = lab_verify.verify(replace(case, lab_bad_debt=debt)).check
    assert not off.ok and any("bad debt: lab" in f for f in off.failures)


def test_cli_writes_the_check_into_the_report(files, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", "generic", str(files / "proposal.yaml"), "--simulation", str(files / "sim.yaml"),
                 "--out", str(out), "--workers", "1", "--no-progress", "--resamples", "50", "--verify-on-chain", "1"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "on chain 2/2: proposed path" in printed
    rows = json.loads((out / "compare.json").read_text())["on_chain"]
    assert [r["side"] for r in rows] == ["current", "proposed"] and all(r["ok"] for r in rows)
    md = (out / "report.md").read_text()
    assert "## On-chain check of the worst paths" in md and "Model and chain agreed to the wei" in md
    assert md.count("| yes |") >= 2


def test_cli_exits_1_on_a_disagreement_and_still_writes_the_report(files, tmp_path, capsys, monkeypatch):
    real = lab_verify.verify
    monkeypatch.setattr(lab_verify, "verify",
                        lambda case: real(replace(case, lab_liquidations=case.lab_liquidations + 1)))
    out = tmp_path / "bad"
    code = main(["compare", "generic", str(files / "proposal.yaml"), "--simulation", str(files / "sim.yaml"),
                 "--out", str(out), "--workers", "1", "--no-progress", "--resamples", "50", "--verify-on-chain", "1"])
    captured = capsys.readouterr()
    assert code == 1 and "on-chain check failed: current path" in captured.err
    md = (out / "report.md").read_text()
    assert "DISAGREEMENT" in md and "| NO |" in md


@pytest.mark.parametrize("rules", [{"gas_usd": 20.0, "min_profit_usd": 100.0}, {"capital_usd": 20_000.0},
                                   {"gas_usd": 10.0, "min_profit_usd": 50.0, "capital_usd": 30_000.0}],
                         ids=["gas-min-profit", "capital", "all"])
def test_liquidator_economics_hold_on_chain(rules):
    """Keepers with gas, a minimum profit and finite capital (``config.Liquidators``): on paths where the rules
    bind (the lab makes fewer liquidations than free keepers would), the exact keeper applies the same rule to
    the exact amounts and the chain shows the lab's liquidations and bad debt, model == chain every step."""
    import numpy as np

    from protocol_model.sim.config import Liquidators
    from protocol_model.sim.onchain import default_case, path_replay
    from protocol_model.sim.run import Job, run_job

    case = default_case()
    params = replace(case.params, liquidators=Liquidators(**rules))
    book = case.book.quantized(params)

    def counts(p):
        job = Job(p, case.market, book, case.n_paths, case.n_steps, case.seed, case.n_paths)
        return run_job(job, workers=1).per_path["liquidation_count"]

    made, free = counts(params), counts(case.params)
    binding = np.flatnonzero((made < free) & (made > 0))
    assert binding.size >= 3, "the rules should bind on some paths"
    for path in binding[:3]:
        replay = path_replay("keepers", params, case.market, book, case.n_paths, case.n_steps, case.seed,
                             case.n_paths, int(path))
        assert replay.lab_liquidations == made[path]
        checked = lab_verify.verify(replay).check
        assert checked.ok, checked.failures
