"""``optimise``: recommended parameters under three risk budgets (issue #18).

* the risk measures an optimisation accepts are exactly compare's bad-debt and liquidation metrics;
* every evaluation is a lab run: its series, risk and capacity equal a direct run of the same job;
* the recommendations are right for what was evaluated: each is within its budget and no evaluated valid
  point within that budget has more capacity; the frontier holds exactly the non-dominated points;
* the search stays on the grid, in the ranges, and above the minimum gap; it is deterministic;
* the report: the recommendations table first, one table per profile, the frontier chart and table.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

import numpy as np
import pytest

from protocol_model.cli import main
from protocol_model.sim.compare import METRICS
from protocol_model.sim.optimise import (
    PARAMETERS,
    PROFILES,
    SERIES,
    RiskMeasure,
    _Evaluator,
    load_optimisation,
    measure,
    optimise,
)
from protocol_model.sim.run import run_job
from tests.lab.test_compare import SIM

OPT = """\
kind: optimisation
name: weth-small
simulation: sim.yaml
asset: WETH
search:
  ltv: {low: 60%, high: 85%}
  liquidation_threshold: {low: 70%, high: 90%}
  liquidation_bonus: {low: 3%, high: 12%}
min_gap: 1%
risk: bad_debt_var95_usd
budgets: {conservative: 20000, moderate: 50000, aggressive: 120000}
generations: 3
population: 4
verify_paths: 1
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("optimise")
    (d / "sim.yaml").write_text(SIM.replace("reserves_tokens: 1000, ", ""))
    (d / "opt.yaml").write_text(OPT)
    return d


@pytest.fixture(scope="module")
def result(files):
    spec, sim = load_optimisation(files / "opt.yaml")
    return optimise(spec, sim, workers=1, resamples=100)


def test_risk_measures_are_compares_bad_debt_and_liquidation_metrics():
    assert typing.get_args(RiskMeasure) == tuple(k for k, _, s, _, _ in METRICS if s in SERIES)


def test_every_evaluation_is_a_lab_run(result):
    ev = _Evaluator(result.spec, result.simulation, lambda tasks: [])
    for e in [result.current, *(c for c in result.chosen.values() if c is not None)]:
        params, book = ev.setup(e.point)
        outcome = run_job(ev.job(params, book), workers=1)
        for name, field in SERIES.items():
            np.testing.assert_array_equal(e.series[name], outcome.per_path[field])
        assert e.risk == measure(result.spec.risk, {k: outcome.per_path[v] for k, v in SERIES.items()})
        ltv = np.array([a.ltv_bps for a in params.assets])[book.coll_asset] / 1e4
        prices = ev.prices[book.coll_asset]
        assert e.capacity_usd == pytest.approx(float((book.coll_tokens * prices * ltv).sum()), rel=1e-12)


def test_recommendations_are_the_best_evaluated_within_each_budget(result):
    valid = [e for e in result.evaluations if e.valid]
    assert len(valid) > 20
    found = 0
    for profile in PROFILES:
        budget = getattr(result.spec.budgets, profile)
        within = [e for e in valid if e.risk <= budget]
        chosen = result.chosen[profile]
        if not within:
            assert chosen is None
            continue
        found += 1
        assert chosen.risk <= budget
        assert chosen.capacity_usd == max(e.capacity_usd for e in within)
    assert found >= 2, "the example budgets should be met by the search"
    caps = [result.chosen[p].capacity_usd for p in PROFILES if result.chosen[p] is not None]
    assert caps == sorted(caps), "a looser budget never recommends less capacity"


def test_frontier_is_exactly_the_non_dominated_points(result):
    valid = [e for e in result.evaluations if e.valid]
    front = {e.point for e in result.frontier()}

    def dominated(e):
        return any((o.risk <= e.risk and o.capacity_usd >= e.capacity_usd)
                   and (o.risk < e.risk or o.capacity_usd > e.capacity_usd) for o in valid)

    for e in valid:
        assert (e.point in front) == (not dominated(e)), e.point


def test_search_stays_on_the_grid_in_range_and_above_the_gap(result):
    spec = result.spec
    assert result.current.values == {"ltv": 8000, "liquidation_threshold": 8250, "liquidation_bonus": 500}
    for e in result.evaluations:
        if e is result.current:
            continue
        for p, v in e.point:
            assert v % spec.step == 0 and spec.search[p].low <= v <= spec.search[p].high, (p, v)
        vals = e.values
        if vals["liquidation_threshold"] - vals["ltv"] < spec.min_gap:
            assert not e.valid and "min_gap" in e.reason
        elif not e.valid:
            assert e.reason.startswith("the pool refuses it"), e.reason
    assert any(not e.valid for e in result.evaluations), "the ranges include points the rules refuse"


def test_deterministic(files, result):
    spec, sim = load_optimisation(files / "opt.yaml")
    again = optimise(spec, sim, workers=1, resamples=100)
    assert {p: e and e.point for p, e in again.chosen.items()} == {p: e and e.point for p, e in result.chosen.items()}
    assert sorted(e.point for e in again.evaluations) == sorted(e.point for e in result.evaluations)


def test_report(files, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["optimise", str(files / "opt.yaml"), "--out", str(out), "--workers", "1", "--no-progress",
                 "--verify-paths", "0"]) == 0
    printed = capsys.readouterr().out
    assert "conservative:" in printed and "aggressive:" in printed
    doc = json.loads((out / "optimise.json").read_text())
    assert set(doc["chosen"]) == set(PROFILES) and doc["on_chain"] == []
    md = (out / "report.md").read_text()
    assert md.index("## Recommendations") < md.index("## Conservative") < md.index("## Frontier") < md.index(
        "## Method")
    assert "| WETH LTV | 80% |" in md and "Borrowing capacity" in md
    assert (out / "frontier.png").stat().st_size > 5_000 and (out / "evaluations.csv").is_file()
    assert "data:image/png;base64," in (out / "report.html").read_text()
    rows = (out / "evaluations.csv").read_text().splitlines()
    assert rows[0].startswith("ltv_bps,liquidation_threshold_bps,liquidation_bonus_bps,valid")
    assert len(rows) - 1 == doc["evaluations"]
    for p in doc["searched"]:
        assert p in PARAMETERS


def test_shipped_example_checks(capsys):
    root = Path(__file__).resolve().parents[2]
    assert main(["check", str(root / "scenarios/lab/optimise_weth.yaml")]) == 0
    assert "an optimisation file" in capsys.readouterr().out
