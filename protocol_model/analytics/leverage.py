"""Leveraged-token analytics in floats (numpy): NAV along price paths with discrete rebalancing, the decay
against L × the underlying's return, fees, and the continuous-rebalancing closed form.

Idealised: trades at the path's prices with no swap cost or borrow interest (the exact engine,
``leveraged_token.py``, has both). Paths are arrays of prices, shape ``(steps + 1,)`` or
``(paths, steps + 1)``; every function is vectorised over paths.

A position with collateral worth ``C`` and debt ``D`` (in the quote currency) has equity ``E = C − D`` and
leverage ``L = C / E``. Between rebalances ``D`` is constant and ``C`` moves with the price; a rebalance
resets ``C = L·E``, ``D = (L − 1)·E``.
"""

from __future__ import annotations

import numpy as np


def nav_fixed_schedule(prices: np.ndarray, leverage: float, every: int = 1, fee_per_step: float = 0.0) -> np.ndarray:
    """NAV (starting at 1) rebalanced to ``leverage`` every ``every`` steps; ``fee_per_step`` is a fraction
    of NAV taken each step (a management fee). Between rebalances the position is not touched, so one
    period's NAV factor is ``1 + L·(P_end/P_start − 1)``, floored at 0 (equity cannot go negative).

    Returns NAV with the prices' shape, (steps + 1,) or (paths, steps + 1) (docs/leveraged_tokens.md).
    """
    p = np.atleast_2d(np.asarray(prices, dtype=float))
    nav = np.ones_like(p)
    start, base, held = p[:, 0].copy(), np.ones(p.shape[0]), 0
    for t in range(1, p.shape[1]):
        held += 1
        nav[:, t] = np.maximum(base * (1.0 + leverage * (p[:, t] / start - 1.0)), 0.0) * (1.0 - fee_per_step) ** held
        if t % every == 0:
            start, base, held = p[:, t].copy(), nav[:, t].copy(), 0
    return nav if np.ndim(prices) == 2 else nav[0]


def nav_band(prices: np.ndarray, target: float, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """NAV (starting at 1) of a token rebalanced to ``target`` only when leverage leaves ``[low, high]``
    (checked at every step, as a keeper would). Returns (nav, number of rebalances per path).

    nav has the prices' shape; the count has shape (paths,), or (1,) for one path (docs/leveraged_tokens.md).
    """
    p = np.atleast_2d(np.asarray(prices, dtype=float))
    units = target / p[:, 0]  # collateral in underlying units, for NAV 1
    debt = np.full(p.shape[0], target - 1.0)
    nav = np.ones_like(p)
    count = np.zeros(p.shape[0], dtype=int)
    for t in range(1, p.shape[1]):
        coll = units * p[:, t]
        equity = np.maximum(coll - debt, 0.0)
        nav[:, t] = equity
        with np.errstate(divide="ignore", invalid="ignore"):
            lev = np.where(equity > 0, coll / np.where(equity > 0, equity, 1.0), np.inf)
        out = ((lev < low) | (lev > high)) & (equity > 0)
        units = np.where(out, target * equity / p[:, t], units)
        debt = np.where(out, (target - 1.0) * equity, debt)
        count += out
    if np.ndim(prices) == 2:
        return nav, count
    return nav[0], count[:1]


def decay(prices: np.ndarray, leverage: float, every: int = 1) -> np.ndarray:
    """Token return minus L × the underlying's return over the whole path (negative = decay).

    Shape (paths,) for (paths, steps + 1) prices, a float for one path (docs/leveraged_tokens.md).
    """
    p = np.atleast_2d(np.asarray(prices, dtype=float))
    token = nav_fixed_schedule(p, leverage, every)[:, -1] - 1.0
    out = token - leverage * (p[:, -1] / p[:, 0] - 1.0)
    return out if np.ndim(prices) == 2 else out[0]


def continuous_log_growth(leverage: float, mu: float, sigma: float) -> float:
    """Expected log growth rate (per unit time) of a continuously rebalanced L× token on a GBM with
    arithmetic drift ``mu`` and volatility ``sigma``: ``L·μ − L²σ²/2`` (dV/V = L·dS/S, then Itô;
    docs/leveraged_tokens.md). ``mu`` and ``sigma`` per the same unit of time.
    """
    return leverage * mu - leverage**2 * sigma**2 / 2.0


def continuous_nav(prices: np.ndarray, leverage: float, sigma: float, horizon: float) -> np.ndarray:
    """Pathwise NAV of continuous rebalancing at the end of a GBM path: ``(S_T/S_0)^L · exp((L − L²)σ²T/2)``
    (the volatility drag; it depends on the path only through its end point).

    Shape (paths,) for (paths, steps + 1) prices, a float for one path; ``horizon`` in ``sigma``'s time unit.
    """
    p = np.atleast_2d(np.asarray(prices, dtype=float))
    out = (p[:, -1] / p[:, 0]) ** leverage * np.exp((leverage - leverage**2) * sigma**2 * horizon / 2.0)
    return out if np.ndim(prices) == 2 else out[0]


def gbm_paths(mu: float, sigma: float, horizon: float, steps: int, paths: int, seed: int = 0,
              s0: float = 1.0) -> np.ndarray:
    """GBM price paths with arithmetic drift ``mu`` (exact log-normal steps), shape (paths, steps + 1).

    log S steps by (μ − σ²/2)dt + σ√dt·Z, dt = horizon / steps; column 0 is ``s0``; seeded by ``seed``.
    """
    rng = np.random.default_rng(seed)
    dt = horizon / steps
    z = rng.standard_normal((paths, steps))
    log_steps = (mu - sigma**2 / 2.0) * dt + sigma * np.sqrt(dt) * z
    return s0 * np.exp(np.concatenate([np.zeros((paths, 1)), np.cumsum(log_steps, axis=1)], axis=1))


def geometric_path(total_return: float, steps: int, s0: float = 1.0) -> np.ndarray:
    """A steady trend: the same return every step, ending at ``s0·(1 + total_return)``; shape (steps + 1,)."""
    return s0 * (1.0 + total_return) ** (np.arange(steps + 1) / steps)


def fee_drag(daily_fee: float, days: int = 365) -> tuple[float, float]:
    """(simple, compounded) share of NAV lost to a fee of ``daily_fee`` of NAV per day."""
    return daily_fee * days, 1.0 - (1.0 - daily_fee) ** days
