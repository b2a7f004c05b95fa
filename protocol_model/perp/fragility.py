"""'Same 3×, different fragility' (seed 000): a small seeded numpy Monte Carlo.

Both positions are 3× short exposure to one volatile asset on the same price paths (GBM, daily steps):

* **perp**: short-dated perp on a well-run venue, margined in a par stablecoin; maintenance 5%, liquidation
  penalty 1%, exit slippage 5 bps.
* **loop**: collateral in a *bridged* stablecoin, the volatile asset borrowed and sold (looped to 3×);
  liquidation threshold 85%, penalty 8%, thin liquidity (exit slippage 3%), entry costs 0.5% per loop leg,
  and a bridge event (probability per day) that marks the collateral down by a random 10-50% — wrong-way
  for a position that needs its collateral.

Losses are fractions of the posted capital (1 = everything). Self-contained until it moves onto the risk
lab's path generators (protocol_model/sim/, issue #6). docs/perp_margin.md quotes its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FragilityParams:
    leverage: float = 3.0
    days: int = 30
    daily_vol: float = 0.04
    seed: int = 8
    paths: int = 20_000
    perp_maintenance: float = 0.05
    perp_penalty: float = 0.01
    perp_slippage: float = 0.0005
    loop_threshold: float = 0.85
    loop_penalty: float = 0.08
    loop_slippage: float = 0.03
    loop_entry_cost_per_leg: float = 0.005
    loop_legs: int = 4
    bridge_event_per_day: float = 0.002
    bridge_loss_range: tuple[float, float] = (0.10, 0.50)

    def __post_init__(self) -> None:
        if self.leverage <= 1 or self.days <= 0 or self.paths <= 0 or self.daily_vol < 0:
            raise ValueError("leverage > 1, days > 0, paths > 0 and daily_vol >= 0 are required")


def simulate(p: FragilityParams = FragilityParams()) -> dict[str, np.ndarray]:
    """Loss per path (fraction of capital) for the perp and the loop, and whether each was liquidated."""
    rng = np.random.default_rng(p.seed)
    z = rng.standard_normal((p.paths, p.days))
    price = np.exp(np.cumsum(p.daily_vol * z - 0.5 * p.daily_vol**2, axis=1))  # price / entry price
    bridge_hit = rng.random((p.paths, p.days)) < p.bridge_event_per_day
    hit_loss = rng.uniform(*p.bridge_loss_range, size=(p.paths, p.days))
    collateral_price = np.cumprod(np.where(bridge_hit, 1 - hit_loss, 1.0), axis=1)
    L = p.leverage
    # perp short: equity = 1 − L·(P − 1); liquidated when equity < m·L·P
    perp_eq = 1 - L * (price - 1)
    perp_liq_day = _first(perp_eq < p.perp_maintenance * L * price)
    # loop: capital 1 plus the proceeds of selling L of the borrowed asset, all held as bridged stablecoin
    # collateral (less the swap costs of building the loop), against a debt of L worth of the asset
    entry_cost = p.loop_entry_cost_per_leg * p.loop_legs
    coll = (1 + L) * (1 - entry_cost) * collateral_price
    debt = L * price
    loop_liq_day = _first(coll * p.loop_threshold < debt)
    perp_loss = _loss(perp_eq, perp_liq_day, L * price, p.perp_penalty + p.perp_slippage, p.perp_slippage)
    loop_eq = coll - debt
    loop_loss = _loss(loop_eq, loop_liq_day, debt, p.loop_penalty + p.loop_slippage, p.loop_slippage)
    return {"perp_loss": perp_loss, "loop_loss": loop_loss, "perp_liquidated": perp_liq_day >= 0,
            "loop_liquidated": loop_liq_day >= 0}


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True per row, -1 if none."""
    any_ = mask.any(axis=1)
    return np.where(any_, mask.argmax(axis=1), -1)


def _loss(equity: np.ndarray, liq_day: np.ndarray, notional: np.ndarray, liq_cost: float, exit_cost: float):
    """1 − what is left: at liquidation, equity less penalty and slippage on the notional (floored at 0);
    otherwise the equity at the horizon less the exit slippage."""
    rows = np.arange(equity.shape[0])
    day = np.where(liq_day >= 0, liq_day, equity.shape[1] - 1)
    eq, notion = equity[rows, day], notional[rows, day]
    left = np.where(liq_day >= 0, eq - liq_cost * notion, eq - exit_cost * notion)
    return 1 - np.clip(left, 0, None)


def summary(result: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    out = {}
    for name in ("perp", "loop"):
        loss = result[f"{name}_loss"]
        tail = np.sort(loss)[int(0.99 * len(loss)):]
        out[name] = {"p_liquidated": float(result[f"{name}_liquidated"].mean()), "mean_loss": float(loss.mean()),
                     "p_loss_over_half": float((loss > 0.5).mean()), "var99": float(np.quantile(loss, 0.99)),
                     "es99": float(tail.mean())}
    return out
