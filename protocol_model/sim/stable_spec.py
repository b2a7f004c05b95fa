"""Simulation files with stablecoins (``assets[].redemption`` / ``assets[].wrong_way``): the market they
build, and the counterfactual runs ``python -m protocol_model stablecoin FILE`` compares (same seed, so the
runs differ only by the frictions and links they keep)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from protocol_model.sim.metrics import var_cvar
from protocol_model.sim.output import atomic_dir, report_json
from protocol_model.sim.run import job_from_spec, run_job
from protocol_model.sim.spec import LabSpecError, SimulationSpec
from protocol_model.sim.stable import StableCoin, StableMarket, stable_stats

VARIANTS = ("as written", "no redemption", "no wrong-way link", "neither")


def _without(spec: SimulationSpec, redemption: bool = True, wrong_way: bool = True) -> SimulationSpec:
    drop = ({"redemption": None} if redemption else {}) | ({"wrong_way": None} if wrong_way else {})
    return spec.model_copy(update={"assets": [a.model_copy(update=drop) for a in spec.assets]})


def variants(spec: SimulationSpec, source: str = "") -> dict[str, SimulationSpec]:
    """The file as written and without each of its frictions (only those it has), keyed by ``VARIANTS`` label.

    Raises ``LabSpecError`` if no asset has ``redemption`` or ``wrong_way``.
    """
    has_red = any(a.redemption is not None for a in spec.assets)
    has_ww = any(a.wrong_way is not None for a in spec.assets)
    if not (has_red or has_ww):
        raise LabSpecError(f"{source or spec.name}: assets: no asset has 'redemption' or 'wrong_way'")
    out = {"as written": spec}
    if has_red:
        out["no redemption"] = _without(spec, wrong_way=False)
    if has_ww:
        out["no wrong-way link"] = _without(spec, redemption=False)
    if has_red and has_ww:
        out["neither"] = _without(spec)
    return out


def coin_stats(spec: SimulationSpec, coins: list[int], paths: int | None = None) -> dict[str, dict[str, float]]:
    """Price and redemption statistics of the assets ``coins`` over the run's own chunks and seeds (the
    prices the cascade saw before its AMM dislocations). Returns coin name → statistic (prices relative to
    par, days, USD, probability). Raises ``LabSpecError`` as ``job_from_spec``.
    """
    job = job_from_spec(spec, paths=paths)
    kept = {c.asset: c for c in getattr(job.market, "stables", ())}
    market = StableMarket.wrap(job.market, tuple(kept.get(k, StableCoin(k)) for k in coins))
    parts = [stable_stats(market, np.random.default_rng(ss), n, job.params.initial_prices, job.n_steps)
             for _, ss, n in job.chunks()]
    out = {}
    for k in parts[0]:
        cat = {f: np.concatenate([p[k][f] for p in parts]) for f in parts[0][k]}
        out[spec.assets[k].name] = {
            "min_price_p1": float(np.quantile(cat["min_relative_price"], 0.01)),
            "min_price_median": float(np.median(cat["min_relative_price"])),
            "max_wait_days_p99": float(np.quantile(cat["max_wait_days"], 0.99)),
            "redeemed_mean_usd": float(cat["redeemed_usd"].mean()),
            "floor_probability": float((cat["floor_steps"] > 0).mean())}
    return out


def compare(spec: SimulationSpec, *, paths: int | None = None, workers: int | None = None, scheduler=None,
            progress: bool = False, source: str = "") -> list[dict]:
    """One row per variant: bad-debt tail, liquidations and the coins' redemption statistics (USD, fractions).

    Raises ``LabSpecError`` as :func:`variants` and ``job_from_spec``.
    """
    rows = []
    coins = [i for i, a in enumerate(spec.assets) if a.redemption is not None or a.wrong_way is not None]
    for label, v in variants(spec, source).items():
        job = job_from_spec(v, paths=paths)
        per = run_job(job, workers=workers, scheduler=scheduler, progress=progress).per_path
        bad = per["bad_debt_usd"]
        row: dict = {"variant": label, "paths": int(bad.size), "bad_debt_probability": float((bad > 0).mean()),
                     "bad_debt_mean_usd": float(bad.mean())}
        for lvl in (0.95, 0.99):
            pct = round(lvl * 100)
            row[f"bad_debt_var{pct}_usd"], row[f"bad_debt_cvar{pct}_usd"] = var_cvar(bad, lvl)
        row["liquidation_count_mean"] = float(per["liquidation_count"].mean())
        row["liquidation_volume_mean_usd"] = float(per["liquidation_volume_usd"].mean())
        row["coins"] = coin_stats(v, coins, paths)
        rows.append(row)
    return rows


COLUMNS = ("variant", "bad_debt_probability", "bad_debt_mean_usd", "bad_debt_var95_usd", "bad_debt_cvar95_usd",
           "bad_debt_var99_usd", "bad_debt_cvar99_usd", "liquidation_count_mean")


def write(rows: list[dict], spec: SimulationSpec, out: Path, source: str = "") -> Path:
    """Write stable.json and stable.md (the rows of :func:`compare`) into ``out``, atomically
    (``output.atomic_dir``); returns stable.md's path."""
    with atomic_dir(out) as tmp:
        _write(rows, spec, tmp, source)
    return out / "stable.md"


def _write(rows: list[dict], spec: SimulationSpec, out: Path, source: str) -> None:
    (out / "stable.json").write_text(report_json({"kind": "stablecoin", "name": spec.name, "source": source,
                                                  "seed": spec.seed, "rows": rows}))
    lines = [f"# Stablecoin quality: {spec.name}", "", spec.description.strip(), "",
             f"Source: {source}; seed {spec.seed}; every variant runs the same seed.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in COLUMNS) + " |" for r in rows]
    lines += ["", "| variant | coin | lowest price p1 | lowest price median | longest wait p99 (days) | "
              "queued for redemption, mean (USD) | P(redemption floor held) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        for coin, c in r["coins"].items():
            lines.append(f"| {r['variant']} | {coin} | {c['min_price_p1']:.4f} | {c['min_price_median']:.4f} | "
                         f"{c['max_wait_days_p99']:.2f} | {c['redeemed_mean_usd']:,.0f} | "
                         f"{c['floor_probability']:.1%} |")
    (out / "stable.md").write_text("\n".join(lines) + "\n")


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, float) and abs(v) < 1 and v != 0:
        return f"{v:.4f}"
    return f"{v:,.2f}" if isinstance(v, float) else str(v)
