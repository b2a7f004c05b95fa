"""How reports write numbers and lay out pages: plain-language labels, percents, dollars, Markdown and a
self-contained HTML page (images embedded as base64) that fits a 1280 px screen.

A report is a list of blocks: ``("h1"|"h2"|"p", text)``, ``("table", header, rows)`` (cells are strings)
and ``("img", file name, caption)`` (a PNG in the output folder).
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

PARAMETER_LABELS = dict((
    ("ltv_bps", "LTV"), ("liquidation_threshold_bps", "liquidation threshold"),
    ("liquidation_bonus_bps", "liquidation bonus"), ("liquidation_protocol_fee_bps", "protocol share of the bonus"),
    ("reserve_factor_bps", "reserve factor"), ("close_factor_bps", "close factor"),
    ("full_close_hf_bps", "full-close health factor"), ("flash_loan_fee_bps", "flash-loan fee"),
    ("price_usd", "starting price"), ("decimals", "decimals"), ("supply_cap", "supply cap"),
    ("borrow_cap", "borrow cap"), ("amm_depth_usd", "pool depth per side"), ("volatility_scale", "volatility scale"),
    ("oracle_delay_steps", "oracle delay"), ("lltv_bps", "LLTV"),
))  # pairs, not a dict literal: labels, not parameter values
"""Field name -> the designer's name for it."""

METRIC_LABELS = {
    "paths": ("Paths", "count"),
    "bad_debt_probability": ("Chance of any bad debt", "share"),
    "bad_debt_mean_usd": ("Average bad debt", "usd"),
    "bad_debt_var95_usd": ("Bad debt exceeded on 5% of paths (VaR 95%)", "usd"),
    "bad_debt_cvar95_usd": ("Average bad debt on the worst 5% of paths (CVaR 95%)", "usd"),
    "bad_debt_var99_usd": ("Bad debt exceeded on 1% of paths (VaR 99%)", "usd"),
    "bad_debt_cvar99_usd": ("Average bad debt on the worst 1% of paths (CVaR 99%)", "usd"),
    "liquidations_at_risk95_usd": ("Liquidations exceeded on 5% of paths (LaR 95%)", "usd"),
    "liquidations_at_risk99_usd": ("Liquidations exceeded on 1% of paths (LaR 99%)", "usd"),
    "supplier_loss_var95_usd": ("Supplier loss exceeded on 5% of paths", "usd"),
    "supplier_loss_var99_usd": ("Supplier loss exceeded on 1% of paths", "usd"),
    "liquidation_count_mean": ("Average number of liquidations", "number"),
    "liquidation_volume_mean_usd": ("Average liquidated debt", "usd"),
    "min_health_factor_p1": ("Lowest health factor, 1st percentile of paths", "number"),
    "min_health_factor_median": ("Lowest health factor, median path", "number"),
    "reserves_end_mean_usd": ("Average reserves at the end", "usd"),
    "reserves_used_mean_usd": ("Average reserves used to cover bad debt", "usd"),
    "liquidator_pnl_mean_usd": ("Average liquidator profit", "usd"),
    "max_amm_discount_p99": ("Largest pool price discount, 99th percentile of paths", "share"),
    "price_drop_p99": ("Largest price drop, exceeded on 1% of paths", "share"),
    "exogenous_drop_p99": ("  of which the market model (exogenous)", "share"),
    "induced_drop_p99": ("  of which liquidation selling", "share"),
}
"""Metric key -> (plain-language label, unit: 'usd', 'share', 'count' or 'number')."""

NOT_MODELLED = ("Not modelled: AMM pool fees; interest accrues along the paths only with interest: true, "
                "stablecoin redemption by keepers only with liquidators.redeem.")
"""The lab's caveats, in every report's method paragraph (docs/risk_lab.md has the full list)."""

AXES = {"liquidation_threshold_bps": ("liquidation threshold", "%"), "ltv_bps": ("LTV", "%"),
        "liquidation_bonus_bps": ("liquidation bonus", "%"), "close_factor_bps": ("close factor", "%"),
        "amm_depth_usd": ("pool depth per side", "$M"), "volatility_scale": ("volatility scale", "×"),
        "oracle_delay_steps": ("oracle delay", "steps")}
"""Sweep axis -> (plain label, unit shown)."""

STYLE = ("body{font-family:system-ui,sans-serif;max-width:1180px;margin:0 auto;padding:0 16px;line-height:1.4;"
         "color:#222}h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em}"
         "table{border-collapse:collapse;margin:8px 0;max-width:100%;font-size:14px}"
         "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top;overflow-wrap:anywhere}"
         "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
         "small{color:#666}figure{margin:12px 0}img{max-width:100%;height:auto}figcaption{color:#555;font-size:13px}")


def keeper_text(rules: Any) -> str:
    """Which positions keepers liquidate, in words (``config.Liquidators``)."""
    if not (rules.filters_profit or rules.limited):
        return ("Keepers liquidate every position with a health factor below 1 once per step (no gas cost, no "
                "minimum profit, unlimited capital)")
    parts = [f"at least {usd(rules.min_profit_usd)} profit after {usd(rules.gas_usd)} of gas at the oracle prices"]
    if rules.limited:
        parts.append(f"at most {usd(rules.capital_usd)} repaid per step, in book order")
    return ("Keepers liquidate a position with a health factor below 1 once per step only when it pays: "
            + " and ".join(parts))


def usd(v: float, signed: bool = False) -> str:
    """Dollars with thousands separators: ``$1,234,567`` (cents below $100; ``+``/``−`` when ``signed``)."""
    if not math.isfinite(v):
        return "–"
    a = abs(v)
    cents = 0 < a < 100
    if round(a, 2 if cents else 0) == 0:
        v, a = 0.0, 0.0
    sign = ("+" if v > 0 else "−" if v < 0 else "±") if signed else ("−" if v < 0 else "")
    return f"{sign}${a:,.2f}" if cents else f"{sign}${a:,.0f}"


def pct(v: float, signed: bool = False, points: bool = False) -> str:
    """A fraction as a percent (``0.125`` -> ``12.5%``); a change in percentage points with ``points``."""
    if not math.isfinite(v):
        return "–"
    digits = 2 if 0 < abs(v * 100) < 1 else 1
    x = round(v * 100, digits)
    text = f"{abs(x):,.{digits}f}" + (" pp" if points else "%")
    return (("+" if x > 0 else "−" if x < 0 else "±") if signed else ("−" if x < 0 else "")) + text


def value(v: float | None, unit: str, signed: bool = False) -> str:
    """``v`` in its unit: 'usd' dollars, 'share' percent (a signed share is in percentage points), 'count'
    a whole number with separators, 'number' 3 significant digits; None is '–'."""
    if v is None:
        return "–"
    if unit == "usd":
        return usd(v, signed)
    if unit == "share":
        return pct(v, signed, points=signed)
    if not math.isfinite(v):
        return "–"
    sign = ("+" if v > 0 else "−" if v < 0 else "±") if signed else ("−" if v < 0 else "")
    if unit == "count":
        return f"{sign}{abs(v):,.0f}"
    return f"{sign}{abs(v):,.3g}"


def interval(lo: float, hi: float, unit: str, signed: bool = False) -> str:
    """A confidence interval ``lo – hi`` in the unit."""
    return f"{value(lo, unit, signed)} – {value(hi, unit, signed)}"


def parameter(name: str, v: Any) -> str:
    """A protocol parameter as a designer writes it: shares (``*_bps``) in percent, USD with separators."""
    if v is None:
        return "–"
    if name.endswith("_bps"):
        return f"{float(v) / 100:g}%"
    if name.endswith("_usd") or name == "price_usd":
        return usd(float(v))
    return str(v)


def parameter_label(name: str) -> str:
    """The designer's name of a field (``liquidation_threshold_bps`` -> 'liquidation threshold')."""
    return PARAMETER_LABELS.get(name, name.replace("_bps", "").replace("_", " "))


def axis_label(name: str) -> str:
    """A sweep axis with its unit: 'liquidation threshold (%)', 'pool depth per side ($M)'."""
    label, unit = AXES.get(name, (name, ""))
    return f"{label} ({unit})" if unit else label


def axis_value(name: str, v: float) -> str:
    """A sweep axis value in the axis's unit: bps as percent, USD in $M, a scale as ×."""
    unit = AXES.get(name, ("", ""))[1]
    if unit == "%":
        return f"{v / 100:g}%"
    if unit == "$M":
        return f"${v / 1e6:g}M"
    if unit == "×":
        return f"{v:g}×"
    return f"{v:g}"


def short(v: float, unit: str) -> str:
    """A compact value for a chart cell: $1.2M, $350k, 12%."""
    if not math.isfinite(v):
        return "–"
    if unit == "share":
        return pct(v)
    if unit != "usd":
        return f"{v:.3g}"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"${v / div:.3g}{suffix}"
    return f"${v:.3g}"


def market_text(assets) -> str:
    """One clause per simulated asset (``spec.LabAsset``): its price driver and pool depth."""
    parts = []
    for a in assets:
        d = a.driver
        if d.kind == "gbm":
            text = f"GBM, {d.sigma_annual:.0%} annual volatility"
        elif d.kind == "jump":
            text = f"jump diffusion, {d.sigma_annual:.0%} volatility, {d.jumps_per_year:g} jumps a year"
        elif d.kind == "bridge":
            text = f"bridge through {len(d.pins)} pinned prices"
        else:
            text = f"historical episode {d.episode}/{d.series}"
        depth = f"pool depth {usd(a.amm_depth_usd)} per side" if a.amm_depth_usd else "no price impact"
        parts.append(f"{a.name}: {text}, {depth}")
    return "; ".join(parts)


def markdown(blocks: list[tuple]) -> str:
    """The blocks as Markdown (images linked to the PNG files next to report.md)."""
    lines: list[str] = []
    for b in blocks:
        if b[0] in ("h1", "h2"):
            lines += [("# " if b[0] == "h1" else "## ") + b[1], ""]
        elif b[0] == "p":
            lines += [b[1], ""]
        elif b[0] == "table":
            lines += ["| " + " | ".join(b[1]) + " |", "|" + "|".join(["---"] + ["--:"] * (len(b[1]) - 1)) + "|"]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in b[2]] + [""]
        else:
            lines += [f"![{b[2] if len(b) > 2 else b[1]}]({b[1]})", ""]
    return "\n".join(lines)


def html_page(blocks: list[tuple], title: str, folder: Path) -> str:
    """The blocks as one self-contained HTML page: images read from ``folder`` and embedded as base64 PNG
    data URIs, so the file can be posted alone. Fits a 1280 px wide window (max width 1180 px, tables and
    images never wider than the page). Raises ``FileNotFoundError`` for a missing image."""
    e = html.escape
    body = []
    for b in blocks:
        if b[0] in ("h1", "h2"):
            body.append(f"<{b[0]}>{e(b[1])}</{b[0]}>")
        elif b[0] == "p":
            body.append(f"<p>{e(b[1])}</p>")
        elif b[0] == "table":
            head = "".join(f"<th>{e(c)}</th>" for c in b[1])
            rows = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>" for r in b[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        else:
            data = base64.b64encode((folder / b[1]).read_bytes()).decode("ascii")
            caption = b[2] if len(b) > 2 else b[1]
            body.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption)}">'
                        f"<figcaption>{e(caption)}</figcaption></figure>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width'><title>{e(title)}</title><style>{STYLE}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def _cell(text: str) -> str:
    """A table cell: a value and an optional interval after ' (95% CI ' on a second, smaller line."""
    e = html.escape
    if " (95% CI " in text:
        main, rest = text.split(" (95% CI ", 1)
        return f"{e(main)}<br><small>95% CI {e(rest.rstrip(')'))}</small>"
    return e(text)
