"""Tail metrics over paths: VaR and CVaR of bad debt, liquidations-at-risk, and the run summary.

Losses are positive (bad debt, liquidated debt, in USD). For ``n`` paths and level ``a`` the tail holds a
probability mass of ``1 − a``, that is ``m = (1 − a) · n`` paths' worth, possibly fractional:

* VaR is the ``k``-th largest loss, ``k = ⌈m⌉``: the upper empirical ``a``-quantile
  ``q⁺_a = inf{x : F_n(x) > a}``, which is Acerbi & Tasche's ``VaR_α = −x^(α)`` (2002, Def. 2.1, with
  ``α = 1 − a`` and the P&L ``X = −loss``). No interpolation; at least the largest loss.
* CVaR (expected shortfall) is the mean of the worst ``m`` paths' worth of loss, the ``k``-th largest counted
  with its fractional weight ``m − (k − 1)``: ``ES_a = VaR + Σ (x_i − VaR)⁺ / m`` (Acerbi & Tasche 2002,
  Prop. 3.2; Rockafellar & Uryasev 2002, Prop. 8). It is coherent and law invariant (a sample repeated
  ``r`` times has the same CVaR), and CVaR >= VaR.
"""

from __future__ import annotations

import math

import numpy as np

LEVELS = (0.95, 0.99)
ROUND_SLACK = 1e-9
"""``(1 − a)·n`` within this of an integer counts as that integer (``(1 − 0.99)·100`` is 1.0000000000000009)."""
TAIL_TEXT = ("VaR/CVaR over n paths at level a (losses positive, in USD): VaR is the ⌈(1−a)·n⌉-th largest loss, "
             "CVaR (expected shortfall, Acerbi & Tasche 2002) the mean loss of the worst (1−a)·n paths' worth, the VaR "
             "path counted with its fractional weight")
"""The reports' one-sentence definition of the tail metrics (``var_cvar``)."""


def tail_count(n: int, level: float) -> int:
    """``k = ⌈(1 − level)·n⌉`` (at least 1): how many of ``n`` paths the tail of ``level`` touches; the VaR is
    the ``k``-th largest loss. Raises ``ValueError`` if ``n < 1`` or ``level`` is not within (0, 1)."""
    if n < 1:
        raise ValueError("no paths")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return max(1, math.ceil((1.0 - level) * n - ROUND_SLACK))


def shortfall(var, excess, n: int, level: float):
    """Expected shortfall from the VaR and the summed excess ``Σ (x_i − VaR)⁺`` over ``n`` paths at ``level``:
    ``VaR + excess / ((1 − level)·n)`` (Acerbi & Tasche 2002, Prop. 3.2). Scalars or arrays of equal shape."""
    return var + excess / ((1.0 - level) * n)


def upper_quantile(values, level: float) -> float:
    """The ``⌈(1 − level)·n⌉``-th largest of ``values`` (1-d array-like): the upper empirical level-quantile
    ``q⁺ = inf{x : F_n(x) > level}``, no interpolation (the VaR of :func:`var_cvar`; infinities allowed).
    Raises ``ValueError`` if ``values`` is empty or holds a NaN, or ``level`` is not within (0, 1)."""
    x = np.asarray(values, dtype=float).ravel()
    k = tail_count(x.size, level)
    if np.isnan(x).any():
        raise ValueError(f"values must not be NaN ({np.count_nonzero(np.isnan(x))} of {x.size} are)")
    return float(np.partition(x, x.size - k)[x.size - k])


def var_cvar(losses, level: float) -> tuple[float, float]:
    """(VaR, CVaR) of ``losses`` (any 1-d array-like, one value per path, in its own unit) at ``level``.

    VaR is the ``⌈(1 − level)·n⌉``-th largest loss (the upper empirical level-quantile, Acerbi & Tasche's
    ``VaR``); CVaR (expected shortfall, Acerbi & Tasche 2002) the mean of the worst ``(1 − level)·n`` paths'
    worth, the VaR path counted with its fractional weight (module docstring). Raises ``ValueError`` if
    ``losses`` is empty or holds a NaN or an infinity, or ``level`` is not within (0, 1).
    """
    x = np.asarray(losses, dtype=float).ravel()
    tail_count(x.size, level)
    if not np.isfinite(x).all():
        raise ValueError(f"losses must be finite ({np.count_nonzero(~np.isfinite(x))} of {x.size} are not)")
    var = upper_quantile(x, level)
    return var, float(shortfall(var, np.maximum(x - var, 0.0).sum(), x.size, level))


def summarize(per_path: dict[str, np.ndarray]) -> dict[str, float]:
    """The numbers a designer quotes: tail bad debt, how often, liquidations-at-risk, lowest HFs.

    ``per_path``: ``outcome.PATH_FIELDS`` → array (paths,). Returns metric name → float (USD for ``*_usd``,
    probabilities as fractions, VaR/CVaR at ``LEVELS``; the ``_p1``/``_p99`` figures are order statistics like
    the VaR, the 1st percentile of HF being the ``⌈0.01·n⌉``-th smallest; docs/risk_lab.md). Raises ``KeyError``
    for a missing field and ``ValueError`` (from :func:`var_cvar`) with no paths or a non-finite loss.
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
    out["min_health_factor_p1"] = -upper_quantile(-per_path["min_health_factor"], 0.99)  # inf: no debt
    out["min_health_factor_median"] = float(np.median(per_path["min_health_factor"]))
    out["reserves_end_mean_usd"] = float(per_path["reserves_end_usd"].mean())
    out["reserves_used_mean_usd"] = float(per_path["reserves_used_usd"].mean())
    out["liquidator_pnl_mean_usd"] = float(per_path["liquidator_pnl_usd"].mean())
    out["max_amm_discount_p99"] = upper_quantile(per_path["max_amm_discount"], 0.99)
    return out
