"""Interest along the paths: one borrow and one supply index per (path, asset), as ``LendingPool._accrue``.

Debts and collateral are held as scaled balances (amount / index at step 0, when every index is 1); an account's
debt is its scaled debt × the debt asset's borrow index, its collateral its scaled supply × the collateral asset's
supply index. Once per step, before the liquidations, every asset accrues simple interest over the step
(``kinked_rate_model.accrue``): at utilization u = debt / supply (100% when nothing is supplied) the borrow index
grows by the factor 1 + rate(u) × ``step_seconds``; the interest (scaled debt × new index − debt) goes to
suppliers through the supply index, less the reserve factor's share which goes to reserves (all of it when no one
supplies). Liquidations burn scaled debt and seized collateral; the suppliers' part of written-off bad debt cuts the
supply index (``_writeOffBadDebt``). The suppliers' deposits besides the book's collateral are stated by each
asset's ``start_utilization_bps`` (:func:`deposits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocol_model.sim.books import Book
from protocol_model.sim.config import CascadeParams, RateCurve


def deposits(params: CascadeParams, book: Book) -> np.ndarray:
    """Suppliers' deposits at step 0 (whole tokens, one per asset) besides the book's collateral: enough that each
    asset's utilization is its ``start_utilization_bps`` — debt / u − collateral in the asset, never below 0."""
    coll, debt = book.totals(len(params.assets))
    u = np.array([a.start_utilization_bps / 1e4 for a in params.assets])
    return np.maximum(debt / u - coll, 0.0)


@dataclass
class Accrual:
    """Every path's indices and totals, (paths, assets) arrays: ``bidx``/``sidx`` borrow and supply indices,
    ``sdebt``/``ssup`` total scaled debt and supply (whole tokens at index 1)."""

    curves: tuple[RateCurve, ...]
    dt: float
    bidx: np.ndarray
    sidx: np.ndarray
    sdebt: np.ndarray
    ssup: np.ndarray
    borrowed: tuple[bool, ...] = ()
    """per asset: whether the book owes any of it at step 0 (default: every asset)"""

    def __post_init__(self) -> None:
        if not self.borrowed:
            self.borrowed = tuple(bool(x) for x in (self.sdebt > 0).any(axis=0))

    @classmethod
    def start(cls, params: CascadeParams, book: Book, n_paths: int) -> Accrual:
        """Indices 1; totals from the book and the stated deposits (:func:`deposits`)."""
        K = len(params.assets)
        coll, sdebt = book.totals(K)  # every position, multi-asset accounts included
        ssup = coll + deposits(params, book)
        tile = lambda row: np.tile(row, (n_paths, 1))  # noqa: E731
        return cls(tuple(a.rate for a in params.assets), params.step_seconds, np.ones((n_paths, K)),
                   np.ones((n_paths, K)), tile(sdebt), tile(ssup))

    def accrue(self, reserves: np.ndarray) -> None:
        """One step of interest on every path (``kinked_rate_model.accrue`` over ``dt`` seconds); adds the reserve
        factor's share to ``reserves`` (paths, assets) in place."""
        for k, curve in enumerate(self.curves):
            # an asset no path owes accrues nothing (its indices and reserves stay as they are), and debt never
            # appears during a run: only the book borrows
            if curve.is_zero or not self.borrowed[k]:
                continue
            debt, supply = self.sdebt[:, k] * self.bidx[:, k], self.ssup[:, k] * self.sidx[:, k]
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.where(supply > 0, np.minimum(debt / supply, 1.0), 1.0)
            owed = self.sdebt[:, k] > 0
            new_b = self.bidx[:, k] * (1.0 + curve.per_second(u) * self.dt)
            interest = np.where(owed, self.sdebt[:, k] * new_b - debt, 0.0)
            supplied = self.ssup[:, k] > 0
            to_res = np.where(supplied, interest * (curve.reserve_factor_bps / 1e4), interest)
            with np.errstate(divide="ignore", invalid="ignore"):
                self.sidx[:, k] += np.where(supplied, (interest - to_res) / self.ssup[:, k], 0.0)
            self.bidx[:, k] = np.where(owed, new_b, self.bidx[:, k])
            reserves[:, k] += to_res

    def settle(self, H: np.ndarray, burned_debt: np.ndarray, seized: np.ndarray, supplier_loss: np.ndarray) -> None:
        """A step's liquidations on paths ``H`` ((h, assets) whole tokens): debt repaid or written off and collateral
        seized leave the totals; the suppliers' loss cuts the supply index (never below a tiny positive floor)."""
        self.sdebt[H] -= burned_debt / self.bidx[H]
        ssup = self.ssup[H] - seized / self.sidx[H]
        self.ssup[H] = ssup
        with np.errstate(divide="ignore", invalid="ignore"):
            cut = np.where(ssup > 0, supplier_loss / ssup, 0.0)
        self.sidx[H] = np.maximum(self.sidx[H] - cut, 1e-27)
