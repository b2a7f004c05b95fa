"""Position books: who holds which collateral against which debt, and how much.

A lab position is one borrower with one collateral asset and one debt asset (an isolated pair; a
cross-collateral account must be split or imported as its largest pair, see ``from_model``). Positions
are kept sorted by (collateral, debt) pair so the cascade engine works on contiguous blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocol_model.sim.config import CascadeParams


@dataclass(frozen=True)
class Book:
    """A lab book: one row per position, all arrays shape (positions,), sorted by (collateral, debt) pair.

    Raises ``ValueError`` if the arrays differ in length, an amount is negative, a position has debt but
    no collateral, its collateral and debt are the same asset, or the rows are not sorted (use
    :meth:`Book.sorted`).
    """

    coll_asset: np.ndarray
    """int, index into ``CascadeParams.assets``"""
    debt_asset: np.ndarray
    coll_tokens: np.ndarray
    """float64 whole tokens of collateral"""
    debt_tokens: np.ndarray
    """float64 whole tokens of debt"""
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.coll_asset)
        if not (len(self.debt_asset) == len(self.coll_tokens) == len(self.debt_tokens) == n):
            raise ValueError("book: arrays differ in length")
        if np.any(self.coll_tokens < 0) or np.any(self.debt_tokens < 0):
            raise ValueError("book: negative collateral or debt")
        if np.any((self.coll_tokens == 0) & (self.debt_tokens > 0)):
            raise ValueError("book: a position has debt but no collateral")
        if np.any(self.coll_asset == self.debt_asset):
            raise ValueError("book: a position's collateral and debt are the same asset")
        keys = self.coll_asset.astype(np.int64) * 1_000 + self.debt_asset
        if np.any(np.diff(keys) < 0):
            raise ValueError("book: positions must be sorted by (collateral, debt); use Book.sorted()")

    def __len__(self) -> int:
        return len(self.coll_asset)

    @classmethod
    def sorted(cls, coll_asset, debt_asset, coll_tokens, debt_tokens, names=()) -> Book:
        """A book from unsorted columns (array-likes of length positions), stably sorted by (collateral, debt).

        Raises ``ValueError`` as the constructor.
        """
        coll_asset, debt_asset = np.asarray(coll_asset, dtype=np.int64), np.asarray(debt_asset, dtype=np.int64)
        order = np.lexsort((np.arange(len(coll_asset)), debt_asset, coll_asset))
        names = tuple(names[i] for i in order) if names else ()
        return cls(coll_asset[order], debt_asset[order], np.asarray(coll_tokens, dtype=float)[order],
                   np.asarray(debt_tokens, dtype=float)[order], names)

    def pairs(self) -> list[tuple[int, int, slice]]:
        """(collateral, debt, slice of positions) for every pair block, in book order."""
        out, start = [], 0
        for i in range(1, len(self) + 1):
            here = (self.coll_asset[i], self.debt_asset[i]) if i < len(self) else None
            if here != (self.coll_asset[start], self.debt_asset[start]):
                out.append((int(self.coll_asset[start]), int(self.debt_asset[start]), slice(start, i)))
                start = i
        return out

    def health_factors(self, params: CascadeParams, prices) -> np.ndarray:
        """HF of every position at ``prices`` (USD per whole token, one per asset): collateral × price ×
        liquidation threshold ÷ (debt × price), shape (positions,); inf without debt (the lending pool's HF).
        """
        p = np.asarray(prices, dtype=float)
        lt = np.array([a.liquidation_threshold_bps for a in params.assets])[self.coll_asset] / 10_000
        with np.errstate(divide="ignore"):
            return self.coll_tokens * p[self.coll_asset] * lt / (self.debt_tokens * p[self.debt_asset])

    def quantized(self, params: CascadeParams) -> Book:
        """Amounts rounded down to whole token units (what a chain can hold), at each asset's decimals."""
        dec = np.array([a.decimals for a in params.assets])
        cd, dd = 10.0 ** dec[self.coll_asset], 10.0 ** dec[self.debt_asset]
        return Book(self.coll_asset, self.debt_asset, np.floor(self.coll_tokens * cd) / cd,
                    np.floor(self.debt_tokens * dd) / dd, self.names)


    def borrowable(self, params: CascadeParams, prices, margin_units: int = 2) -> Book:
        """Debts capped at what the lending pool lends against each position at ``prices`` (USD per whole
        token, one per asset, e.g. the starting 8-decimal oracle answers): collateral value × LTV, less
        ``margin_units`` token units of the debt asset (the pool values collateral rounding down and debt
        rounding up, so a position exactly at the LTV line may be refused by a unit). Other fields unchanged;
        amounts stay whole token units if they were."""
        p = np.asarray(prices, dtype=float)
        ltv = np.array([a.ltv_bps for a in params.assets])[self.coll_asset] / 10_000
        dd = 10.0 ** np.array([a.decimals for a in params.assets])[self.debt_asset]
        cap = np.floor(self.coll_tokens * p[self.coll_asset] * ltv / p[self.debt_asset] * dd) - margin_units
        debt = np.minimum(self.debt_tokens, np.maximum(cap, 0.0) / dd)
        return Book(self.coll_asset, self.debt_asset, self.coll_tokens, debt, self.names)

def synthetic_book(rng: np.random.Generator, params: CascadeParams, n_positions: int, *, collateral_weights,
                   debt_asset: str, size_median_usd: float = 20_000.0, size_sigma_log: float = 1.0,
                   utilization_beta: tuple[float, float] = (4.0, 2.0), loop_share: float = 0.0,
                   loop_leverage: float = 4.0) -> Book:
    """A synthetic borrower population.

    * collateral mix: ``collateral_weights`` {asset: weight} picks each position's collateral;
    * size: lognormal collateral value in USD (median, log sigma);
    * leverage: each position borrows ``u × LTV`` of its collateral value, ``u ~ Beta(a, b)`` (its HF at
      step 0 is ``threshold / (u × LTV)``);
    * loops: a share ``loop_share`` of positions are leverage loops at ``loop_leverage``× equity
      (debt / collateral value = (L − 1) / L, capped at the LTV).

    Amounts in whole tokens at ``params.initial_prices``. Raises ``ValueError`` unless some asset other than
    ``debt_asset`` has a positive weight, and ``KeyError`` for an unknown ``debt_asset``.
    """
    names = [a.name for a in params.assets]
    weights = np.array([float(collateral_weights.get(n, 0.0)) for n in names])
    d = params.index(debt_asset)
    if weights.sum() <= 0 or weights[d] > 0:
        raise ValueError("collateral_weights: need a positive weight on at least one asset other than the debt asset")
    coll = rng.choice(len(names), size=n_positions, p=weights / weights.sum())
    value_usd = size_median_usd * np.exp(size_sigma_log * rng.standard_normal(n_positions))
    u = rng.beta(*utilization_beta, size=n_positions)
    ltv = np.array([a.ltv_bps for a in params.assets])[coll] / 10_000
    ratio = u * ltv
    loops = rng.random(n_positions) < loop_share
    ratio = np.where(loops, np.minimum((loop_leverage - 1) / loop_leverage, ltv), ratio)
    p = np.array(params.initial_prices)
    coll_tokens = value_usd / p[coll]
    debt_tokens = value_usd * ratio / p[d]
    return Book.sorted(coll, np.full(n_positions, d), coll_tokens, debt_tokens,
                       tuple(f"p{i}" for i in range(n_positions)))
