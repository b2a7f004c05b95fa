"""Reports a designer can attach to a governance proposal: Markdown and HTML, PNG plots, CSV and JSON.

Everything is written into one output directory; ``render(dir)`` rebuilds report.md / report.html from
the JSON alone (the ``report`` command)."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import numpy as np

from protocol_model.sim import plots
from protocol_model.sim.outcome import PATH_FIELDS
from protocol_model.sim.run import SimulationResult
from protocol_model.sim.sweep import SweepResult

HEAT_METRICS = ("bad_debt_var99_usd", "bad_debt_cvar99_usd", "bad_debt_probability", "liquidations_at_risk99_usd")


def write_simulation(result: SimulationResult, out: Path, source: str = "") -> Path:
    """Write paths.csv, summary.json, the plots and report.md/report.html of a simulation into ``out``
    (created if missing); returns report.md's path. ``source`` is the definition file, for the record.
    """
    out.mkdir(parents=True, exist_ok=True)
    per = result.outcome.per_path
    with open(out / "paths.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", *PATH_FIELDS])
        for i in range(result.outcome.n_paths):
            w.writerow([i, *(repr(float(per[k][i])) for k in PATH_FIELDS)])
    summary = result.summary()
    figures = [plots.histogram(per["bad_debt_usd"], out / "bad_debt_hist.png", "Bad debt per path", "USD",
                               {"VaR99": summary["bad_debt_var99_usd"], "VaR95": summary["bad_debt_var95_usd"]}).name]
    s = result.outcome.series
    if s:
        figures.append(plots.fan_chart(s["bad_debt_usd"], out / "fan_bad_debt.png", "Cumulative bad debt",
                                       "USD").name)
        figures.append(plots.fan_chart(s["liquidation_volume_usd"], out / "fan_liquidations.png",
                                       "Cumulative liquidation volume", "USD").name)
    job = result.job
    doc = {"kind": "simulation", "name": result.name, "source": source, "paths": job.n_paths, "steps": job.n_steps,
           "positions": len(job.book), "seed": job.seed, "summary": summary, "figures": figures,
           "parameters": _params(job.params)}
    (out / "summary.json").write_text(json.dumps(doc, indent=2))
    return render(out)


def write_sweep(result: SweepResult, out: Path, source: str = "") -> Path:
    """Write sweep.csv, sweep.json, heatmaps (two axes) or line charts (one axis), fan charts and
    report.md/report.html of a sweep into ``out``; returns report.md's path.

    Raises ``IndexError`` for a sweep with no rows.
    """
    out.mkdir(parents=True, exist_ok=True)
    rows = result.rows
    with open(out / "sweep.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    axes = [a.parameter for a in result.sweep.axes]
    figures = []
    if len(axes) == 2:
        for m in HEAT_METRICS:
            figures.append(plots.heatmap(rows, axes[0], axes[1], m, out / f"heatmap_{m}.png", m).name)
    else:
        figures.append(plots.line(rows, axes[0], ["bad_debt_var99_usd", "bad_debt_cvar99_usd", "bad_debt_mean_usd"],
                                  out / "sweep_bad_debt.png", f"Bad debt vs {axes[0]}").name)
        figures.append(plots.line(rows, axes[0], ["liquidations_at_risk99_usd", "liquidation_volume_mean_usd"],
                                  out / "sweep_liquidations.png", f"Liquidations vs {axes[0]}").name)
    if result.fan is not None and result.fan.series:
        figures.append(plots.fan_chart(result.fan.series["bad_debt_usd"], out / "fan_bad_debt.png",
                                       "Base parameters: cumulative bad debt", "USD").name)
        oracle = result.fan.series["oracle"]
        figures.append(plots.fan_chart(oracle[:, :, _first_collateral(oracle)],
                                       out / "fan_price.png", "Base parameters: oracle price of the main collateral",
                                       "USD").name)
    doc = {"kind": "sweep", "name": result.sweep.name, "description": result.sweep.description, "source": source,
           "axes": axes, "rows": rows, "figures": figures}
    (out / "sweep.json").write_text(json.dumps(doc, indent=2))
    return render(out)


def _first_collateral(oracle: np.ndarray) -> int:
    """Asset column charted from a (paths, steps, assets) oracle series: 1 when there are several assets
    (0 is the debt stablecoin in the shipped sweeps), else 0."""
    return 1 if oracle.shape[2] > 1 else 0


def _params(params) -> dict:
    return {"close_factor_bps": params.close_factor_bps, "full_close_hf_bps": params.full_close_hf_bps,
            "oracle": vars(params.oracle), "arb_recovery": params.arb_recovery,
            "assets": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in vars(a).items()}
                       for a in params.assets]}


def render(out: Path) -> Path:
    """report.md and report.html from summary.json or sweep.json in ``out``; returns report.md's path.

    Raises ``FileNotFoundError`` if ``out`` holds neither JSON file.
    """
    blocks: list[tuple] = []
    if (out / "sweep.json").is_file():
        doc = json.loads((out / "sweep.json").read_text())
        blocks.append(("h1", f"Sweep: {doc['name']}"))
        if doc.get("description"):
            blocks.append(("p", doc["description"]))
        blocks.append(("p", f"Axes: {', '.join(doc['axes'])}. Every cell runs the same seed. Source: {doc['source']}."))
        cols = doc["axes"] + ["bad_debt_probability", "bad_debt_mean_usd", "bad_debt_var95_usd", "bad_debt_var99_usd",
                              "bad_debt_cvar99_usd", "liquidations_at_risk99_usd", "min_health_factor_p1"]
        blocks.append(("table", cols, [[_fmt(r[c]) for c in cols] for r in doc["rows"]]))
    elif (out / "summary.json").is_file():
        doc = json.loads((out / "summary.json").read_text())
        blocks.append(("h1", f"Simulation: {doc['name']}"))
        blocks.append(("p", f"{doc['paths']} paths × {doc['positions']} positions × {doc['steps']} steps, "
                            f"seed {doc['seed']}. Source: {doc['source']}."))
        blocks.append(("table", ["metric", "value"], [[k, _fmt(v)] for k, v in doc["summary"].items()]))
    else:
        raise FileNotFoundError(f"{out}: neither sweep.json nor summary.json")
    blocks.append(("p", "VaR/CVaR: empirical tail over paths (the worst ⌈(1−a)·n⌉ paths); bad debt is valued at the "
                        "oracle price when written off. Semantics and tolerances: docs/risk_lab.md."))
    blocks += [("img", f) for f in doc["figures"]]
    (out / "report.md").write_text(_markdown(blocks))
    (out / "report.html").write_text(_html(blocks, doc["name"]))
    return out / "report.md"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def _markdown(blocks) -> str:
    lines = []
    for b in blocks:
        if b[0] == "h1":
            lines += [f"# {b[1]}", ""]
        elif b[0] == "p":
            lines += [b[1], ""]
        elif b[0] == "table":
            lines += ["| " + " | ".join(b[1]) + " |", "|" + "---|" * len(b[1])]
            lines += ["| " + " | ".join(r) + " |" for r in b[2]] + [""]
        else:
            lines += [f"![{b[1]}]({b[1]})", ""]
    return "\n".join(lines)


def _html(blocks, title: str) -> str:
    e = html.escape
    body = []
    for b in blocks:
        if b[0] == "h1":
            body.append(f"<h1>{e(b[1])}</h1>")
        elif b[0] == "p":
            body.append(f"<p>{e(b[1])}</p>")
        elif b[0] == "table":
            head = "".join(f"<th>{e(c)}</th>" for c in b[1])
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b[2])
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
        else:
            body.append(f'<img src="{e(b[1])}" alt="{e(b[1])}">')
    style = ("body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{style}</style>"
            f"</head><body>{''.join(body)}</body></html>\n")
