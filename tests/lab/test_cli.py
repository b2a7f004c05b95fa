"""The CLI end to end on a small run: simulate and sweep write their reports; a bad file exits 2 with one
line naming the field and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


# ---- atomic outputs: an interrupted run leaves the old folder untouched or the new one complete ---------------

BASES = Path(__file__).resolve().parents[1] / "inputs" / "bases"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _lab_files(tmp_path: Path) -> None:
    for name in ("sim.yaml", "sweep.yaml"):
        (tmp_path / name).write_text((BASES / name).read_text())


def _leftovers(tmp_path: Path, name: str) -> list[str]:
    return sorted(p.name for p in tmp_path.glob(f".{name}.*"))


def test_failed_write_leaves_the_old_report_untouched(tmp_path, monkeypatch):
    """An exception (or Ctrl-C) in the middle of writing: the old report stays whole, no temporary folder
    is left, and the exit code says why."""
    from protocol_model.sim import plots

    _lab_files(tmp_path)
    out = tmp_path / "s"
    args = ["simulate", str(tmp_path / "sim.yaml"), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(args) == 0
    old = _tree(out)
    assert json.loads(old["summary.json"])["paths"] == 40
    for exc, code in ((OSError(28, "No space left on device"), 1), (KeyboardInterrupt(), 130)):
        def broken(*_a, _exc=exc, **_k):
            raise _exc
        with monkeypatch.context() as m:
            m.setattr(plots, "fan_chart", broken)  # after paths.csv and the histogram are written
            assert main([*args, "--paths", "20"]) == code
        assert _tree(out) == old
        assert _leftovers(tmp_path, "s") == []


def test_a_new_run_replaces_the_whole_folder(tmp_path):
    """No file of the previous run survives beside the new one (a one-axis sweep after a two-axis sweep)."""
    _lab_files(tmp_path)
    two = yaml.safe_load((tmp_path / "sweep.yaml").read_text())
    two["axes"].append({"parameter": "oracle_delay_steps", "values": [0, 1]})
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(two))
    out = tmp_path / "w"
    assert main(["sweep", str(tmp_path / "two.yaml"), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert (out / "heatmap_bad_debt_var99_usd.png").is_file()
    assert main(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["axes"] == ["liquidation_bonus_bps"]
    assert sorted(p.name for p in out.iterdir()) == sorted(["sweep.csv", "sweep.json", "report.md", "report.html",
                                                            *(f[0] for f in doc["figures"])])
    assert _leftovers(tmp_path, "w") == []


_SLOW_WRITER = """
import sys, time
from pathlib import Path
from protocol_model.sim import plots
real = plots.line
def slow(*a, **k):
    path = real(*a, **k)
    Path(sys.argv[1]).write_text("writing")  # the new folder is half written now
    time.sleep(60)
    return path
plots.line = slow
from protocol_model.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGKILL"])
def test_interrupted_sweep_leaves_the_old_folder(tmp_path, signal_name):
    """A sweep killed (SIGKILL) or interrupted (SIGINT) while it writes its report: the old folder is
    untouched; after SIGINT nothing is left beside it; after SIGKILL the next run clears the dead run's
    temporary folder and installs a complete report."""
    import os
    import signal
    import subprocess
    import sys
    import time

    _lab_files(tmp_path)
    out = tmp_path / "w"
    two = yaml.safe_load((tmp_path / "sweep.yaml").read_text())
    two["axes"].append({"parameter": "oracle_delay_steps", "values": [0, 1]})
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(two))
    assert main(["sweep", str(tmp_path / "two.yaml"), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    old = _tree(out)
    flag = tmp_path / "writing.flag"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(flag), "sweep", str(tmp_path / "sweep.yaml"),
                             "--out", str(out), "--workers", "1", "--no-progress"], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        assert _leftovers(tmp_path, "w"), "the new report is written beside the old one"
        proc.send_signal(getattr(signal, signal_name))
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _tree(out) == old
    if signal_name == "SIGINT":
        assert code == 130 and "interrupted" in proc.stderr.read()
        assert _leftovers(tmp_path, "w") == []
    else:
        assert code == -signal.SIGKILL and _leftovers(tmp_path, "w")
        assert main(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
        assert _leftovers(tmp_path, "w") == []
        assert json.loads((out / "sweep.json").read_text())["axes"] == ["liquidation_bonus_bps"]


def _numeric_leaves(node, path=()):
    """Every (path, value) of a number in a parsed YAML tree (lists indexed), booleans excluded."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numeric_leaves(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numeric_leaves(v, (*path, str(i)))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


def _put(tree, path, value):
    for k in path[:-1]:
        tree = tree[int(k)] if isinstance(tree, list) else tree[k]
    tree[int(path[-1]) if isinstance(tree, list) else path[-1]] = value


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_every_non_finite_number_exits_2_naming_file_and_field(tmp_path, capsys, bad):
    """A NaN or an infinity in any number of a simulation file (prices' drivers, depths, reserves, correlation,
    book, oracle, chunks...) is refused before any work: exit 2, one line naming the file, the field and the rule
    (a finite number, or a range that excludes it), nothing written. Before ``LabStrict`` NaN passed ``ge``/``le``
    bounds or read as "less than or equal to 20", an infinite reserve ran, and a NaN Beta shape drew a book of NaN
    debts that silently never liquidated."""
    base = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
    leaves = list(_numeric_leaves(base))
    assert len(leaves) > 25
    for path, _ in leaves:
        data = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
        _put(data, path, bad)
        f = tmp_path / "bad.yaml"
        f.write_text(yaml.safe_dump(data))
        out = tmp_path / "o"
        assert main(["simulate", str(f), "--out", str(out), "--paths", "2", "--workers", "1"]) == 2, path
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(f) in err, (path, err)
        assert path[0] in err and path[-1] in err, (path, err)  # the field (a driver's path adds its kind)
        assert any(rule in err for rule in ("finite", "integer", "positive definite", "symmetric")), (path, err)
        assert not out.exists(), path


def test_bad_utilization_beta_names_the_field(tmp_path, capsys):
    sim = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
    sim["book"]["synthetic"]["utilization_beta"] = [4, -1]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(sim))
    assert main(["simulate", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bad.yaml'}: book.synthetic.utilization_beta.1: Input should be greater than 0" in err
    assert err.count("\n") == 1 and not (tmp_path / "o").exists()


def test_a_book_without_debt_writes_strict_json(tmp_path):
    """A book whose positions owe nothing: the lowest health factor is infinite, and summary.json holds it as
    ``null`` (strict JSON: ``Infinity`` made browsers' ``JSON.parse``, jq and most languages refuse the file); the
    report shows '–' for it, and ``protocol-model report`` re-renders from that JSON."""
    (tmp_path / "book.csv").write_text("position,collateral,debt,collateral_tokens,debt_tokens\n"
                                       "a,WETH,USDC,10,0\nb,WBTC,USDC,1,0\n")
    sim = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
    sim.update(paths=20, steps=10, paths_per_chunk=20, book={"file": "book.csv"})
    (tmp_path / "sim.yaml").write_text(yaml.safe_dump(sim))
    assert main(["simulate", str(tmp_path / "sim.yaml"), "--out", str(tmp_path / "s"), "--workers", "1",
                 "--no-progress"]) == 0

    def refuse(token: str):
        raise AssertionError(f"summary.json holds the non-JSON token {token}")

    summary = json.loads((tmp_path / "s" / "summary.json").read_text(), parse_constant=refuse)["summary"]
    assert summary["min_health_factor_p1"] is None and summary["bad_debt_var99_usd"] == 0
    md = (tmp_path / "s" / "report.md").read_text()
    (tmp_path / "s" / "report.md").unlink()
    assert main(["report", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "report.md").read_text() == md


def test_report_json_is_strict():
    """``report_json`` maps every non-finite float, at any depth, to null and keeps every other value."""
    from protocol_model.sim.output import report_json

    doc = {"a": float("inf"), "b": [float("nan"), 1.5, (2, -float("inf"))], "c": {"d": {"e": 0.0, "f": "x"}}}
    assert json.loads(report_json(doc)) == {"a": None, "b": [None, 1.5, [2, None]], "c": {"d": {"e": 0.0, "f": "x"}}}
