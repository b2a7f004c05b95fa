"""Tail metrics over paths: VaR and CVaR of bad debt, liquidations-at-risk, and the run summary.

For ``n`` paths and level ``a`` the tail is the ``k = ceil((1 − a) · n)`` worst paths: VaR is the best
of them (the empirical ``a``-quantile, no interpolation) and CVaR (expected shortfall) their mean.
"""

from __future__ import annotations

import math

import numpy as np

LEVELS = (0.95, 0.99)


def var_cvar(losses, level: float) -> tuple[float, float]:
    """(VaR, CVaR) of ``losses`` (any 1-d array-like, one value per path, in its own unit) at ``level``.

    The tail is the k = ⌈(1 − level)·n⌉ largest losses: VaR is the smallest of them (the empirical
    level-quantile, no interpolation), CVaR (expected shortfall, Acerbi–Tasche 2002) their mean.
    Raises ``ValueError`` if ``losses`` is empty or ``level`` is not within (0, 1).
    """
    x = np.sort(np.asarray(losses, dtype=float))[::-1]
    if x.size == 0:
        raise ValueError("no paths")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    k = max(1, math.ceil((1.0 - level) * x.size - 1e-9))
    return float(x[k - 1]), float(x[:k].mean())


def summarize(per_path: dict[str, np.ndarray]) -> dict[str, float]:
    """The numbers a designer quotes: tail bad debt, how often, liquidations-at-risk, lowest HFs.

    ``per_path``: ``outcome.PATH_FIELDS`` → array (paths,). Returns metric name → float (USD for ``*_usd``,
    probabilities as fractions, VaR/CVaR at ``LEVELS``; docs/risk_lab.md). Raises ``KeyError`` for a missing
    field and ``ValueError`` (from :func:`var_cvar`) with no paths.
    """
    bad = per_path["bad_debt_usd"]
    out: dict[str, float] = {"paths": float(bad.size), "bad_debt_mean_usd": float(bad.mean()),
                             "bad_debt_probability": float((bad > 0).mean())}
    for lvl in LEVELS:
        pct = round(lvl * 100)
        out[f"bad_debt_var{pct}_usd"], out[f"bad_debt_cvar{pct}_usd"] = var_cvar(bad, lvl)
        out[f"liquidations_at_risk{pct}_usd"], _ = var_cvar(per_path["liquidation_volume_usd"], lvl)
        out[f"supplier_loss_var{pct}_usd"], _ = var_cvar(per_path["supplier_loss_usd"], lvl)
    out["liquidation_count_mean"] = float(per_path["liquidation_count"].mean())
    out["liquidation_volume_mean_usd"] = float(per_path["liquidation_volume_usd"].mean())
    out["min_health_factor_p1"] = float(np.quantile(per_path["min_health_factor"], 0.01))
    out["min_health_factor_median"] = float(np.median(per_path["min_health_factor"]))
    out["reserves_end_mean_usd"] = float(per_path["reserves_end_usd"].mean())
    out["reserves_used_mean_usd"] = float(per_path["reserves_used_usd"].mean())
    out["liquidator_pnl_mean_usd"] = float(per_path["liquidator_pnl_usd"].mean())
    out["max_amm_discount_p99"] = float(np.quantile(per_path["max_amm_discount"], 0.99))
    return out
