"""The compare report: current vs proposed on a fixed book, ready to post (Markdown + self-contained HTML).

``write_compare(result, out)`` writes compare.json (everything the report shows), compare.csv (one row per
scope and metric, with intervals), paths.csv (per path and side: bad debt, liquidations, each asset's price
drop split into exogenous and liquidation-induced), book.csv (the fixed book, reusable with ``--book``),
the charts, and report.md / report.html; ``render_compare(out)`` rebuilds the two reports from the JSON.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from protocol_model.sim import plots
from protocol_model.sim import report_format as fmt
from protocol_model.sim import report_presets as presets
from protocol_model.sim.compare import CONFIDENCE, CompareResult, write_book
from protocol_model.sim.metrics import TAIL_TEXT
from protocol_model.sim.outcome import drop_columns
from protocol_model.sim.output import atomic_file, report_json

HEADLINE = ("bad_debt_var99_usd", "bad_debt_cvar99_usd", "bad_debt_var95_usd", "bad_debt_probability",
            "liquidations_at_risk99_usd", "induced_drop_var99", "positions_liquidatable_at_once",
            "debt_liquidatable_at_once_usd", "borrowing_capacity_usd")
"""Rows of the first metric table (the rest are in the per-asset tables)."""


def _method(result: CompareResult) -> str:
    spec = result.current.spec
    days = spec.steps * spec.step_seconds / 86_400
    unmodelled = sorted({f"{d['asset']} {fmt.parameter_label(d['name'])}" for d in result.diff if not d["modelled"]})
    lag = spec.oracle
    delay = f" after {lag['delay_steps']} steps" if lag.get("delay_steps") else ""
    deviation = f" on a {fmt.pct(lag['deviation_bps'] / 1e4)} deviation" if lag.get("deviation_bps") else ""
    return (f"Method. {result.paths:,} Monte Carlo paths of {spec.steps:,} steps ({days:g} days), seed {spec.seed}; "
            f"both configurations run on the same paths (common random numbers) and on the same book of "
            f"{len(result.book):,} positions, held fixed ({result.book_source}). Market model: "
            f"{fmt.market_text(spec.assets)}; arbitrage closes {spec.arb_recovery:.0%} of a "
            f"pool's dislocation per step; the oracle posts the market price{delay}{deviation}. "
            f"{_keepers_how(result.current.params)}, and sell the seized collateral into the asset's "
            f"constant-product pool, which moves the price: the largest drop of each path is split into the market "
            f"model's (exogenous) part and the part liquidation selling caused. Intervals: {CONFIDENCE:.0%} paired "
            f"percentile bootstrap over paths ({result.resamples:,} resamples). {TAIL_TEXT}. "
            f"{presets.not_modelled(result.current.params.rules)}"
            + (f" Changed parameters the lab does not read: {', '.join(unmodelled)}." if unmodelled else ""))


def _keepers_how(params) -> str:
    """Who liquidates and by which rule (``params``: the current side's ``config.CascadeParams``)."""
    economics = params.liquidators
    if params.rules == "generic":
        return (f"{fmt.keeper_text(economics)}, exactly as LendingPool.liquidate (close factor, full-close line, "
                f"bonus, protocol fee, seize-all and bad-debt write-off, reserves first)")
    text = fmt.keeper_text(economics) if economics.filters_profit or economics.limited else None
    how, bad_debt = presets.LIQUIDATION_TEXT[params.rules]
    return f"{presets.keepers(params.rules, text)}, {how}; {bad_debt}"


def _doc(result: CompareResult, source: dict[str, str], figures: list[tuple[str, str]]) -> dict[str, Any]:
    spec = result.current.spec
    name = f"{spec.name}: {result.current.protocol.name} vs {result.proposed.protocol.name}"
    return {"kind": "compare", "name": name,
            "source": source, "book": {"held": "fixed", "source": result.book_source, "positions": len(result.book),
                     "cross_collateral": len(result.book.multi) if result.book.multi is not None else 0},
            "paths": result.paths, "steps": spec.steps, "step_seconds": spec.step_seconds, "seed": spec.seed,
            "resamples": result.resamples, "confidence": CONFIDENCE, "method": _method(result),
            "diff": [{**d, "current": _jsonable(d["current"]), "proposed": _jsonable(d["proposed"])}
                     for d in result.diff],
            "scopes": result.scopes, "worst_paths": result.worst_paths(), "on_chain": result.on_chain,
            "notes": result.notes,
            "figures": [list(f) for f in figures]}


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def write_compare(result: CompareResult, out: Path, source: dict[str, str] | None = None) -> Path:
    """Write the compare's files into ``out`` (created if missing); returns report.md's path."""
    out.mkdir(parents=True, exist_ok=True)
    params = result.current.params
    names = [a.name for a in params.assets]
    write_book(result.book, params, out / "book.csv")
    with open(out / "compare.csv", "w", newline="") as f:
        w = csv.writer(f)
        cols = ["current", "current_lo", "current_hi", "proposed", "proposed_lo", "proposed_hi", "change",
                "change_lo", "change_hi"]
        w.writerow(["scope", "key", "label", "unit", *cols, "exact", "paths"])
        for scope, rows in result.scopes.items():
            for r in rows:
                w.writerow([scope, r["key"], r["label"], r["unit"], *(repr(r[c]) if c in r else "" for c in cols),
                            r["exact"], result.paths])
    _write_paths(result, names, out / "paths.csv")
    figures = _figures(result, out)
    doc = _doc(result, source or {}, figures)
    (out / "compare.json").write_text(report_json(doc))
    return render_compare(out)


def _write_paths(result: CompareResult, names: list[str], path: Path) -> None:
    cols: dict[str, np.ndarray] = {}
    for side in ("current", "proposed"):
        o = result.outcomes[side]
        cols[f"{side}_bad_debt_usd"] = o.per_path["bad_debt_usd"]
        cols[f"{side}_liquidation_volume_usd"] = o.per_path["liquidation_volume_usd"]
        cols.update(drop_columns(o, names, f"{side}_"))
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", *cols])
        for i in range(result.paths):
            w.writerow([i, *(repr(float(c[i])) for c in cols.values())])


def _figures(result: CompareResult, out: Path) -> list[tuple[str, str]]:
    spec = result.current.spec
    days = spec.step_seconds / 86_400
    a, b = result.outcomes["current"], result.outcomes["proposed"]
    total = {r["key"]: r for r in result.scopes["Total"]}
    figs = [(plots.tail_histogram({"current": a.per_path["bad_debt_usd"], "proposed": b.per_path["bad_debt_usd"]},
                                  out / "bad_debt_tail.png", "Bad debt per path (paths with bad debt; log scale)",
                                  "bad debt (USD, log scale)",
                                  {"VaR 99% current": total["bad_debt_var99_usd"]["current"],
                                   "VaR 99% proposed": total["bad_debt_var99_usd"]["proposed"]}).name,
             "Bad debt per path, current and proposed, on a log scale: the tail the VaR and CVaR rows summarize.")]
    fa, fb = result.outcomes.get("current_fan"), result.outcomes.get("proposed_fan")
    if fa is None or fb is None or not fb.series:
        return figs
    n = fb.n_paths
    figs.append((plots.fan_chart(fb.series["bad_debt_usd"], out / "fan_bad_debt.png",
                                 f"Cumulative bad debt, proposed (bands) vs current (dashed), first {n} paths",
                                 "USD", days_per_step=days, overlay={"current median": fa.series["bad_debt_usd"]}).name,
                 "Cumulative bad debt over the horizon: percentile bands under the proposed parameters, the current "
                 "parameters' median dashed."))
    for k, asset in enumerate(spec.assets):
        if asset.name not in result.scopes or not asset.amm_depth_usd:
            continue
        figs.append((plots.fan_chart(fb.series["market"][:, :, k], out / f"fan_price_{asset.name}.png",
                                     f"{asset.name} price: market with liquidation selling (bands, proposed) vs "
                                     f"exogenous (dashed)", "USD", days_per_step=days,
                                     overlay={"exogenous median (p5 dotted)": fb.series["fundamental"][:, :, k]}).name,
                     f"{asset.name} price over the horizon under the proposed parameters: the bands are the market "
                     f"price liquidators sell into; the dashed line is the market model's own (exogenous) path; "
                     f"the gap is the drop liquidation selling caused."))
    return figs


def metric_row(r: dict[str, Any]) -> list[str]:
    """A metric row as table cells: label, current, proposed, change; sampled values with their 95% intervals,
    exact ones marked 'exact for the book'."""
    unit = r["unit"]
    if r["exact"]:
        return [r["label"], fmt.value(r["current"], unit), fmt.value(r["proposed"], unit),
                fmt.value(r["change"], unit, signed=True) + " (exact for the book)"]
    ci = lambda name, signed=False: f" (95% CI {fmt.interval(r[name + '_lo'], r[name + '_hi'], unit, signed)})"  # noqa: E731
    return [r["label"], fmt.value(r["current"], unit) + ci("current"), fmt.value(r["proposed"], unit) + ci("proposed"),
            fmt.value(r["change"], unit, signed=True) + ci("change", True)]


def _accounts(book: dict) -> str:
    """``, of which N cross-collateral accounts`` (several collaterals and debts each) for a book holding some
    (compare.json's ``book``), else ''."""
    n = book.get("cross_collateral", 0)
    return f", of which {n:,} cross-collateral accounts" if n else ""


def render_compare(out: Path) -> Path:
    """report.md and report.html from ``out``/compare.json; returns report.md's path.

    Raises ``FileNotFoundError`` if there is no compare.json, ``KeyError`` for a JSON of another shape.
    """
    doc = json.loads((out / "compare.json").read_text())
    src = doc["source"]
    blocks: list[tuple] = [("h1", f"Current vs proposed: {doc['name']}"),
                           ("p", f"Book: fixed — {doc['book']['positions']:,} positions{_accounts(doc['book'])} "
                                 f"({doc['book']['source']}). "
                                 f"{doc['paths']:,} paths per configuration. Current: {src.get('current', '')}; "
                                 f"proposed: {src.get('proposed', '')}; market: {src.get('simulation', '')}.")]
    modelled = [d for d in doc["diff"] if d["modelled"]]
    blocks.append(("h2", "Parameters"))
    if doc["diff"]:
        blocks.append(("table", ["Parameter", "Current", "Proposed", "In the simulation"],
                       [[f"{d['asset']} {fmt.parameter_label(d['name'])}", fmt.parameter(d["name"], d["current"]),
                         fmt.parameter(d["name"], d["proposed"]), "yes" if d["modelled"] else "no (not modelled)"]
                        for d in doc["diff"]]))
    else:
        blocks.append(("p", "The two protocol files have the same parameters."))
    if doc["diff"] and not modelled:
        blocks.append(("p", "No changed parameter is one the simulation reads: both columns below are the same."))
    header = ["Metric", "Current", "Proposed", "Change"]
    total = {r["key"]: r for r in doc["scopes"]["Total"]}
    blocks += [("h2", "What changes (whole book)"),
               ("table", header, [metric_row(total[k]) for k in HEADLINE if k in total])]
    for scope, rows in doc["scopes"].items():
        title = "Whole book, every metric" if scope == "Total" else f"Positions backed by {scope}"
        blocks += [("h2", title), ("table", header, [metric_row(r) for r in rows])]
    wp = doc["worst_paths"]
    blocks += [("h2", "Method"), ("p", doc["method"]),
               *_on_chain(wp, doc.get("on_chain", [])),
               *[("p", f"Note: {n}") for n in doc["notes"]]]
    blocks += [("img", f, caption) for f, caption in doc["figures"]]
    atomic_file(out / "report.md", fmt.markdown(blocks))  # never in place: the folder may hard-link the old one
    atomic_file(out / "report.html", fmt.html_page(blocks, doc["name"], out))
    return out / "report.md"


def _on_chain(worst: dict[str, list[int]], rows: list[dict[str, Any]]) -> list[tuple]:
    """The report's on-chain section: the verification table, or the worst paths to replay."""
    if not rows:
        return [("p", f"Worst paths (most bad debt): current {worst['current']}, proposed {worst['proposed']} "
                      f"(paths.csv has every path); run with --verify-on-chain to replay them through the "
                      f"contracts.")]
    return on_chain_section(rows, "On-chain check of the worst paths",
                            "The paths with the most bad debt under each configuration")


REPLAYED_ON = {
    "generic": "the contracts (LendingPool, PriceRouter, the same bytecode ape compiles, on the in-process chain, "
               "from a pool with no starting reserves) with the exact model beside them",
    "aave-v3": "the real Aave V3 1.19.3 bytecode (npm @aave/core-v3's own artifacts, on the in-process chain, "
               "every call at one block time) with the exact Aave V3 twin beside it",
    "morpho-blue": "the real Morpho Blue 1.0.0 bytecode (compiled from npm @morpho-org/morpho-blue, on the "
                   "in-process chain, every call at one block time) with the exact Morpho Blue twin beside it",
}
"""What a replay row's ``protocol`` was replayed on, for the report's method paragraph."""


def on_chain_section(rows: list[dict[str, Any]], title: str, subject: str) -> list[tuple]:
    """Report blocks for on-chain replays (``chain.lab_verify.VerifiedPath.row`` rows, non-empty): a method
    paragraph starting with ``subject`` (what was replayed), the verdict, and one table row per replay."""
    ok = all(r["ok"] for r in rows)
    steps = sum(r["steps"] for r in rows)

    def bad(d: dict[str, float]) -> str:
        return ", ".join(f"{v:,.2f} {k}" for k, v in d.items() if v) or "0"

    table = [[r["side"], str(r["path"]), ", ".join(r["positions"]), f"{r['steps']:,}",
              f"{r['lab_liquidations']} / {r['chain_liquidations']}", bad(r["bad_debt_lab"]),
              bad(r["bad_debt_chain"]), "yes" if r["ok"] else "NO"] for r in rows]
    verdict = ("Model and chain agreed to the wei on every field after every step, and the chain showed the "
               "lab's liquidations and bad debt" if ok else "DISAGREEMENT: see the rows marked NO and the "
                                                            "JSON's on_chain failures")
    where = "; ".join(REPLAYED_ON[k] for k in dict.fromkeys(r.get("protocol", "generic") for r in rows))
    return [("h2", title),
            ("p", f"{subject} were replayed through {where}: the lab's oracle prices "
                  f"as price updates and a keeper liquidating every position below a health factor of 1, for the "
                  f"positions that matter on each path (most bad debt, then most liquidated, then the largest "
                  f"debts), amounts in token units and debts capped at the LTV line. {steps:,} steps in all. "
                  f"{verdict}."),
            ("table", ["Configuration", "Path", "Positions", "Steps", "Liquidations lab / chain", "Bad debt (lab)",
                       "Bad debt (chain)", "Agree"], table)]
