"""``optimise``: the recommended points' worst paths replayed through the contracts (issue #18).

The shipped example (``scenarios/lab/optimise_weth.yaml``, fewer paths) produces the frontier and the three
tables, and each recommendation's worst path replays on the in-process chain with model == chain after every
step and the lab's liquidations and bad debt on chain.
"""

from __future__ import annotations

import json
from pathlib import Path

from protocol_model.cli import main
from protocol_model.sim.optimise import PROFILES

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "lab" / "optimise_weth.yaml"


def test_shipped_example_recommends_three_points_that_replay_on_chain(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["optimise", str(SHIPPED), "--paths", "30", "--out", str(out), "--workers", "2", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    doc = json.loads((out / "optimise.json").read_text())
    assert all(doc["chosen"][p] is not None for p in PROFILES), doc["chosen"]
    assert [r["side"] for r in doc["on_chain"]] == list(PROFILES)
    for r in doc["on_chain"]:
        assert r["ok"], r["failures"]
        assert r["chain_liquidations"] == r["lab_liquidations"]
    assert sum(r["chain_liquidations"] for r in doc["on_chain"]) > 0, "the worst paths should liquidate"
    assert len(doc["frontier"]) >= 3
    md = (out / "report.md").read_text()
    for p in PROFILES:
        assert f"## {p.capitalize()}: " in md
    assert "## On-chain check of the recommendations" in md and "Model and chain agreed to the wei" in md
