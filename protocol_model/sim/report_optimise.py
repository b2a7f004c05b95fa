"""The optimise report: recommended parameters per risk profile, the frontier, the on-chain check.

``write_optimise(result, out)`` writes optimise.json (everything the report shows), evaluations.csv (every
evaluated point: parameters, valid or why not, capacity, risk, on the frontier or not), frontier.png, and
report.md / report.html (self-contained, images embedded); ``render_optimise(out)`` rebuilds both reports
from the JSON.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from protocol_model.sim import plots
from protocol_model.sim import report_format as fmt
from protocol_model.sim import report_presets as presets
from protocol_model.sim.compare import CONFIDENCE, METRICS
from protocol_model.sim.optimise import PARAMETERS, PROFILES, Evaluation, OptimisationResult
from protocol_model.sim.output import atomic_file, report_json
from protocol_model.sim.report_compare import metric_row, on_chain_section


def _label(key: str) -> tuple[str, str]:
    """(plain label, unit) of a ``compare.METRICS`` key."""
    m = next(m for m in METRICS if m[0] == key)
    return m[1], m[4]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _point(e: Evaluation | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"parameters": e.values, "valid": e.valid, "reason": e.reason, "capacity_usd": e.capacity_usd,
            "risk": e.risk}


def _method(result: OptimisationResult) -> str:
    spec, sim = result.spec, result.simulation
    days = sim.steps * sim.step_seconds / 86_400
    label, _ = _label(spec.risk)
    searched = ", ".join(f"{fmt.parameter_label(PARAMETERS[p])} {fmt.parameter(PARAMETERS[p], r.low)}–"
                         f"{fmt.parameter(PARAMETERS[p], r.high)}" for p, r in spec.search.items())
    book = ("rebuilt at each candidate's parameters (borrowers use the capacity the parameters give: a higher LTV "
            "carries more debt)" if spec.book == "rebuilt" else
            "held fixed at the current parameters (today's borrowers: LTV changes capacity, not risk)")
    return (f"Method. Searched {spec.asset}'s {searched} on a {fmt.parameter('step_bps', spec.step)} grid, with "
            f"liquidation threshold − LTV >= {fmt.parameter('gap_bps', spec.min_gap)} and every point the pool "
            f"accepts. For each budget, differential evolution (scipy, seed {spec.seed}, {spec.generations} "
            f"generations, population {spec.population} per parameter) maximised the borrowing capacity of the "
            f"book (collateral value × LTV at the starting prices) with the risk measure ({label}) within the "
            f"budget; every evaluated point is kept, the frontier is the set no other point beats on both, and each "
            f"recommendation is the evaluated point with the most capacity within its budget. Every candidate ran "
            f"the same {result.paths:,} paths of {sim.steps:,} steps ({days:g} days), seed {sim.seed} (common random "
            f"numbers); the book was {book}. Market model: {fmt.market_text(sim.assets)}. Intervals: "
            f"{CONFIDENCE:.0%} paired percentile bootstrap over paths against the current parameters. "
            f"{presets.not_modelled(sim.rules)}")


def write_optimise(result: OptimisationResult, out: Path, source: str = "") -> Path:
    """Write the optimisation's files into ``out`` (created if missing); returns report.md's path."""
    out.mkdir(parents=True, exist_ok=True)
    spec = result.spec
    names = list(spec.search)
    front = result.frontier()
    on_front = {e.point for e in front}
    with open(out / "evaluations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*(f"{p}_bps" for p in names), "valid", "reason", "capacity_usd", spec.risk, "frontier"])
        for e in sorted(result.evaluations, key=lambda e: e.point):
            w.writerow([*(v for _, v in e.point), e.valid, e.reason, repr(e.capacity_usd) if e.valid else "",
                        repr(e.risk) if e.valid else "", e.point in on_front])
    label, unit = _label(spec.risk)
    share = unit == "share"
    chosen = {p: (e.risk, e.capacity_usd) for p, e in result.chosen.items() if e is not None}
    plots.frontier([(e.risk, e.capacity_usd) for e in result.evaluations if e.valid],
                   [(e.risk, e.capacity_usd) for e in front], chosen,
                   {p: getattr(spec.budgets, p) for p in PROFILES}, out / "frontier.png",
                   f"{spec.asset}: borrowing capacity against risk", label, risk_is_share=share)
    doc = {"kind": "optimisation", "name": spec.name, "source": source, "asset": spec.asset,
           "simulation": spec.simulation, "book": spec.book, "paths": result.paths, "risk": spec.risk,
           "risk_label": label, "risk_unit": unit, "budgets": spec.budgets.model_dump(),
           "searched": names, "current": _point(result.current),
           "chosen": {p: _point(e) for p, e in result.chosen.items()},
           "frontier": [_point(e) for e in front], "evaluations": len(result.evaluations),
           "tables": result.tables, "on_chain": result.on_chain, "method": _method(result)}
    (out / "optimise.json").write_text(report_json(doc))
    return render_optimise(out)


def render_optimise(out: Path) -> Path:
    """report.md and report.html from ``out``/optimise.json; returns report.md's path.

    Raises ``FileNotFoundError`` without optimise.json, ``KeyError`` for a JSON of another shape.
    """
    doc = json.loads((out / "optimise.json").read_text())
    unit, label = doc["risk_unit"], doc["risk_label"]
    asset = doc["asset"]
    budgets = {p: fmt.value(doc["budgets"][p], unit) for p in PROFILES}
    blocks: list[tuple] = [
        ("h1", f"Recommended {asset} parameters: {doc['name']}"),
        ("p", f"Risk measure: {label}. Budgets: conservative {budgets['conservative']}, moderate "
              f"{budgets['moderate']}, aggressive {budgets['aggressive']}. Book: {doc['book']}. "
              f"{doc['paths']:,} paths per candidate, {doc['evaluations']:,} candidates evaluated. "
              f"Source: {doc['source'] or doc['name']}; market: {doc['simulation']}.")]
    cur = doc["current"]
    header = ["", "Current", *(f"{p.capitalize()} (≤ {budgets[p]})" for p in PROFILES)]
    rows = []
    for p in doc["searched"]:
        name = PARAMETERS[p]
        rows.append([f"{asset} {fmt.parameter_label(name)}", fmt.parameter(name, cur["parameters"][p]),
                     *(fmt.parameter(name, c["parameters"][p]) if c else "none within budget"
                       for c in (doc["chosen"][q] for q in PROFILES))])
    rows.append(["Borrowing capacity", fmt.usd(cur["capacity_usd"]),
                 *(fmt.usd(c["capacity_usd"]) if c else "–" for c in (doc["chosen"][q] for q in PROFILES))])
    rows.append([label, fmt.value(cur["risk"], unit),
                 *(fmt.value(c["risk"], unit) if c else "–" for c in (doc["chosen"][q] for q in PROFILES))])
    blocks += [("h2", "Recommendations"), ("table", header, rows)]
    for p in PROFILES:
        title = f"{p.capitalize()}: {label} within {budgets[p]}"
        if doc["chosen"][p] is None:
            blocks += [("h2", title), ("p", "No evaluated parameters in the searched ranges meet this budget.")]
            continue
        blocks += [("h2", title), ("table", ["Metric", "Current", "Recommended", "Change"],
                                   [metric_row(r) for r in doc["tables"][p]])]
    blocks += [("h2", "Frontier"),
               ("img", "frontier.png", f"Borrowing capacity against {label.lower()} for every evaluated point; the "
                                       f"line joins the points no other beats on both; stars are the three "
                                       f"recommendations, dotted lines their budgets."),
               ("table", [_capital(fmt.parameter_label(PARAMETERS[p])) for p in doc["searched"]] +
                ["Borrowing capacity", label],
                [[fmt.parameter(PARAMETERS[p], e["parameters"][p]) for p in doc["searched"]] +
                 [fmt.usd(e["capacity_usd"]), fmt.value(e["risk"], unit)] for e in doc["frontier"]])]
    if doc["on_chain"]:
        blocks += on_chain_section(doc["on_chain"], "On-chain check of the recommendations",
                                   "The paths with the most bad debt under each recommendation")
    blocks += [("h2", "Method"), ("p", doc["method"])]
    atomic_file(out / "report.md", fmt.markdown(blocks))  # never in place: the folder may hard-link the old one
    atomic_file(out / "report.html", fmt.html_page(blocks, doc["name"], out))
    return out / "report.md"
