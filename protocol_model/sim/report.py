"""Reports a designer can attach to a governance proposal: Markdown and a self-contained HTML page (images
embedded), PNG plots, CSV and JSON.

Everything is written into one output directory, atomically: into a temporary folder beside it that
replaces it only once complete (``output.atomic_dir``), so an interrupted run leaves the previous report
whole. ``render(dir)`` rebuilds report.md / report.html from the JSON alone (the ``report`` command).
Numbers are written as a designer reads them
(``report_format``): plain metric names, percents for probabilities and parameters, dollars with
thousands separators, a method paragraph, and the book the run holds.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from protocol_model.scenario.base import ScenarioError
from protocol_model.sim import plots
from protocol_model.sim import report_format as fmt
from protocol_model.sim import report_presets as presets
from protocol_model.sim.metrics import TAIL_TEXT, tail_count
from protocol_model.sim.outcome import PATH_FIELDS, drop_columns, liquidation_induced_drop
from protocol_model.sim.output import atomic_dir, atomic_file, check_out, report_json
from protocol_model.sim.run import SimulationResult
from protocol_model.sim.sweep import SweepResult

HEAT_METRICS = ("bad_debt_var99_usd", "bad_debt_cvar99_usd", "bad_debt_probability", "liquidations_at_risk99_usd")
TABLE_METRICS = ("bad_debt_probability", "bad_debt_mean_usd", "bad_debt_var95_usd", "bad_debt_var99_usd",
                 "bad_debt_cvar99_usd", "liquidations_at_risk99_usd", "min_health_factor_p1")
"""Metrics of a sweep's table, one column each."""


def price_drops(outcome) -> dict[str, float]:
    """The summary of the exogenous / liquidation-induced split of the largest price drop, over paths, of
    the asset that fell most on each path: drop exceeded on 1% of paths and the two parts on those paths
    (fractions of the starting price). Empty if the outcome has no per-asset fields."""
    pa = outcome.per_asset
    if not pa:
        return {}
    drop = 1.0 - pa["min_market_rel"]
    rows = np.arange(drop.shape[0])
    worst = np.argmax(drop, axis=1)
    total, induced = drop[rows, worst], liquidation_induced_drop(pa)[rows, worst]
    k = tail_count(total.size, 0.99)
    tail = np.argsort(-total, kind="stable")[:k]
    return {"price_drop_p99": float(total[tail].min()), "exogenous_drop_p99": float((total - induced)[tail].mean()),
            "induced_drop_p99": float(induced[tail].mean())}


def _method(doc: dict) -> str:
    days = doc["steps"] * doc.get("step_seconds", 86_400) / 86_400
    rules = doc.get("rules", "generic")
    how, bad_debt = presets.LIQUIDATION_TEXT[rules]
    return (f"Method. {doc['paths']:,} Monte Carlo paths of {doc['steps']:,} steps ({days:g} days), seed "
            f"{doc['seed']}, {doc['positions']:,} positions. Market model: {doc.get('market', '')}. "
            f"{presets.keepers(rules, doc.get('keepers'))}, {how}, and sell the seized "
            f"collateral into the asset's constant-product pool, which moves the price. {TAIL_TEXT}; "
            f"{bad_debt}. {presets.not_modelled(rules)} Semantics and "
            f"tolerances: docs/risk_lab.md.")


def _spec_fields(spec, positions: int) -> dict:
    return {"step_seconds": spec.step_seconds, "market": fmt.market_text(spec.assets), "positions": positions,
            "days_per_step": spec.step_seconds / 86_400, "rules": getattr(spec, "rules", "generic"),
            **_keepers(spec)}


def _keepers(spec) -> dict:
    """``{"keepers": text}`` when the simulation's ``liquidators:`` sets the keepers' economics, else {}."""
    given = getattr(spec, "liquidators", None)
    rules = given.rules() if given is not None else None
    return {"keepers": fmt.keeper_text(rules)} if rules is not None and (rules.filters_profit or rules.limited) else {}


def write_simulation(result: SimulationResult, out: Path, source: str = "", spec=None) -> Path:
    """Write paths.csv, summary.json, the plots and report.md/report.html of a simulation into ``out``
    (created if missing); returns report.md's path. ``source`` is the definition file, for the record;
    ``spec`` (the ``SimulationSpec``) adds the market model and days to the report.
    """
    with atomic_dir(out) as tmp:
        _write_simulation(result, tmp, source, spec)
    return out / "report.md"


def _write_simulation(result: SimulationResult, out: Path, source: str, spec) -> None:
    per = result.outcome.per_path
    job = result.job
    names = [a.name for a in job.params.assets]
    cols = {**{k: per[k] for k in PATH_FIELDS}, **drop_columns(result.outcome, names)}
    with open(out / "paths.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", *cols])
        for i in range(result.outcome.n_paths):
            w.writerow([i, *(repr(float(c[i])) for c in cols.values())])
    summary = {**result.summary(), **price_drops(result.outcome)}
    days = spec.step_seconds / 86_400 if spec is not None else None
    figures = [(plots.tail_histogram({"bad debt": per["bad_debt_usd"]}, out / "bad_debt_hist.png",
                                     "Bad debt per path (paths with bad debt; log scale)", "bad debt (USD, log scale)",
                                     {"VaR 99%": summary["bad_debt_var99_usd"],
                                      "VaR 95%": summary["bad_debt_var95_usd"]}).name,
                "Bad debt per path on a log scale, with the 95% and 99% VaR.")]
    s = result.outcome.series
    if s:
        figures.append((plots.fan_chart(s["bad_debt_usd"], out / "fan_bad_debt.png", "Cumulative bad debt", "USD",
                                        days_per_step=days).name, "Cumulative bad debt: median and percentile bands."))
        figures.append((plots.fan_chart(s["liquidation_volume_usd"], out / "fan_liquidations.png",
                                        "Cumulative liquidated debt", "USD", days_per_step=days).name,
                        "Cumulative liquidated debt: median and percentile bands."))
        figures += _price_fans(s, names, job.params, out, days, "")
    doc = {"kind": "simulation", "name": result.name, "source": source, "paths": job.n_paths, "steps": job.n_steps,
           "positions": len(job.book), "seed": job.seed, "summary": summary, "figures": [list(f) for f in figures],
           "parameters": _params(job.params),
           "book": f"read from {spec.book.file}" if spec is not None and spec.book.file
           else "drawn by the simulation's book rule"}
    if spec is not None:
        doc.update(_spec_fields(spec, len(job.book)))
    (out / "summary.json").write_text(report_json(doc))
    _render(out)


def _price_fans(series: dict, names: list[str], params, out: Path, days: float | None,
                what: str) -> list[tuple[str, str]]:
    """One price fan chart per asset with a finite pool: market price bands, exogenous price dashed."""
    figs = []
    for k, a in enumerate(params.assets):
        if not np.isfinite(a.amm_depth_usd) or "fundamental" not in series:
            continue
        figs.append((plots.fan_chart(series["market"][:, :, k], out / f"fan_price_{names[k]}.png",
                                     f"{names[k]} price{what}: market (bands) vs exogenous (dashed)", "USD",
                                     days_per_step=days,
                                     overlay={"exogenous median (p5 dotted)": series["fundamental"][:, :, k]}).name,
                     f"{names[k]} price: the bands are the market price liquidators sell into, the dashed line the "
                     f"market model's own (exogenous) price; the gap is the drop liquidation selling caused."))
    return figs


def write_sweep(result: SweepResult, out: Path, source: str = "") -> Path:
    """Write sweep.csv, sweep.json, heatmaps (two axes) or line charts (one axis), fan charts and
    report.md/report.html of a sweep into ``out``; returns report.md's path.

    Raises ``IndexError`` for a sweep with no rows.
    """
    with atomic_dir(out) as tmp:
        _write_sweep(result, tmp, source)
    return out / "report.md"


def _write_sweep(result: SweepResult, out: Path, source: str) -> None:
    rows = result.rows
    with open(out / "sweep.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    axes = [a.parameter for a in result.sweep.axes]
    spec = result.base
    days = spec.step_seconds / 86_400 if spec is not None else None
    figures: list[tuple[str, str]] = []
    if len(axes) == 2:
        def tick(axis: str) -> Callable[[float], str]:
            return lambda v: fmt.axis_value(axis, v)

        def cell(unit: str) -> Callable[[float], str]:
            return lambda v: fmt.short(v, unit)

        for m in HEAT_METRICS:
            label, unit = fmt.METRIC_LABELS[m]
            figures.append((plots.heatmap(
                rows, axes[0], axes[1], m, out / f"heatmap_{m}.png", label, xlabel=fmt.axis_label(axes[0]),
                ylabel=fmt.axis_label(axes[1]), colorbar="USD" if unit == "usd" else "probability",
                xfmt=tick(axes[0]), yfmt=tick(axes[1]), cellfmt=cell(unit)).name,
                f"{label} by {fmt.axis_label(axes[0])} and {fmt.axis_label(axes[1])}."))
    else:
        labels = {k: v[0] for k, v in fmt.METRIC_LABELS.items()}

        def xfmt(v: float) -> str:
            return fmt.axis_value(axes[0], v)

        figures.append((plots.line(rows, axes[0], ["bad_debt_var99_usd", "bad_debt_cvar99_usd", "bad_debt_mean_usd"],
                                   out / "sweep_bad_debt.png", f"Bad debt vs {fmt.axis_label(axes[0])}",
                                   labels=labels, xlabel=fmt.axis_label(axes[0]), xfmt=xfmt).name,
                        f"Bad debt VaR 99%, CVaR 99% and mean against {fmt.axis_label(axes[0])}."))
        figures.append((plots.line(rows, axes[0], ["liquidations_at_risk99_usd", "liquidation_volume_mean_usd"],
                                   out / "sweep_liquidations.png", f"Liquidations vs {fmt.axis_label(axes[0])}",
                                   labels=labels, xlabel=fmt.axis_label(axes[0]), xfmt=xfmt).name,
                        f"Liquidations at risk (99%) and average liquidated debt against {fmt.axis_label(axes[0])}."))
    if result.fan is not None and result.fan.series and spec is not None:
        figures.append((plots.fan_chart(result.fan.series["bad_debt_usd"], out / "fan_bad_debt.png",
                                        "Base parameters: cumulative bad debt", "USD", days_per_step=days).name,
                        "Cumulative bad debt at the base parameters: median and percentile bands."))
        params = spec.params()
        figures += _price_fans(result.fan.series, [a.name for a in spec.assets], params, out, days,
                               " (base parameters)")
    doc: dict[str, Any] = {"kind": "sweep", "name": result.sweep.name, "description": result.sweep.description,
                           "source": source, "axes": axes, "rows": rows, "figures": [list(f) for f in figures],
                           "book": result.sweep.book}
    if spec is not None:
        doc.update(paths=result.sweep.paths or spec.paths, steps=spec.steps, seed=spec.seed,
                   **_spec_fields(spec, result.positions))
    (out / "sweep.json").write_text(report_json(doc))
    _render(out)


def _params(params) -> dict:
    return {"close_factor_bps": params.close_factor_bps, "full_close_hf_bps": params.full_close_hf_bps,
            "oracle": vars(params.oracle), "arb_recovery": params.arb_recovery, "interest": params.accrues,
            "assets": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                        for k, v in dataclasses.asdict(a).items()} for a in params.assets]}


BOOK_TEXT = {"fixed": "Book: fixed — every cell runs the base simulation's book (today's borrowers after the "
                      "change).",
             "rebuilt": "Book: rebuilt — each cell draws its own book at the cell's parameters (a new market at "
                        "those parameters, not today's borrowers after a change)."}
"""How a sweep report states the book it holds."""


def render(out: Path) -> Path:
    """Re-render report.md and report.html from compare.json, summary.json or sweep.json in ``out`` (the
    ``report`` command); the folder is replaced atomically (``output.atomic_dir``). Returns report.md's path.

    Raises ``ScenarioError`` (one line) if ``out`` is not a folder, holds neither JSON file, or its JSON
    is not a report of this package.
    """
    if not out.is_dir():
        raise ScenarioError(f"{out}: not a folder (give an output folder of simulate, sweep or compare)")
    if (out / "compare.json").is_file():
        from protocol_model.sim.report_compare import render_compare

        source, render = out / "compare.json", render_compare  # type: Path, Callable[[Path], object]
        _load_doc(source, ("name", "source", "book", "paths", "diff", "scopes"))
    elif any((out / name).is_file() for name in ("sweep.json", "summary.json")):
        source = out / ("sweep.json" if (out / "sweep.json").is_file() else "summary.json")
        render = _render
        _report_doc(out)  # a bad JSON file is named where it is, before any copy
    else:
        raise ScenarioError(f"{out}: none of sweep.json, summary.json, compare.json (not an output of simulate, "
                            f"sweep or compare)")
    check_out(out, "report")
    try:
        with atomic_dir(out, seed_from_old=True) as tmp:
            render(tmp)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:  # a JSON edited by hand
        raise ScenarioError(f"{source}: {type(err).__name__} {err} while rendering (not a report of this package, "
                            f"or edited by hand); the folder was left as it was") from None
    return out / "report.md"


def _load_doc(path: Path, keys: tuple[str, ...]) -> dict:
    """A report JSON file, checked to hold ``keys``; ScenarioError (one line) otherwise."""
    try:
        doc = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ScenarioError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: (top level): expected an object")
    missing = [k for k in keys if k not in doc]
    if missing:
        raise ScenarioError(f"{path}: {missing[0]}: Field required (not a report of this package)")
    return doc


def _report_doc(out: Path) -> dict:
    """The checked JSON document of an output folder: sweep.json, else summary.json."""
    if (out / "sweep.json").is_file():
        return _load_doc(out / "sweep.json", ("name", "axes", "rows", "figures", "source"))
    if (out / "summary.json").is_file():
        return _load_doc(out / "summary.json", ("name", "paths", "positions", "steps", "seed", "summary", "figures",
                                                "source"))
    raise ScenarioError(f"{out}: neither sweep.json nor summary.json")


def _render(out: Path) -> None:
    doc = _report_doc(out)
    blocks: list[tuple] = []
    if (out / "sweep.json").is_file():
        blocks.append(("h1", f"Sweep: {doc['name']}"))
        if doc.get("description"):
            blocks.append(("p", doc["description"]))
        blocks.append(("p", BOOK_TEXT[doc.get("book", "rebuilt")] + " Every cell runs the same paths (same seed)."
                       f" Axes: {', '.join(fmt.axis_label(a) for a in doc['axes'])}. Source: {doc['source']}."))
        header = [fmt.axis_label(a) for a in doc["axes"]] + [fmt.METRIC_LABELS[m][0] for m in TABLE_METRICS]
        blocks.append(("table", header, [[fmt.axis_value(a, r[a]) for a in doc["axes"]]
                                         + [fmt.value(r[m], fmt.METRIC_LABELS[m][1]) for m in TABLE_METRICS]
                                         for r in doc["rows"]]))
    else:
        blocks.append(("h1", f"Simulation: {doc['name']}"))
        blocks.append(("p", f"Book: {doc.get('book', 'drawn by the simulation')}, {doc['positions']:,} positions. "
                            f"{doc['paths']:,} paths × {doc['steps']:,} steps, seed {doc['seed']}. "
                            f"Source: {doc['source']}."))
        blocks.append(("table", ["Metric", "Value"],
                       [[fmt.METRIC_LABELS.get(k, (k, "number"))[0],
                         fmt.value(v, fmt.METRIC_LABELS.get(k, (k, "number"))[1])]
                        for k, v in doc["summary"].items()]))
        rows = presets.param_rows(doc["parameters"], doc.get("rules", "generic"))
        blocks += [("h2", "Parameters"), ("table", ["Asset", "Parameter", "Value"], rows)]
    if "market" in doc:
        blocks += [("h2", "Method"), ("p", _method(doc))]
    else:
        blocks.append(("p", f"{TAIL_TEXT}; bad debt is valued at the oracle price when written off. Semantics "
                            "and tolerances: docs/risk_lab.md."))
    blocks += [("img", *f) if isinstance(f, list) else ("img", f, f) for f in doc["figures"]]
    atomic_file(out / "report.md", fmt.markdown(blocks))
    atomic_file(out / "report.html", fmt.html_page(blocks, doc["name"], out))
