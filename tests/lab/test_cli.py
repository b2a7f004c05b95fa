"""The CLI end to end on a small run: simulate and sweep write their reports; a bad file exits 2 with one
line naming the field and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from protocol_model.cli import main

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"


def test_simulate_sweep_report(tmp_path):
    sim = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
    sim.update(paths=40, steps=25, paths_per_chunk=20)
    sim["book"]["synthetic"]["positions"] = 80
    (tmp_path / "sim.yaml").write_text(yaml.safe_dump(sim))
    sweep = {"kind": "sweep", "name": "t", "simulation": "sim.yaml", "axes": [
        {"parameter": "liquidation_bonus_bps", "values": [300, 800]},
        {"parameter": "oracle_delay_steps", "values": [0, 2]}], "fan_chart_paths": 30}
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(sweep))
    assert main(["simulate", str(tmp_path / "sim.yaml"), "--out", str(tmp_path / "s"), "--workers", "1",
                 "--no-progress"]) == 0
    doc = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert doc["paths"] == 40 and doc["summary"]["bad_debt_var99_usd"] >= doc["summary"]["bad_debt_var95_usd"]
    assert (tmp_path / "s" / "fan_bad_debt.png").stat().st_size > 1000
    assert main(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(tmp_path / "w"), "--workers", "1",
                 "--no-progress"]) == 0
    rows = json.loads((tmp_path / "w" / "sweep.json").read_text())["rows"]
    assert [(r["liquidation_bonus_bps"], r["oracle_delay_steps"]) for r in rows] == [
        (300, 0), (300, 2), (800, 0), (800, 2)]
    for f in ("report.md", "report.html", "sweep.csv", "heatmap_bad_debt_var99_usd.png", "fan_bad_debt.png"):
        assert (tmp_path / "w" / f).stat().st_size > 0, f
    (tmp_path / "w" / "report.md").unlink()
    assert main(["report", str(tmp_path / "w")]) == 0
    md = (tmp_path / "w" / "report.md").read_text()
    assert "| liquidation bonus (%) | oracle delay (steps) |" in md and "| 3% | 0 |" in md
    assert "Book: fixed" in md


def test_bad_file_exits_2_naming_the_field(tmp_path, capsys):
    sim = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
    sim["overrides"] = {"assets.USDC.liquidation_threshold": "100%"}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(sim))
    assert main(["simulate", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "overrides.assets.USDC.liquidation_threshold: assets.USDC.liquidation_threshold" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()
