"""Position books: who holds which collateral against which debt, and how much.

Most lab positions are one borrower with one collateral asset and one debt asset (an isolated pair), kept
sorted by (collateral, debt) pair so the cascade engine works on contiguous blocks (its fast path). Accounts
with several collaterals and/or debts (cross-collateral, as ``LendingPool`` accounts are) are held apart in
:class:`MultiPositions` (dense (accounts, assets) amounts) and come after the pairs in the book's position order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from protocol_model.sim.config import CascadeParams


@dataclass(frozen=True)
class MultiPositions:
    """Cross-collateral accounts: ``coll`` and ``debt`` are (accounts, assets) float64 whole tokens, one column per
    ``CascadeParams.assets``. HF = Σ collateral × price × threshold ÷ Σ debt × price (``LendingPool``'s).

    Raises ``ValueError`` if the shapes differ, an amount is negative or not finite, an account has debt but no
    collateral, or holds one asset both as collateral and as debt.
    """

    coll: np.ndarray
    debt: np.ndarray
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.coll.ndim != 2 or self.coll.shape != self.debt.shape:
            raise ValueError("book: multi-asset collateral and debt must be (accounts, assets) of one shape")
        if not (np.isfinite(self.coll).all() and np.isfinite(self.debt).all()):
            raise ValueError("book: a multi-asset amount is not finite")
        if np.any(self.coll < 0) or np.any(self.debt < 0):
            raise ValueError("book: negative collateral or debt")
        if np.any((self.coll.sum(axis=1) == 0) & (self.debt.sum(axis=1) > 0)):
            raise ValueError("book: a position has debt but no collateral")
        if np.any((self.coll > 0) & (self.debt > 0)):
            raise ValueError("book: a position's collateral and debt are the same asset")
        if self.names and len(self.names) != len(self.coll):
            raise ValueError("book: multi-asset names differ in length from the accounts")

    def __len__(self) -> int:
        return len(self.coll)

    def borrowable(self, params: CascadeParams, prices, margin_units: int = 2) -> MultiPositions:
        """Every account's debts capped so that ``LendingPool``'s borrow check passes at ``prices`` (USD per whole
        token, one per asset; posted as 8-decimal answers, i.e. WAD prices ``round(price × 1e8) × 1e10``).

        In integer token units (``round(tokens × 10^decimals)``, as the exact opening converts them) and USD WAD,
        as ``LendingPool.accountValues``: capacity = Σ ⌊⌊collateral × price ÷ unit⌋ × LTV ÷ 10^4⌋, debt value =
        Σ ⌈debt × price ÷ unit⌉. An account whose debt value exceeds its capacity has each debt set to
        ⌊debt × capacity ÷ debt value⌋ − ``margin_units`` − ⌊debt ÷ 10^6⌋ units (never below 0): the margin
        covers the per-asset round-up (a unit is worth ≥ 1 WAD for any token priced ≥ 10^-18 USD per unit), the
        part per million float64's round trip of 18-decimal amounts and the interest the exact opening's
        one-second calls accrue on a first debt before the next is borrowed. Accounts below the line are unchanged.
        Returns a new ``MultiPositions`` (whole tokens); ``ValueError`` as the constructor.
        """
        dec = [a.decimals for a in params.assets]
        price = [int(round(float(x) * 1e8)) * 10**10 for x in prices]
        ltv = [a.ltv_bps for a in params.assets]
        debt = self.debt.copy()
        for i in range(len(self)):
            cu = [int(round(float(x) * 10**d)) for x, d in zip(self.coll[i], dec, strict=True)]
            du = [int(round(float(x) * 10**d)) for x, d in zip(self.debt[i], dec, strict=True)]
            capacity = sum(c * p // 10**d * lt // 10_000 for c, p, d, lt in zip(cu, price, dec, ltv, strict=True))
            owed = sum(-(-u * p // 10**d) for u, p, d in zip(du, price, dec, strict=True))
            if owed <= capacity:
                continue
            for k, u in enumerate(du):
                if u:
                    debt[i, k] = max(u * capacity // owed - margin_units - u // 10**6, 0) / 10 ** dec[k]
        return MultiPositions(self.coll, debt, self.names)


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
    multi: MultiPositions | None = None
    """cross-collateral accounts, positions ``n_pairs ..`` of the book (None: every position is a pair)"""

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
        """Every position: the pairs, then the multi-asset accounts."""
        return self.n_pairs + (len(self.multi) if self.multi is not None else 0)

    @property
    def n_pairs(self) -> int:
        """Number of single-pair positions (book positions ``0 .. n_pairs - 1``)."""
        return len(self.coll_asset)

    @classmethod
    def sorted(cls, coll_asset, debt_asset, coll_tokens, debt_tokens, names=(),
               multi: MultiPositions | None = None) -> Book:
        """A book from unsorted columns (array-likes of length positions), stably sorted by (collateral, debt),
        with optional multi-asset accounts after them. Raises ``ValueError`` as the constructor.
        """
        coll_asset, debt_asset = np.asarray(coll_asset, dtype=np.int64), np.asarray(debt_asset, dtype=np.int64)
        order = np.lexsort((np.arange(len(coll_asset)), debt_asset, coll_asset))
        names = tuple(names[i] for i in order) if names else ()
        return cls(coll_asset[order], debt_asset[order], np.asarray(coll_tokens, dtype=float)[order],
                   np.asarray(debt_tokens, dtype=float)[order], names, multi)

    def dense(self, n_assets: int) -> tuple[np.ndarray, np.ndarray]:
        """Every position (pairs, then multi-asset accounts) as (positions, assets) collateral and debt, whole
        tokens."""
        coll, debt = np.zeros((self.n_pairs, n_assets)), np.zeros((self.n_pairs, n_assets))
        rows = np.arange(self.n_pairs)
        coll[rows, self.coll_asset], debt[rows, self.debt_asset] = self.coll_tokens, self.debt_tokens
        if self.multi is not None:
            coll, debt = np.vstack([coll, self.multi.coll]), np.vstack([debt, self.multi.debt])
        return coll, debt

    def totals(self, n_assets: int) -> tuple[np.ndarray, np.ndarray]:
        """(collateral, debt) of the whole book per asset, whole tokens, shape (assets,) each."""
        coll = np.bincount(self.coll_asset, self.coll_tokens, n_assets)
        debt = np.bincount(self.debt_asset, self.debt_tokens, n_assets)
        if self.multi is not None:
            coll, debt = coll + self.multi.coll.sum(axis=0), debt + self.multi.debt.sum(axis=0)
        return coll, debt

    @property
    def all_names(self) -> tuple[str, ...]:
        """A name per position (pairs, then multi-asset accounts): the book's names or ``p<i>``."""
        pairs = self.names or tuple(f"p{i}" for i in range(self.n_pairs))
        if self.multi is None:
            return pairs
        return pairs + (self.multi.names or tuple(f"p{i}" for i in range(self.n_pairs, len(self))))

    def pairs(self) -> list[tuple[int, int, slice]]:
        """(collateral, debt, slice of positions) for every pair block, in book order."""
        out, start = [], 0
        for i in range(1, self.n_pairs + 1):
            here = (self.coll_asset[i], self.debt_asset[i]) if i < self.n_pairs else None
            if here != (self.coll_asset[start], self.debt_asset[start]):
                out.append((int(self.coll_asset[start]), int(self.debt_asset[start]), slice(start, i)))
                start = i
        return out

    def health_factors(self, params: CascadeParams, prices) -> np.ndarray:
        """HF of every position at ``prices`` (USD per whole token, one per asset): Σ collateral × price ×
        liquidation threshold ÷ Σ debt × price, shape (positions,); inf without debt (the lending pool's HF).
        """
        p = np.asarray(prices, dtype=float)
        lt = np.array([a.liquidation_threshold_bps for a in params.assets])[self.coll_asset] / 10_000
        with np.errstate(divide="ignore", invalid="ignore"):
            hf = self.coll_tokens * p[self.coll_asset] * lt / (self.debt_tokens * p[self.debt_asset])
            if self.multi is None:
                return hf
            lt_all = np.array([a.liquidation_threshold_bps for a in params.assets]) / 10_000
            m = self.multi
            return np.concatenate([hf, (m.coll * p * lt_all).sum(axis=1) / (m.debt * p).sum(axis=1)])

    def subset(self, positions) -> Book:
        """The book of ``positions`` (indices in book order, ascending): the chosen pairs (still sorted), then the
        chosen cross-collateral accounts, each keeping its name (``all_names``)."""
        idx = np.asarray(sorted(int(i) for i in positions), dtype=np.int64)
        pairs, accounts = idx[idx < self.n_pairs], idx[idx >= self.n_pairs] - self.n_pairs
        names = self.all_names
        multi = None
        if accounts.size:
            assert self.multi is not None, "a position beyond the pairs needs multi-asset accounts"
            multi = MultiPositions(self.multi.coll[accounts], self.multi.debt[accounts],
                                   tuple(names[self.n_pairs + int(j)] for j in accounts))
        return Book(self.coll_asset[pairs], self.debt_asset[pairs], self.coll_tokens[pairs], self.debt_tokens[pairs],
                    tuple(names[int(i)] for i in pairs), multi)

    def quantized(self, params: CascadeParams) -> Book:
        """Amounts rounded down to whole token units (what a chain can hold), at each asset's decimals; the
        cross-collateral accounts' amounts too."""
        dec = np.array([a.decimals for a in params.assets])
        cd, dd = 10.0 ** dec[self.coll_asset], 10.0 ** dec[self.debt_asset]
        multi = self.multi
        if multi is not None:
            unit = 10.0 ** dec
            multi = MultiPositions(np.floor(multi.coll * unit) / unit, np.floor(multi.debt * unit) / unit, multi.names)
        return Book(self.coll_asset, self.debt_asset, np.floor(self.coll_tokens * cd) / cd,
                    np.floor(self.debt_tokens * dd) / dd, self.names, multi)

    def borrowable(self, params: CascadeParams, prices, margin_units: int = 2) -> Book:
        """Debts capped at what the lending pool lends against each position at ``prices`` (USD per whole
        token, one per asset, e.g. the starting 8-decimal oracle answers). Other fields unchanged; amounts stay
        whole token units if they were.

        * a pair: collateral value × LTV, less ``margin_units`` token units of the debt asset (the pool values
          collateral rounding down and debt rounding up, so a position exactly at the LTV line may be refused by
          a unit);
        * a cross-collateral account (:meth:`MultiPositions.borrowable`): as ``LendingPool``'s borrow check, in
          integer USD WAD — Σ debt value (rounded up) at most Σ collateral value (rounded down) × LTV (rounded
          down); an account above the line has every debt scaled down pro rata, less the margin.
        """
        p = np.asarray(prices, dtype=float)
        ltv = np.array([a.ltv_bps for a in params.assets])[self.coll_asset] / 10_000
        dd = 10.0 ** np.array([a.decimals for a in params.assets])[self.debt_asset]
        cap = np.floor(self.coll_tokens * p[self.coll_asset] * ltv / p[self.debt_asset] * dd) - margin_units
        debt = np.minimum(self.debt_tokens, np.maximum(cap, 0.0) / dd)
        multi = self.multi.borrowable(params, p, margin_units) if self.multi is not None else None
        return Book(self.coll_asset, self.debt_asset, self.coll_tokens, debt, self.names, multi)

def check_weights(names: list[str], debt_asset: str, collateral_weights: dict[str, float],
                  multi_debt_weights: dict[str, float] | None = None) -> None:
    """The rule of ``synthetic_book``'s weights, checked when a simulation file is read: every weight a finite
    number >= 0, a positive collateral weight on at least one asset other than ``debt_asset``, none on
    ``debt_asset``. Raises ``ValueError`` naming the field (``collateral_weights.WETH: ...``)."""
    for field, given in (("collateral_weights", collateral_weights), ("multi_debt_weights", multi_debt_weights or {})):
        for name, w in given.items():
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(f"{field}.{name}: a weight is a finite number >= 0, got {w}")
    if collateral_weights.get(debt_asset, 0.0) > 0 or not any(
            collateral_weights.get(n, 0.0) > 0 for n in names if n != debt_asset):
        raise ValueError("collateral_weights: need a positive weight on at least one asset other than the debt asset")


def synthetic_book(rng: np.random.Generator, params: CascadeParams, n_positions: int, *, collateral_weights,
                   debt_asset: str, size_median_usd: float = 20_000.0, size_sigma_log: float = 1.0,
                   utilization_beta: tuple[float, float] = (4.0, 2.0), loop_share: float = 0.0,
                   loop_leverage: float = 4.0, multi_collateral_share: float = 0.0, collaterals_per_position: int = 2,
                   multi_debt_weights=None) -> Book:
    """A synthetic borrower population.

    * collateral mix: ``collateral_weights`` {asset: weight} picks each position's collateral;
    * size: lognormal collateral value in USD (median, log sigma);
    * leverage: each position borrows ``u × LTV`` of its collateral value, ``u ~ Beta(a, b)`` (its HF at
      step 0 is ``threshold / (u × LTV)``);
    * loops: a share ``loop_share`` of positions are leverage loops at ``loop_leverage``× equity
      (debt / collateral value = (L − 1) / L, capped at the LTV);
    * cross-collateral accounts: a share ``multi_collateral_share`` of positions (drawn after the pairs, from the
      same generator) hold ``collaterals_per_position`` distinct collaterals drawn by ``collateral_weights``
      (value split by a flat Dirichlet), borrowing ``u × LTV`` of the collateral value (LTV value-weighted) split
      over ``multi_debt_weights`` {asset: weight} (default all ``debt_asset``) by a Dirichlet around the weights.

    Amounts in whole tokens at ``params.initial_prices``. Raises ``ValueError`` unless some asset other than
    ``debt_asset`` has a positive weight, if ``collaterals_per_position`` exceeds the assets with a weight, or a
    debt asset of ``multi_debt_weights`` has a collateral weight; ``KeyError`` for an unknown asset.
    """
    names = [a.name for a in params.assets]
    check_weights(names, debt_asset, collateral_weights, multi_debt_weights)
    weights = np.array([float(collateral_weights.get(n, 0.0)) for n in names])
    d = params.index(debt_asset)
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
    n_multi = int(round(n_positions * multi_collateral_share))
    keep = slice(0, n_positions - n_multi)
    multi = None
    if n_multi:
        mc, md = _multi_accounts(rng, params, n_multi, weights, multi_debt_weights or {debt_asset: 1.0},
                                 collaterals_per_position, size_median_usd, size_sigma_log, utilization_beta)
        multi = MultiPositions(mc, md, tuple(f"p{i}" for i in range(n_positions - n_multi, n_positions)))
    return Book.sorted(coll[keep], np.full(n_positions - n_multi, d), coll_tokens[keep], debt_tokens[keep],
                       tuple(f"p{i}" for i in range(n_positions - n_multi)), multi)


def _multi_accounts(rng: np.random.Generator, params: CascadeParams, n: int, weights: np.ndarray, debt_weights,
                    per_position: int, size_median_usd: float, size_sigma_log: float,
                    utilization_beta: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(collateral, debt) (n, assets) whole tokens of ``n`` cross-collateral accounts (``synthetic_book``)."""
    K = len(params.assets)
    dw = np.array([float(debt_weights.get(a.name, 0.0)) for a in params.assets])
    for name in debt_weights:
        params.index(name)  # KeyError for an unknown asset
    if dw.sum() <= 0 or np.any((dw > 0) & (weights > 0)):
        raise ValueError("multi_debt_weights: need a positive weight, on assets without a collateral weight")
    if not 1 <= per_position <= int((weights > 0).sum()):
        raise ValueError(f"collaterals_per_position: must be in [1, {int((weights > 0).sum())}] (assets with a "
                         f"collateral weight), got {per_position}")
    p = np.array(params.initial_prices)
    ltv = np.array([a.ltv_bps for a in params.assets]) / 10_000
    value = size_median_usd * np.exp(size_sigma_log * rng.standard_normal(n))
    u = rng.beta(*utilization_beta, size=n)
    coll, debt = np.zeros((n, K)), np.zeros((n, K))
    for i in range(n):
        held = rng.choice(K, size=per_position, replace=False, p=weights / weights.sum())
        coll[i, held] = value[i] * rng.dirichlet(np.ones(per_position)) / p[held]
        cap = (coll[i] * p * ltv).sum()
        owed = np.flatnonzero(dw)
        share = rng.dirichlet(10.0 * dw[owed] / dw.sum()) if owed.size > 1 else np.ones(1)
        debt[i, owed] = u[i] * cap * share / p[owed]
    return coll, debt
