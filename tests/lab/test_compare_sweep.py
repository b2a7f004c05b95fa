"""Sweeps say which book they hold: ``book: fixed`` (default) runs every cell on the base book,
``book: rebuilt`` draws each cell's book at the cell's parameters; the report says which."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from protocol_model.cli import main
from protocol_model.sim.run import build_book
from protocol_model.sim.spec import SweepSpec, load_simulation
from protocol_model.sim.sweep import cell_job

from .test_compare import SIM


@pytest.mark.parametrize("book", ["fixed", "rebuilt"])
def test_cell_book(tmp_path, book):
    (tmp_path / "sim.yaml").write_text(SIM)
    spec = load_simulation(tmp_path / "sim.yaml")
    sweep = SweepSpec.model_validate({"kind": "sweep", "name": "t", "simulation": "sim.yaml", "book": book,
                                      "axes": [{"parameter": "ltv_bps", "values": [6000, 7000]}]})
    base = build_book(spec, spec.params())
    for v in (6000, 7000):
        job = cell_job(sweep, spec, (v,))
        same = np.array_equal(job.book.debt_tokens, base.debt_tokens)
        assert same == (book == "fixed"), (book, v)
        assert job.params.assets[spec.params().index("WETH")].ltv_bps == v


def test_default_is_fixed_and_the_report_says_so(tmp_path):
    (tmp_path / "sim.yaml").write_text(SIM)
    sweep = {"kind": "sweep", "name": "t", "simulation": "sim.yaml", "fan_chart_paths": 10,
             "axes": [{"parameter": "liquidation_threshold_bps", "values": [7500, 8000]},
                      {"parameter": "amm_depth_usd", "values": [1e6, 5e6]}]}
    assert SweepSpec.model_validate(sweep).book == "fixed"
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(sweep))
    assert main(["sweep", str(tmp_path / "w.yaml"), "--out", str(tmp_path / "o"), "--workers", "1",
                 "--no-progress"]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    assert "Book: fixed" in md and "| 75% | $1M |" in md
    assert "liquidation threshold (%)" in md and "pool depth per side ($M)" in md
    sweep["book"] = "rebuilt"
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(sweep))
    assert main(["sweep", str(tmp_path / "w.yaml"), "--out", str(tmp_path / "r"), "--workers", "1",
                 "--no-progress"]) == 0
    assert "Book: rebuilt" in (tmp_path / "r" / "report.md").read_text()
