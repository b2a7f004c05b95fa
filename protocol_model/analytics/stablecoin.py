"""Stablecoin quality: depeg paths, redemption frictions and wrong-way risk for a stablecoin used as margin.

Floats (an analysis model). docs/stablecoin_quality.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RedemptionTerms:
    """An issuer's par-redemption terms (docs/stablecoin_quality.md); amounts in dollars (floats).

    Raises ``ValueError`` if ``delay_days`` or ``minimum`` is negative, ``fee_bps`` is not within 0..10,000
    or ``daily_capacity`` is not positive.
    """

    delay_days: float = 1.0
    """Settlement time of a par redemption once it is processed."""
    fee_bps: int = 10
    minimum: float = 100_000.0
    """Smallest amount the issuer redeems directly; below it a holder must sell on the market."""
    daily_capacity: float = 1e9
    """Redemptions the issuer processes per day; the queue ahead waits its turn (first in, first out)."""

    def __post_init__(self) -> None:
        if self.delay_days < 0:
            raise ValueError(f"delay_days ({self.delay_days}) is negative")
        if not 0 <= self.fee_bps <= 10_000:
            raise ValueError(f"fee_bps ({self.fee_bps}) must be within 0..10000")
        if self.minimum < 0:
            raise ValueError(f"minimum ({self.minimum}) is negative")
        if self.daily_capacity <= 0:
            raise ValueError(f"daily_capacity ({self.daily_capacity}) must be positive")


def depeg_path(days: int, shock_day: int, trough: float, half_life_days: float) -> np.ndarray:
    """Market price per day: 1 until ``shock_day``, then ``trough`` recovering towards 1 with a half-life.

    p(t) = 1 − (1 − trough)·0.5^((t − shock_day)/half_life) for t ≥ shock_day; shape (days,), dollars.
    Raises ``ValueError`` if ``trough`` is not within (0, 1] or ``half_life_days`` is not positive.
    """
    if not 0 < trough <= 1:
        raise ValueError(f"trough ({trough}) must be within (0, 1]")
    if half_life_days <= 0:
        raise ValueError(f"half_life_days ({half_life_days}) must be positive")
    t = np.arange(days, dtype=float)
    gap = (1 - trough) * 0.5 ** ((t - shock_day) / half_life_days)
    return np.where(t < shock_day, 1.0, 1 - gap)


def redemption_days(amount: float, queue_ahead: float, terms: RedemptionTerms) -> float:
    """Days until a redemption request pays: the queue ahead and this request are processed at
    ``daily_capacity``, then settle after ``delay_days``; inf below the minimum size:
    (queue_ahead + amount) / daily_capacity + delay_days (docs/stablecoin_quality.md).
    """
    if amount < terms.minimum:
        return float("inf")
    return (queue_ahead + amount) / terms.daily_capacity + terms.delay_days


def best_exit(amount: float, price_path: np.ndarray, day: int, queue_ahead: float, terms: RedemptionTerms,
              need_by_day: int | None = None) -> tuple[str, float]:
    """Dollars obtained by selling on ``day`` at the market price or redeeming at par less the fee; a
    redemption that would pay after ``need_by_day`` (a margin call's deadline) is not an option.

    ``price_path`` is shape (days,) (e.g. :func:`depeg_path`); returns (``"sell"`` or ``"redeem"``, dollars).
    Raises ``IndexError`` if ``day`` is beyond the path.
    """
    sell = amount * float(price_path[day])
    wait = redemption_days(amount, queue_ahead, terms)
    redeem = amount * (1 - terms.fee_bps / 10_000)
    in_time = need_by_day is None or day + wait <= need_by_day
    if wait != float("inf") and in_time and redeem > sell:
        return "redeem", redeem
    return "sell", sell


def wrong_way_liquidation_move(leverage: float, maintenance: float, beta: float, haircut: float = 0.0) -> float:
    """Fall of the underlying at which a long perp margined in a stablecoin hits maintenance when the
    stablecoin's price falls by ``beta`` × the underlying's fall (wrong-way) and margin counts at
    price × (1 − haircut). Per unit of posted capital: margin 1, notional L, move −x:

        (1 − βx)(1 − h) − L·x = m · L · (1 − x)   ⇒   x = ((1 − h) − mL) / ((1 − h)β + L − mL)

    Fractions in, a fraction of the underlying's price out (docs/stablecoin_quality.md). Raises ``ValueError``
    unless leverage > 0, 0 ≤ maintenance < 1, β ≥ 0 and 0 ≤ haircut < 1.
    """
    if leverage <= 0 or not 0 <= maintenance < 1 or beta < 0 or not 0 <= haircut < 1:
        raise ValueError("leverage > 0, 0 <= maintenance < 1, beta >= 0 and 0 <= haircut < 1 are required")
    return ((1 - haircut) - maintenance * leverage) / ((1 - haircut) * beta + leverage - maintenance * leverage)
