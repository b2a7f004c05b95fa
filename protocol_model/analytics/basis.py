"""Cash-and-carry (basis) trade: spot long financed on the lending pool, perp short on a margin venue.

Daily P&L from the basis, funding received by the short and the borrow cost from the pool's own kinked
rate model (protocol_model/exact/lending/kinked_rate_model.py),
and the two ways the seed says it breaks: one leg's venue freezes
while the price moves, or the borrowing cost jumps. Floats (an analysis model, not a twin). docs/basis_trade.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocol_model.exact.lending.kinked_rate_model import borrow_rate_per_second_ray
from protocol_model.exact.lending.params import SECONDS_PER_YEAR, RateParams
from protocol_model.exact.math_lib import RAY, WAD


@dataclass(frozen=True)
class CarryTrade:
    """A cash-and-carry position (docs/basis_trade.md): prices and amounts in dollars (floats).

    Raises ``ValueError`` if ``quantity``, ``spot_entry``, ``perp_entry`` or ``perp_margin`` is not positive
    or ``borrowed`` is negative.
    """

    quantity: float
    """Units of the asset held spot and shorted on the perp."""
    spot_entry: float
    perp_entry: float
    """Perp price at entry; basis = perp − spot."""
    borrowed: float
    """Stablecoins borrowed from the pool to buy the spot leg."""
    perp_margin: float
    """Collateral posted on the perp venue."""
    perp_maintenance_bps: int = 500

    def __post_init__(self) -> None:
        for name in ("quantity", "spot_entry", "perp_entry", "perp_margin"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} ({getattr(self, name)}) must be positive")
        if self.borrowed < 0:
            raise ValueError(f"borrowed ({self.borrowed}) is negative")


def pool_borrow_apr(rate: RateParams, utilization: float) -> float:
    """The pool's annual (simple) borrow rate at a utilization, from the exact kinked model.

    ``KinkedRateModel.borrowRatePerSecondRay`` (RAY per second, ``borrow_rate_per_second_ray``) × seconds per year,
    as a fraction; ``utilization`` is a fraction rounded to WAD. Raises ``ValueError`` if it is not within 0..1.
    """
    if not 0 <= utilization <= 1:
        raise ValueError(f"utilization ({utilization}) must be within 0..1")
    per_second = borrow_rate_per_second_ray(rate, int(round(utilization * WAD)))
    return per_second * SECONDS_PER_YEAR / RAY


def carry_pnl(trade: CarryTrade, spot: np.ndarray, perp: np.ndarray, funding_per_day: np.ndarray,
              utilization: np.ndarray, rate: RateParams) -> dict[str, np.ndarray]:
    """Cumulative P&L by component at the end of each day (arrays of one value per day).

    funding_per_day: fraction of the spot price the short receives that day (negative: it pays).
    ``spot``, ``perp``, ``funding_per_day``, ``utilization``: shape (days,); every returned array is shape
    (days,) in dollars (``borrow_apr`` an annual fraction). Borrow interest is simple, APR / 365 per day
    (docs/basis_trade.md). Raises ``ValueError`` if the arrays differ in length (and as
    :func:`pool_borrow_apr`).
    """
    n = len(spot)
    if not len(perp) == len(funding_per_day) == len(utilization) == n:
        raise ValueError("spot, perp, funding_per_day and utilization must have one value per day")
    q = trade.quantity
    apr = np.array([pool_borrow_apr(rate, u) for u in utilization])
    borrow = np.cumsum(trade.borrowed * apr / 365)
    funding = np.cumsum(q * funding_per_day * spot)
    spot_leg = q * (spot - trade.spot_entry)
    perp_leg = -q * (perp - trade.perp_entry)
    return {"spot": spot_leg, "perp": perp_leg, "basis": spot_leg + perp_leg, "funding": funding,
            "borrow": -borrow, "total": spot_leg + perp_leg + funding - borrow, "borrow_apr": apr}


def breakeven_days(trade: CarryTrade, funding_per_day: float, borrow_apr: float) -> float:
    """Days of carry that pay back the entry basis being lost (perp converging to spot), inf if carry ≤ 0.

    q·(perp_entry − spot_entry) / (q·funding·spot_entry − borrowed·APR/365); fractions per day and per year.
    """
    daily = trade.quantity * funding_per_day * trade.spot_entry - trade.borrowed * borrow_apr / 365
    return float("inf") if daily <= 0 else trade.quantity * (trade.perp_entry - trade.spot_entry) / daily


def frozen_venue_outcome(trade: CarryTrade, spot_path: np.ndarray) -> dict[str, float]:
    """The perp venue freezes (no margin top-up, no transfer of the spot gain) while the price moves.

    The short is liquidated on the first day its equity (margin + short P&L) falls below maintenance;
    from then on the spot leg is unhedged. Returns the liquidation day (-1 if none), the short's loss at
    liquidation and the total P&L at the end of the path (dollars; ``hedged_total`` is the P&L had the venue
    not frozen). ``spot_path`` is shape (days,), the perp assumed to track spot (docs/basis_trade.md).
    """
    q, m = trade.quantity, trade.perp_margin
    end = float(spot_path[-1])
    hedged = q * (end - trade.spot_entry) - q * (end - trade.perp_entry)
    for day, s in enumerate(spot_path):
        equity = m - q * (s - trade.perp_entry)
        if equity < q * s * trade.perp_maintenance_bps / 10_000:
            # Liquidated: the short is gone and its margin is lost or stuck on the frozen venue.
            return {"liquidation_day": day, "perp_loss": m, "total": q * (end - trade.spot_entry) - m,
                    "hedged_total": hedged}
    return {"liquidation_day": -1, "perp_loss": 0.0, "total": hedged, "hedged_total": hedged}
