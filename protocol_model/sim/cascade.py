"""The vectorized cascade engine (numpy, float64): many paths of one book at once.

Per step, on every path (docs/risk_lab.md has the full statement):

1. fundamental prices move (``paths``); each AMM's dislocation decays by ``arb_recovery``;
   market price = fundamental × AMM dislocation;
2. the oracle posts the (possibly delayed) market price under its deviation/heartbeat rule, rounded
   to 8 decimals;
   with interest on (``CascadeParams.interest``), every asset then accrues one step of interest from its rate
   curve (``sim.interest``: borrow and supply index per path; balances are scaled, HF reads them × index);
3. every position with HF < 1 at the oracle prices is liquidated once by a keeper repaying the most it
   may (when the keepers' economics allow it: ``config.Liquidators``, profit net of gas at the oracle prices
   at least the minimum, and within the keeper's capital per step in book order): all the debt below the
   full-close HF, else the close factor; seized = repaid × price ratio ×
   (1 + bonus); if that exceeds the collateral, all of it is seized and the repayment shrinks to match;
   the protocol fee (share of the bonus) goes to reserves; debt left after a seize-all is bad debt;
4. this step's fees are added to reserves, then its bad debt is written off against the debt asset's
   reserves, then against suppliers (semantics of ``LendingPool.liquidate`` and ``_writeOffBadDebt``);
5. liquidators sell the seized collateral (less the fee) into the asset's AMM, which moves the
   market price seen in the next step.

How it stays fast (``make bench``): the book is split into (collateral, debt) pair blocks, each held as
C-contiguous ``(paths, positions)`` arrays of collateral, debt and "trigger" ``debt / (collateral ×
threshold)``; HF < 1 exactly when trigger > collateral price / debt price. Each path keeps, per block, the
exact largest trigger, a cheap bound that selects the few paths with anything to liquidate this step; only
those rows are copied and compared, and the liquidation arithmetic runs on the compressed list of
liquidatable positions (flat indices). Per-path sums come from one ``add.reduceat`` per block (the list is
sorted by path), settlement and AMM sales touch only the paths that liquidated, and rare branches (seize-all,
bad debt) run on their own subsets. The chunk of paths is the unit of parallelism (``run.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocol_model.sim import amm
from protocol_model.sim.books import Book
from protocol_model.sim.config import AssetRisk, CascadeParams, Liquidators
from protocol_model.sim.interest import Accrual
from protocol_model.sim.liquidation_rules import PresetRule, rule_for, write_off
from protocol_model.sim.multi_collateral import Columns, MultiBlock
from protocol_model.sim.outcome import ASSET_FIELDS, PATH_FIELDS, CascadeOutcome, Event
from protocol_model.sim.paths import PRICE_FLOOR, MarketModel

ORACLE_UNIT = 1e-8  # feed answers have 8 decimals
_SUMS = ("liquidation_count", "liquidation_volume_usd", "bad_debt_usd", "bad_debt_count", "reserves_used_usd",
         "supplier_loss_usd", "liquidator_pnl_usd", "max_amm_discount", "redeemed_usd")


def quantize_oracle(price: np.ndarray) -> np.ndarray:
    """A feed answer: rounded to 8 decimals, never below one unit (an answer of 0 is rejected on chain).

    Any shape; USD in, USD out (the router's ``InvalidPrice`` rejects answers <= 0).
    """
    return np.maximum(np.round(price / ORACLE_UNIT) * ORACLE_UNIT, ORACLE_UNIT)


@dataclass
class _Block:
    """One (collateral ``c``, debt ``d``) block of the book on every path; arrays are (paths, positions)."""

    c: int
    d: int
    start: int
    """book index of the block's first position"""
    lt: float
    bonus1: float
    fee_frac: float
    coll: np.ndarray
    debt: np.ndarray
    trig: np.ndarray
    maxtrig: np.ndarray
    """(paths,): the exact largest trigger of each path's row"""

    @classmethod
    def build(cls, book: Book, assets: tuple[AssetRisk, ...], c: int, d: int, s: slice, n_paths: int) -> _Block:
        a = assets[c]
        lt = a.liquidation_threshold_bps / 1e4
        coll0, debt0 = book.coll_tokens[s], book.debt_tokens[s]
        with np.errstate(divide="ignore", invalid="ignore"):
            trig0 = np.where(debt0 > 0, debt0 / (coll0 * lt), 0.0)
        tile = lambda row: np.tile(row, (n_paths, 1))  # noqa: E731 (C-contiguous copies)
        return cls(c, d, s.start, lt, 1.0 + a.liquidation_bonus_bps / 1e4, a.liquidation_protocol_fee_bps / 1e4,
                   tile(coll0), tile(debt0), tile(trig0), np.full(n_paths, trig0.max(initial=0.0)))


@dataclass
class _Hits:
    """One block's liquidations in one step, sorted by path: per liquidation, and summed per hit path."""

    path: np.ndarray
    position: np.ndarray
    repaid: np.ndarray
    seized: np.ndarray
    fee: np.ndarray
    bad: np.ndarray
    bad_idx: np.ndarray
    """indices (into the arrays above) of the seize-alls"""
    hit_paths: np.ndarray
    count: np.ndarray
    sums: np.ndarray
    """rows: fee, seized − fee (sold), repaid, bad debt; one column per hit path"""
    written_off: np.ndarray | None = None
    """per ``bad_idx`` entry, whether it counts as a position written off (None: bad > 0; ``multi_collateral``)"""


@dataclass
class _Keeper:
    """The keepers' economics on every path (``config.Liquidators``): capital left this step, and whether a
    path's keeper has stopped for the step (its first unfundable profitable liquidation)."""

    rules: Liquidators
    capital: np.ndarray
    """(paths,) USD left this step"""
    stopped: np.ndarray
    """(paths,) bool"""

    @classmethod
    def start(cls, rules: Liquidators, n_paths: int) -> _Keeper | None:
        if not (rules.filters_profit or rules.limited):
            return None
        return cls(rules, np.full(n_paths, rules.capital_usd), np.zeros(n_paths, dtype=bool))

    def new_step(self) -> None:
        self.capital.fill(self.rules.capital_usd)
        self.stopped.fill(False)

    def choose(self, pp: np.ndarray, rr: np.ndarray, sold: np.ndarray, repaid: np.ndarray, pc: np.ndarray,
               pd: np.ndarray) -> np.ndarray:
        """Which candidates (sorted by path, ``rr`` their path's rank) the keepers liquidate: profitable at the
        oracle prices, and within each path's capital in book order until the first that does not fit."""
        usd = repaid * pd
        keep = sold * pc - usd - self.rules.gas_usd >= self.rules.min_profit_usd
        if not self.rules.limited:
            return keep
        keep &= ~self.stopped[pp]
        usd = np.where(keep, usd, 0.0)
        total = np.cumsum(usd)
        _, first = np.unique(rr, return_index=True)
        seg = np.searchsorted(first, np.arange(rr.size), side="right") - 1
        spent = total - (total - usd)[first][seg]  # cumulative repayments of this path's candidates so far
        fits = spent <= self.capital[pp]
        self.stopped[pp[keep & ~fits]] = True
        keep &= fits
        np.subtract.at(self.capital, pp[keep], usd[keep])
        return keep


def _liquidate(b: _Block, ratio: np.ndarray, oracle: np.ndarray, cf: float, fchf: float,
               keeper: _Keeper | None = None, index: tuple[np.ndarray, np.ndarray] | None = None,
               rule: PresetRule | None = None) -> _Hits | None:
    """Liquidate every position of block ``b`` with trigger > ``ratio`` (HF < 1) that the ``keeper``'s
    economics allow (all of them without), in place; None if none. With ``index`` (the paths' supply index of
    the collateral, borrow index of the debt: interest on) the block holds scaled balances and ``ratio`` is
    already divided by the index ratio. A preset ``rule`` (``sim.liquidation_rules``) replaces the generic amounts."""
    pi = np.flatnonzero(b.maxtrig > ratio)
    if pi.size == 0:
        return None
    n = b.trig.shape[1]
    # Only the paths that have something to liquidate. Each has at least one candidate: maxtrig is its row's
    # exact maximum (set from the row at the start and after every change), so that element exceeds ratio;
    # the per-path sums below rely on it (no empty segment in reduceat).
    rows = b.trig[pi]
    cand = np.flatnonzero(rows > ratio[pi, None])
    rr, cc = np.divmod(cand, n)
    pp = pi[rr]
    idx = pp * n + cc
    pc, pd = oracle[pp, b.c], oracle[pp, b.d]
    C, D = b.coll.take(idx), b.debt.take(idx)
    if index is not None:
        C *= index[0][pp]
        D *= index[1][pp]
    per = np.zeros((4, cand.size))  # fee, sold (seized − fee), repaid, bad debt: summed per path below
    fee, sold, repaid, bad = per
    hf = C * pc * b.lt / (D * pd)
    np.multiply(D, cf, out=repaid)
    np.copyto(repaid, D, where=hf < fchf)
    # at or above the full-close line the bonus is capped at lt·(1 + bonus) <= HF (docs/SPEC.md §5.6, in bps)
    bonus1 = np.where(hf >= fchf, np.minimum(b.bonus1, np.maximum(1.0, np.floor(hf / b.lt * 1e4) / 1e4)), b.bonus1)
    seized = repaid * pd / pc * bonus1
    sa = np.flatnonzero(seized >= C)  # seize-all: all the collateral goes, the repayment shrinks to match
    np.minimum(seized, C, out=seized)
    if sa.size:
        repaid[sa] = np.minimum(C[sa] / bonus1[sa] * pc[sa] / pd[sa], D[sa])
    if rule is not None:  # a preset's close factor, incentive and seize-all (the generic amounts above are dropped)
        repaid[:], seized, bonus1, sa = rule.amounts(C, D, pc, pd, b.lt, b.bonus1)
    np.divide(seized, bonus1, out=fee)
    np.subtract(seized, fee, out=fee)
    fee *= b.fee_frac
    np.subtract(seized, fee, out=sold)
    if keeper is not None:
        keep = keeper.choose(pp, rr, sold, repaid, pc, pd)
        if not keep.all():
            k = np.flatnonzero(keep)
            if k.size == 0:
                return None
            is_sa = np.zeros(cand.size, dtype=bool)
            is_sa[sa] = True
            sa = np.flatnonzero(is_sa[k])
            cand, rr, cc, pp, idx, C, D, seized = cand[k], rr[k], cc[k], pp[k], idx[k], C[k], D[k], seized[k]
            per = per[:, k]
            fee, sold, repaid, bad = per
    C -= seized
    D -= repaid
    if sa.size:
        bad[sa] = D[sa]
        D[sa] = 0.0
    if index is not None:  # back to scaled balances (the trigger is scaled too)
        si, bi = index[0][pp], index[1][pp]
        C, D = C / si, D / bi
    trig = D / (C * b.lt)  # 0 when the debt is gone; 0/0 at seize-alls, set below
    if sa.size:
        trig[sa] = 0.0
    b.coll.put(idx, C)
    b.debt.put(idx, D)
    b.trig.put(idx, trig)
    rows.put(cand, trig)
    b.maxtrig[pi] = rows.max(axis=1)
    count = np.bincount(rr, minlength=pi.size)
    if keeper is not None:  # paths whose every candidate the keeper passed on have no segment
        hit = count > 0
        pi, count = pi[hit], count[hit]
    starts = np.cumsum(count) - count
    sums = np.add.reduceat(per, starts, axis=1)
    return _Hits(pp, b.start + cc, repaid, seized, fee, bad, sa, pi, count, sums)


def run_cascade(params: CascadeParams, book: Book, market: MarketModel, rng: np.random.Generator, n_paths: int,
                n_steps: int, *, record_series: bool = False, record_events: bool = False) -> CascadeOutcome:
    """Run ``n_paths`` paths of ``n_steps`` steps of the liquidation cascade on ``book`` (rules in the module
    docstring and docs/risk_lab.md; ``LendingPool.liquidate`` semantics in floats).

    Returns per-path metrics (``PATH_FIELDS`` → (paths,), USD or counts), bad debt in whole tokens
    (paths, assets), per-asset metrics (``ASSET_FIELDS`` → (paths, assets): bad debt and liquidation volume by
    collateral asset, lowest market and fundamental prices relative to step 0), and when asked the series
    (``oracle``/``market``/``fundamental`` (paths, steps + 1, assets) USD;
    cumulative ``bad_debt_usd``/``liquidation_volume_usd`` (paths, steps + 1); with interest on
    (``params.accrues``) also ``borrow_index`` (paths, steps + 1, assets)) and the events in order of
    execution. Interest (``sim.interest``) accrues at the start of each step, before the liquidations. Raises
    ``ValueError`` if the market's drivers do not match the assets.
    """
    assets, K, P = params.assets, len(params.assets), n_paths
    p0 = np.array(params.initial_prices)
    stream = market.stream(rng, P, p0, n_steps)
    cf, fchf = params.close_factor_bps / 1e4, params.full_close_hf_bps / 1e4
    liq = np.array([amm.liquidity(a.amm_depth_usd, a.price_usd) for a in assets])
    deep = ~np.isfinite(liq)
    arb_keep = 1.0 - params.arb_recovery
    lag = params.oracle
    ring = np.broadcast_to(p0, (lag.delay_steps + 1, P, K)).copy() if lag.delay_steps else None
    oracle = np.broadcast_to(quantize_oracle(p0), (P, K)).copy()
    since_post = np.zeros((P, K), dtype=np.int64)
    dev_frac = lag.deviation_bps / 1e4
    dislocation = np.ones((P, K))
    blocks = [_Block.build(book, assets, c, d, s, P) for c, d, s in book.pairs()]
    multi = MultiBlock.build(book.multi, assets, book.n_pairs, P) if book.multi is not None and len(book.multi) \
        else None
    par = params.redeem_par  # redeemed at par, not sold: those assets' AMMs never move
    amm_cols = sorted(c for c in {b.c for b in blocks} | (multi.collateral_assets if multi else set())
                      if not deep[c] and np.isnan(par[c]))  # assets that liquidators move
    reserves = np.broadcast_to(np.array([a.reserves_tokens for a in assets]), (P, K)).copy()
    out = {k: np.zeros(P) for k in _SUMS}
    min_hf = np.full(P, np.inf)
    bad_tokens = np.zeros((P, K))
    series = _series_buffers(P, n_steps, K) if record_series else {}
    events: list[Event] = []
    keeper = _Keeper.start(params.liquidators, P)
    rule = rule_for(params.rules)
    if rule is not None and book.multi is not None and len(book.multi):
        raise ValueError(f"rules {rule.name}: cross-collateral accounts follow the generic pool's rule only")
    rates = Accrual.start(params, book, P) if params.accrues else None
    market_px = np.broadcast_to(p0, (P, K)).copy()
    by_coll = {k: np.zeros((P, K)) for k in ASSET_FIELDS[:2]}
    min_market, min_fund = market_px.copy(), market_px.copy()  # lowest prices so far (step 0 included)
    if record_series:
        series["oracle"][:, 0], series["market"][:, 0], series["fundamental"][:, 0] = oracle, market_px, market_px
        if rates is not None:
            series["borrow_index"] = np.ones((P, n_steps + 1, K))
    with np.errstate(divide="ignore", invalid="ignore"):
        for b in blocks:
            np.minimum(min_hf, oracle[:, b.c] / oracle[:, b.d] / b.maxtrig, out=min_hf)
        if multi is not None:
            multi.health(oracle, None, min_hf)
        for t in range(1, n_steps + 1):
            market_px = stream.next()
            np.minimum(min_fund, market_px, out=min_fund)
            if record_series:
                series["fundamental"][:, t] = market_px
            if arb_keep != 1.0:
                dislocation **= arb_keep
            market_px *= dislocation
            if ring is None:
                seen = market_px
            else:
                ring[t % (lag.delay_steps + 1)] = market_px
                seen = ring[(t - lag.delay_steps) % (lag.delay_steps + 1)]
            if lag.heartbeat_steps == 1:  # posts every step
                oracle = quantize_oracle(seen)
            else:
                since_post += 1
                post = (np.abs(seen / oracle - 1.0) >= dev_frac) | (since_post >= lag.heartbeat_steps)
                oracle = np.where(post, quantize_oracle(seen), oracle)
                since_post[post] = 0

            hits: list[tuple[_Block | Columns, _Hits]] = []
            if keeper is not None:
                keeper.new_step()
            if rates is not None:
                rates.accrue(reserves)
            for b in blocks:
                ratio = oracle[:, b.c] / oracle[:, b.d]
                index = None
                if rates is not None:  # HF < 1 ⇔ scaled trigger > ratio × supply index / borrow index
                    index = rates.sidx[:, b.c], rates.bidx[:, b.d]
                    ratio = ratio * index[0] / index[1]
                np.minimum(min_hf, ratio / b.maxtrig, out=min_hf)
                h = _liquidate(b, ratio, oracle, cf, fchf, keeper, index, rule)
                if h is not None:
                    hits.append((b, h))
            if multi is not None:  # cross-collateral accounts (sim.multi_collateral), after the pairs
                multi.health(oracle, rates, min_hf)
                hits += [(g, _Hits(*f)) for g, f in multi.liquidate(oracle, cf, fchf, keeper, rates)]
            if hits:
                market_px = _settle(hits, P, K, oracle, market_px, dislocation, reserves, bad_tokens, liq, deep, out,
                                    by_coll, params.liquidators.gas_usd, rates, par, rule)
                if record_events:
                    events += _events(t, [h for _, h in hits])
            np.minimum(min_market, market_px, out=min_market)
            if amm_cols:  # other assets' dislocation stays exactly 1 (no sales, 1 ** k = 1)
                lowest = dislocation[:, amm_cols[0]].copy()
                for c in amm_cols[1:]:
                    np.minimum(lowest, dislocation[:, c], out=lowest)
                np.maximum(out["max_amm_discount"], 1.0 - lowest, out=out["max_amm_discount"])
            if record_series:
                series["oracle"][:, t], series["market"][:, t] = oracle, market_px
                series["bad_debt_usd"][:, t] = out["bad_debt_usd"]
                series["liquidation_volume_usd"][:, t] = out["liquidation_volume_usd"]
                if rates is not None:
                    series["borrow_index"][:, t] = rates.bidx

    out["min_health_factor"] = min_hf
    out["reserves_end_usd"] = (reserves * oracle).sum(axis=1)
    per_asset = {**by_coll, "min_market_rel": min_market / p0, "min_fundamental_rel": min_fund / p0}
    return CascadeOutcome({k: out[k] for k in PATH_FIELDS}, bad_tokens, series, events, per_asset)


def _settle(hits: list, P: int, K: int, oracle: np.ndarray, market_px: np.ndarray,
            dislocation: np.ndarray, reserves: np.ndarray, bad_tokens: np.ndarray, liq: np.ndarray,
            deep: np.ndarray, out: dict[str, np.ndarray], by_coll: dict[str, np.ndarray],
            gas_usd: float = 0.0, rates: Accrual | None = None, par: np.ndarray | None = None,
            rule: PresetRule | None = None) -> np.ndarray:
    """Book one step's liquidations: fees to reserves, bad-debt write-off (``liquidation_rules.write_off``),
    liquidators' AMM sales (or par redemptions of the ``par`` assets, (assets,) USD per token, NaN for sold
    ones: ``redeemed_usd``).

    Updates ``dislocation``, ``reserves``, ``bad_tokens``, ``out`` and ``by_coll`` (per collateral asset,
    (paths, assets) USD) in place; returns the market prices
    after the sales. Only the paths that liquidated are touched."""
    fee_pk, sold_pk, repaid_pk, bad_pk = (np.zeros((P, K)) for _ in range(4))
    any_bad = False
    for b, h in hits:
        hp = h.hit_paths
        fee_pk[hp, b.c] += h.sums[0]
        sold_pk[hp, b.c] += h.sums[1]
        repaid_pk[hp, b.d] += h.sums[2]
        by_coll["liquidation_volume_by_collateral_usd"][hp, b.c] += h.sums[2] * oracle[hp, b.d]
        out["liquidation_count"][hp] += h.count
        if h.bad_idx.size:
            any_bad = True
            bad_pk[hp, b.d] += h.sums[3]
            by_coll["bad_debt_by_collateral_usd"][hp, b.c] += h.sums[3] * oracle[hp, b.d]
            counted = h.bad[h.bad_idx] > 0 if h.written_off is None else h.written_off
            out["bad_debt_count"] += np.bincount(h.path[h.bad_idx], counted, P)
    if len(hits) == 1:
        H = hits[0][1].hit_paths
    else:
        hit = np.zeros(P, dtype=bool)
        for _, h in hits:
            hit[h.hit_paths] = True
        H = np.flatnonzero(hit)
    o, mp, sold = oracle[H], market_px[H], sold_pk[H]
    res = reserves[H] + fee_pk[H]
    if any_bad:
        bad = bad_pk[H]
        from_res, loss = write_off(rule, res, bad)
        res -= from_res
        bad_tokens[H] += bad
        out["bad_debt_usd"][H] += (bad * o).sum(axis=1)
        out["reserves_used_usd"][H] += (from_res * o).sum(axis=1)
        out["supplier_loss_usd"][H] += (loss * o).sum(axis=1)
    reserves[H] = res
    if rates is not None:
        burned = repaid_pk[H] + bad_pk[H] if any_bad else repaid_pk[H]
        loss = bad - from_res if any_bad else np.zeros_like(burned)
        rates.settle(H, burned, fee_pk[H] + sold, loss)
    rep = repaid_pk[H]
    out["liquidation_volume_usd"][H] += (rep * o).sum(axis=1)
    new_px, proceeds = amm.sell(mp, liq, sold, sqrt=np.sqrt)
    moved = (sold > 0) & ~deep
    sold_px = mp  # what collateral not sold into a moving AMM fetches
    if par is not None and not np.isnan(par).all():  # redeemed at par: no AMM sale (Liquidators.redeem)
        red = ~np.isnan(par)
        moved &= ~red
        sold_px = np.where(red, par, mp)
        out["redeemed_usd"][H] += (sold * np.where(red, par, 0.0)).sum(axis=1)
    new_px = np.where(moved, new_px, mp)
    proceeds = np.where(moved, proceeds, sold * sold_px)
    moved_to = dislocation[H] * (new_px / mp)
    low = moved_to < PRICE_FLOOR  # the pool's price never falls below PRICE_FLOOR of the fundamental (paths)
    if low.any():
        new_px = np.where(low, mp / dislocation[H] * PRICE_FLOOR, new_px)
        moved_to[low] = PRICE_FLOOR
    dislocation[H] = moved_to
    pnl = proceeds.sum(axis=1) - (rep * mp).sum(axis=1)
    if gas_usd:
        n = np.zeros(P)
        for _, h in hits:
            n[h.hit_paths] += h.count
        pnl -= gas_usd * n[H]
    out["liquidator_pnl_usd"][H] += pnl
    market_px[H] = new_px
    return market_px


def _events(t: int, hits: list[_Hits]) -> list[Event]:
    """The step's liquidations as events, by path, then block/position order (the order of execution)."""
    cols = [np.concatenate([getattr(h, f) for h in hits]) for f in ("path", "position", "repaid", "seized", "fee",
                                                                       "bad")]
    order = np.lexsort((np.arange(cols[0].size), cols[1], cols[0]))  # by path, position, then entry
    pp, qq, rep, sez, fee, bad = (c[order].tolist() for c in cols)
    return [(int(p), t, int(q), r, s, f, x) for p, q, r, s, f, x in zip(pp, qq, rep, sez, fee, bad, strict=True)]


def _series_buffers(P: int, T: int, K: int) -> dict[str, np.ndarray]:
    return {"oracle": np.zeros((P, T + 1, K)), "market": np.zeros((P, T + 1, K)),
            "fundamental": np.zeros((P, T + 1, K)),
            "bad_debt_usd": np.zeros((P, T + 1)), "liquidation_volume_usd": np.zeros((P, T + 1))}
