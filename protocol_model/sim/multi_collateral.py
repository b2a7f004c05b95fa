"""Cross-collateral accounts in the vectorized engine: several collaterals and debts per position.

The single-pair blocks of ``cascade`` stay the fast path; the book's :class:`~protocol_model.sim.books.MultiPositions`
run here as one block of (assets, paths, accounts) arrays of collateral and debt (scaled balances when interest
accrues). Per step, on every path, as ``LendingPool``:

* HF = Σ collateral × supply index × oracle price × liquidation threshold ÷ Σ debt × borrow index × oracle price
  (``LendingPool._liquidationValues``), summed over the assets in order with the scalar reference's rounding
  (``sim.reference``); an account below 1 is liquidated once per step. A path whose accounts a cheap bound proves
  at or above both 1 and the path's lowest HF so far is skipped that step (:class:`MultiBlock`): nothing on it
  would change;
* the keeper chooses, as the project's exact keeper (``protocol_model.world.keeper.decide``), the debt asset
  with the largest debt value and the collateral with the largest collateral value at the oracle prices (ties:
  the first listed asset), and repays the most it may of that debt: all of it below the full-close HF, else
  the close factor × that debt; the bonus is the seized collateral's, capped at or above the full-close line at
  lt·(1 + bonus) <= HF (docs/SPEC.md §5.6); seized = repaid × debt price / collateral price × (1 + bonus), at
  most all of that collateral (then the repayment shrinks to match, at most the debt); the protocol fee is the
  collateral's share of the bonus part;
* when the account has no collateral left in any asset, every debt it still has is written off as bad debt
  (``LendingPool._writeOffBadDebt``): the liquidated debt's remainder on the liquidation's event, each other
  debt asset on an event of its own (repaid, seized and fee 0) right after it.

The keepers' economics (``config.Liquidators``) apply to each liquidation as to the pairs (after them, in account
order). The liquidations are handed to ``cascade``'s settlement grouped by (collateral, debt) columns, so fees,
write-offs, interest totals and AMM sales (or par redemptions) are booked exactly as for the pair blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from protocol_model.sim.books import MultiPositions
from protocol_model.sim.config import AssetRisk


class _Chooser(Protocol):
    def choose(self, pp: np.ndarray, rr: np.ndarray, sold: np.ndarray, repaid: np.ndarray, pc: np.ndarray,
               pd: np.ndarray) -> np.ndarray: ...


class _Indices(Protocol):
    sidx: np.ndarray
    bidx: np.ndarray


@dataclass(frozen=True)
class Columns:
    """The (collateral ``c``, debt ``d``) asset columns of one group of liquidations (what settlement reads of a
    block)."""

    c: int
    d: int


@dataclass
class MultiBlock:
    """The multi-asset accounts on every path: ``coll``/``debt`` (assets, paths, accounts), whole tokens (scaled by
    the indices when interest accrues); ``start`` is the book position of the first account.

    :meth:`health` skips a path while a cheap lower bound proves that none of its accounts is below HF 1 nor below
    the path's lowest HF so far (the bound is the path's lowest HF at its last full computation scaled by the
    worst move since of any held asset's collateral value and any owed asset's debt value); skipped paths change
    nothing, so the results are those of the full computation on every path and step."""

    start: int
    lt: np.ndarray
    """(assets,) liquidation thresholds (fractions)"""
    bonus1: np.ndarray
    """(assets,) 1 + liquidation bonus"""
    fee_frac: np.ndarray
    """(assets,) protocol fee share of the bonus"""
    coll: np.ndarray
    debt: np.ndarray
    hf: np.ndarray | None = None
    """(computed paths, accounts) HF at the last :meth:`health` (inf without debt), rows ``rows``"""
    rows: np.ndarray | None = None
    """(computed paths,) the paths :meth:`health` computed last (the others were proved above 1)"""
    held: tuple[np.ndarray, np.ndarray] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    """the assets any account holds as collateral (with a nonzero threshold) and owes, in asset order"""
    ref: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """per path at its last full computation: lowest HF (paths,), collateral and debt values (paths, assets)"""

    @classmethod
    def build(cls, multi: MultiPositions, assets: tuple[AssetRisk, ...], start: int, n_paths: int) -> MultiBlock:
        """Every path starts from the book's amounts. Shapes: ``multi`` (accounts, assets); result
        (assets, paths, accounts)."""
        lt = np.array([a.liquidation_threshold_bps / 1e4 for a in assets])
        bonus1 = np.array([1.0 + a.liquidation_bonus_bps / 1e4 for a in assets])
        fee = np.array([a.liquidation_protocol_fee_bps / 1e4 for a in assets])
        tile = lambda x: np.broadcast_to(x.T[:, None, :], (x.shape[1], n_paths, x.shape[0])).copy()  # noqa: E731
        held = (np.flatnonzero((multi.coll.sum(axis=0) > 0) & (lt > 0)), np.flatnonzero(multi.debt.sum(axis=0) > 0))
        return cls(start, lt, bonus1, fee, tile(multi.coll), tile(multi.debt), held=held)

    @property
    def collateral_assets(self) -> set[int]:
        """Assets any account holds as collateral (the AMMs its liquidations may sell into)."""
        return {int(k) for k in np.flatnonzero(self.coll[:, 0].sum(axis=1) > 0)}

    def _values(self, oracle: np.ndarray, rates: _Indices | None) -> tuple[np.ndarray, np.ndarray]:
        """(paths, assets) USD per scaled token of collateral (× threshold) and of debt."""
        if rates is None:
            return oracle * self.lt, oracle
        return oracle * self.lt * rates.sidx, oracle * rates.bidx

    def _skip(self, cv: np.ndarray, dv: np.ndarray, min_hf: np.ndarray) -> np.ndarray:
        """(paths,) True where the bound proves every account's HF >= 1 and >= ``min_hf`` (nothing to do)."""
        if self.ref is None:
            return np.zeros(len(min_hf), dtype=bool)
        low, cv0, dv0 = self.ref
        kc, kd = self.held
        with np.errstate(divide="ignore", invalid="ignore"):
            up = (cv[:, kc] / cv0[:, kc]).min(axis=1) if kc.size else np.zeros(len(min_hf))
            down = (dv[:, kd] / dv0[:, kd]).max(axis=1) if kd.size else np.ones(len(min_hf))
            bound = low * (up / down) * (1.0 - 1e-9)  # margin: the rounding of the sums is ~1e-15 relative
        return bound >= np.maximum(min_hf, 1.0)  # NaN (no reference yet, 0 × inf) computes

    def health(self, oracle: np.ndarray, rates: _Indices | None, min_hf: np.ndarray) -> None:
        """HF of the accounts at ``oracle`` (paths, assets) USD, as ``reference``'s ``hf``: Σ over the assets in
        order of collateral × (price × threshold × supply index), ÷ the same sum of debt × (price × borrow index);
        inf without debt. Lowers ``min_hf`` (paths,) in place to each path's lowest HF and keeps the HF of the
        paths not skipped (``rows``, ``hf``) for the next :meth:`liquidate`."""
        cv, dv = self._values(oracle, rates)
        skip = self._skip(cv, dv, min_hf)
        P = len(min_hf)
        rows = np.flatnonzero(~skip)
        whole = rows.size > P // 2  # gathering most paths costs more than computing them all
        sel = slice(None) if whole else rows
        adj = self._sum(self.coll, cv, sel, self.held[0])
        owed = self._sum(self.debt, dv, sel, self.held[1])
        hf = np.full(adj.shape, np.inf)
        np.divide(adj, owed, out=hf, where=owed > 0)
        low = hf.min(axis=1)
        if self.ref is None:
            self.ref = (np.full(P, np.nan), cv.copy(), dv.copy())
        ref_low, cv0, dv0 = self.ref
        ref_low[sel], cv0[sel], dv0[sel] = low, cv[sel], dv[sel]
        if whole:
            np.minimum(min_hf, low, out=min_hf)
            self.rows, self.hf = np.arange(P), hf
        else:
            min_hf[rows] = np.minimum(min_hf[rows], low)
            self.rows, self.hf = rows, hf

    @staticmethod
    def _sum(amounts: np.ndarray, values: np.ndarray, sel: slice | np.ndarray, held: np.ndarray) -> np.ndarray:
        """Σ_k amounts[k] × values[:, k] over ``held`` (ascending) on the paths ``sel``: (paths, accounts); the
        assets left out hold nothing anywhere (adding their 0 changes no bit)."""
        vals = values[sel]
        if held.size == 0:
            return np.zeros(amounts[0][sel].shape)
        total = amounts[held[0]][sel] * vals[:, held[0], None]
        term = np.empty_like(total)
        for k in held[1:]:
            np.multiply(amounts[k][sel], vals[:, k, None], out=term)
            total += term
        return total

    def liquidate(self, oracle: np.ndarray, cf: float, fchf: float, keeper: _Chooser | None,
                  rates: _Indices | None) -> list[tuple[Columns, tuple[Any, ...]]]:
        """Liquidate every account below HF 1 at the last :meth:`health` (rules in the module docstring), in place.

        Returns the groups of liquidations for settlement, each ``(Columns, fields)`` with ``fields`` in the order
        of ``cascade._Hits``; liquidation groups first, then write-off-only groups (empty list if none)."""
        assert self.hf is not None and self.rows is not None and self.ref is not None
        K, P, m = self.coll.shape
        cand = np.flatnonzero(self.hf < 1.0)
        if cand.size == 0:
            return []
        rr, jj = np.divmod(cand, m)
        pp = self.rows[rr]
        h = self.hf.ravel()[cand]
        self.ref[0][pp] = np.nan  # their balances change: computed in full at the next step
        ones = np.ones((cand.size, K))
        sidx = rates.sidx[pp] if rates is not None else ones
        bidx = rates.bidx[pp] if rates is not None else ones
        o = oracle[pp]
        coll_amt = self.coll[:, pp, jj].T * sidx  # (n, assets) whole tokens
        debt_amt = self.debt[:, pp, jj].T * bidx
        c = np.argmax(coll_amt * o, axis=1)  # largest value; ties: first listed (the exact keeper's rule)
        d = np.argmax(debt_amt * o, axis=1)
        n = np.arange(cand.size)
        C, D, pc, pd = coll_amt[n, c], debt_amt[n, d], o[n, c], o[n, d]
        b1, lt = self.bonus1[c], self.lt[c]
        repaid = np.where(h < fchf, D, D * cf)
        b1 = np.where(h >= fchf, np.minimum(b1, np.maximum(1.0, np.floor(h / lt * 1e4) / 1e4)), b1)
        seized = repaid * pd / pc * b1
        sa = seized >= C
        seized = np.minimum(seized, C)
        repaid = np.where(sa, np.minimum(C / b1 * pc / pd, D), repaid)
        fee = (seized - seized / b1) * self.fee_frac[c]
        if keeper is not None:
            keep = keeper.choose(pp, pp, seized - fee, repaid, pc, pd)
            if not keep.all():
                k = np.flatnonzero(keep)
                if k.size == 0:
                    return []
                pp, jj, c, d, C, D, repaid, seized, fee, sa, debt_amt, sidx, bidx = (
                    x[k] for x in (pp, jj, c, d, C, D, repaid, seized, fee, sa, debt_amt, sidx, bidx))
                n = np.arange(k.size)
        C, D = C - seized, D - repaid
        self.coll[c, pp, jj] = C / sidx[n, c]
        self.debt[d, pp, jj] = D / bidx[n, d]
        empty = sa & (self.coll[:, pp, jj].sum(axis=0) == 0.0)  # no collateral left: every debt is written off
        bad = np.where(empty, D, 0.0)
        debt_amt[n, d] = D
        rest = np.where(empty[:, None], debt_amt, 0.0)
        rest[n, d] = 0.0  # the liquidated debt's remainder is on the liquidation's own event
        if empty.any():
            self.debt[:, pp[empty], jj[empty]] = 0.0
        lead = (rest.sum(axis=1) + bad) > 0  # the account is written off with something left to write off
        groups = []
        codes = c * K + d  # the (collateral, debt) groups in order, as sorted pairs
        for code in np.unique(codes):
            ci, di = divmod(int(code), K)
            g = np.flatnonzero(codes == code)
            groups.append((Columns(ci, di), _fields(pp[g], self.start + jj[g], repaid[g], seized[g], fee[g], bad[g],
                                                    np.flatnonzero(empty[g]), lead[g][empty[g]], True)))
        wo_r, wo_k = np.nonzero(rest > 0)
        codes = wo_k * K + c[wo_r]  # the (written-off debt, collateral) groups in order
        for code in np.unique(codes):
            ki, ci = divmod(int(code), K)
            g = wo_r[codes == code]
            zero = np.zeros(g.size)
            groups.append((Columns(ci, ki), _fields(pp[g], self.start + jj[g], zero, zero, zero, rest[g, ki],
                                                    np.arange(g.size), np.zeros(g.size, dtype=bool), False)))
        return groups


def _fields(path: np.ndarray, position: np.ndarray, repaid: np.ndarray, seized: np.ndarray, fee: np.ndarray,
            bad: np.ndarray, bad_idx: np.ndarray, written_off: np.ndarray, liquidations: bool) -> tuple[Any, ...]:
    """One group's entries (sorted by path) as ``cascade._Hits`` fields: per entry, the hit paths, the number of
    liquidations per hit path (0 for write-off-only entries) and the per-path sums of fee, sold, repaid, bad."""
    hit, starts, count = np.unique(path, return_index=True, return_counts=True)
    per = np.stack([fee, seized - fee, repaid, bad])
    sums = np.add.reduceat(per, starts, axis=1)
    return (path, position, repaid, seized, fee, bad, bad_idx, hit, count if liquidations else np.zeros_like(count),
            sums, written_off)
