"""Cross-collateral accounts in the vectorized engine: several collaterals and debts per position.

The single-pair blocks of ``cascade`` stay the fast path; the book's :class:`~protocol_model.sim.books.MultiPositions`
run here as one block of (paths, accounts, assets) arrays of collateral and debt (scaled balances when interest
accrues). Per step, on every path, as ``LendingPool``:

* HF = Σ collateral × supply index × oracle price × liquidation threshold ÷ Σ debt × borrow index × oracle price
  (``LendingPool._liquidationValues``); an account below 1 is liquidated once per step;
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
    """The multi-asset accounts on every path: ``coll``/``debt`` (paths, accounts, assets), whole tokens (scaled by
    the indices when interest accrues); ``start`` is the book position of the first account."""

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
    """(paths, accounts) HF at the last :meth:`health` (inf without debt)"""

    @classmethod
    def build(cls, multi: MultiPositions, assets: tuple[AssetRisk, ...], start: int, n_paths: int) -> MultiBlock:
        """Every path starts from the book's amounts. Shapes: ``multi`` (accounts, assets); result (paths, ...)."""
        lt = np.array([a.liquidation_threshold_bps / 1e4 for a in assets])
        bonus1 = np.array([1.0 + a.liquidation_bonus_bps / 1e4 for a in assets])
        fee = np.array([a.liquidation_protocol_fee_bps / 1e4 for a in assets])
        tile = lambda x: np.tile(x, (n_paths, 1, 1))  # noqa: E731
        return cls(start, lt, bonus1, fee, tile(multi.coll), tile(multi.debt))

    @property
    def collateral_assets(self) -> set[int]:
        """Assets any account holds as collateral (the AMMs its liquidations may sell into)."""
        return {int(k) for k in np.flatnonzero(self.coll[0].sum(axis=0) > 0)}

    def _values(self, oracle: np.ndarray, rates: _Indices | None) -> tuple[np.ndarray, np.ndarray]:
        """(paths, assets) USD per scaled token of collateral (× threshold) and of debt."""
        if rates is None:
            return oracle * self.lt, oracle
        return oracle * self.lt * rates.sidx, oracle * rates.bidx

    def health(self, oracle: np.ndarray, rates: _Indices | None = None) -> np.ndarray:
        """HF of every account on every path at ``oracle`` (paths, assets) USD: (paths, accounts), inf without
        debt. Kept for the next :meth:`liquidate`."""
        cv, dv = self._values(oracle, rates)
        adj = np.einsum("pmk,pk->pm", self.coll, cv)
        owed = np.einsum("pmk,pk->pm", self.debt, dv)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.hf = np.where(owed > 0, adj / owed, np.inf)
        return self.hf

    def liquidate(self, oracle: np.ndarray, cf: float, fchf: float, keeper: _Chooser | None,
                  rates: _Indices | None) -> list[tuple[Columns, tuple[Any, ...]]]:
        """Liquidate every account below HF 1 at the last :meth:`health` (rules in the module docstring), in place.

        Returns the groups of liquidations for settlement, each ``(Columns, fields)`` with ``fields`` in the order
        of ``cascade._Hits``; liquidation groups first, then write-off-only groups (empty list if none)."""
        assert self.hf is not None
        P, m, K = self.coll.shape
        cand = np.flatnonzero(self.hf < 1.0)
        if cand.size == 0:
            return []
        pp, jj = np.divmod(cand, m)
        h = self.hf.ravel()[cand]
        ones = np.ones((cand.size, K))
        sidx = rates.sidx[pp] if rates is not None else ones
        bidx = rates.bidx[pp] if rates is not None else ones
        o = oracle[pp]
        coll_amt = self.coll[pp, jj] * sidx  # (n, assets) whole tokens
        debt_amt = self.debt[pp, jj] * bidx
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
        self.coll[pp, jj, c] = C / sidx[n, c]
        self.debt[pp, jj, d] = D / bidx[n, d]
        empty = sa & (self.coll[pp, jj].sum(axis=1) == 0.0)  # no collateral left: every debt is written off
        bad = np.where(empty, D, 0.0)
        debt_amt[n, d] = D
        rest = np.where(empty[:, None], debt_amt, 0.0)
        rest[n, d] = 0.0  # the liquidated debt's remainder is on the liquidation's own event
        if empty.any():
            self.debt[pp[empty], jj[empty]] = 0.0
        lead = (rest.sum(axis=1) + bad) > 0  # the account is written off with something left to write off
        groups = []
        for ci, di in sorted({(int(x), int(y)) for x, y in zip(c, d, strict=True)}):
            g = np.flatnonzero((c == ci) & (d == di))
            groups.append((Columns(ci, di), _fields(pp[g], self.start + jj[g], repaid[g], seized[g], fee[g], bad[g],
                                                    np.flatnonzero(empty[g]), lead[g][empty[g]], True)))
        wo_r, wo_k = np.nonzero(rest > 0)
        for ki, ci in sorted({(int(k), int(x)) for k, x in zip(wo_k, c[wo_r], strict=True)}):
            g = wo_r[(wo_k == ki) & (c[wo_r] == ci)]
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
