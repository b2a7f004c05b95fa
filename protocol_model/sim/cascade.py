"""The vectorized cascade engine (numpy, float64): many paths of one book at once.

Per step, on every path (docs/risk_lab.md has the full statement):

1. fundamental prices move (``paths``); each AMM's dislocation decays by ``arb_recovery``;
   market price = fundamental × AMM dislocation;
2. the oracle posts the (possibly delayed) market price under its deviation/heartbeat rule, rounded
   to 8 decimals;
3. every position with HF < 1 at the oracle prices is liquidated once by a keeper repaying the most it
   may: all the debt below the full-close HF, else the close factor; seized = repaid × price ratio ×
   (1 + bonus); if that exceeds the collateral, all of it is seized and the repayment shrinks to match;
   the protocol fee (share of the bonus) goes to reserves; debt left after a seize-all is bad debt;
4. this step's fees are added to reserves, then its bad debt is written off against the debt asset's
   reserves, then against suppliers (semantics of ``LendingPool.liquidate`` and ``_writeOffBadDebt``);
5. liquidators sell the seized collateral (less the fee) into the asset's AMM, which moves the
   market price seen in the next step.

Work per step scales with (paths × pairs) plus the positions of paths that have a liquidatable position:
each path keeps, per (collateral, debt) pair, the largest "trigger" ``debt / (collateral × threshold)``;
HF < 1 exactly when trigger > collateral price / debt price.
"""

from __future__ import annotations

import numpy as np

from . import amm
from .books import Book
from .config import CascadeParams
from .outcome import CascadeOutcome
from .paths import MarketModel

ORACLE_UNIT = 1e-8  # feed answers have 8 decimals


def quantize_oracle(price: np.ndarray) -> np.ndarray:
    """A feed answer: rounded to 8 decimals, never below one unit (an answer of 0 is rejected on chain)."""
    return np.maximum(np.round(price / ORACLE_UNIT) * ORACLE_UNIT, ORACLE_UNIT)


def run_cascade(params: CascadeParams, book: Book, market: MarketModel, rng: np.random.Generator, n_paths: int,
                n_steps: int, *, record_series: bool = False, record_events: bool = False) -> CascadeOutcome:
    assets, K, P = params.assets, len(params.assets), n_paths
    p0 = np.array(params.initial_prices)
    stream = market.stream(rng, P, p0, n_steps)
    lt = np.array([a.liquidation_threshold_bps for a in assets]) / 1e4
    bonus1 = 1.0 + np.array([a.liquidation_bonus_bps for a in assets]) / 1e4
    feefrac = np.array([a.liquidation_protocol_fee_bps for a in assets]) / 1e4
    cf, fchf = params.close_factor_bps / 1e4, params.full_close_hf_bps / 1e4
    liq = np.array([amm.liquidity(a.amm_depth_usd, a.price_usd) for a in assets])
    deep = ~np.isfinite(liq)
    arb_keep = 1.0 - params.arb_recovery
    lag = params.oracle
    ring = np.broadcast_to(p0, (lag.delay_steps + 1, P, K)).copy()
    oracle = np.broadcast_to(quantize_oracle(p0), (P, K)).copy()
    since_post = np.zeros((P, K), dtype=np.int64)
    dev_frac = lag.deviation_bps / 1e4
    dislocation = np.ones((P, K))
    pairs = book.pairs()
    coll = np.broadcast_to(book.coll_tokens, (P, len(book))).copy()
    debt = np.broadcast_to(book.debt_tokens, (P, len(book))).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        trig = np.where(debt > 0, debt / (coll * lt[book.coll_asset]), 0.0)
    maxtrig = np.stack([trig[:, s].max(axis=1) for _, _, s in pairs], axis=1) if pairs else np.zeros((P, 0))
    reserves = np.broadcast_to(np.array([a.reserves_tokens for a in assets]), (P, K)).copy()
    out = {k: np.zeros(P) for k in ("bad_debt_usd", "bad_debt_count", "liquidation_count", "liquidation_volume_usd",
                                    "reserves_used_usd", "supplier_loss_usd", "liquidator_pnl_usd", "max_amm_discount")}
    min_hf = np.full(P, np.inf)
    bad_tokens = np.zeros((P, K))
    series = _series_buffers(P, n_steps, K) if record_series else {}
    events: list[tuple] = []
    market_px = np.broadcast_to(p0, (P, K)).copy()
    if record_series:
        series["oracle"][:, 0], series["market"][:, 0] = oracle, market_px
    flat = np.arange(P) * K
    for j, (c, d, _) in enumerate(pairs):
        with np.errstate(divide="ignore"):
            np.minimum(min_hf, oracle[:, c] / oracle[:, d] / maxtrig[:, j], out=min_hf)

    for t in range(1, n_steps + 1):
        fundamental = stream.next()
        dislocation **= arb_keep
        market_px = fundamental * dislocation
        ring[t % (lag.delay_steps + 1)] = market_px
        seen = ring[(t - lag.delay_steps) % (lag.delay_steps + 1)]
        since_post += 1
        post = (np.abs(seen / oracle - 1.0) >= dev_frac) | (since_post >= lag.heartbeat_steps)
        oracle = np.where(post, quantize_oracle(seen), oracle)
        since_post[post] = 0

        hit_path, hit_pos, hit_pair, rep, sez, fees, bads = [], [], [], [], [], [], []
        for j, (c, d, s) in enumerate(pairs):
            ratio = oracle[:, c] / oracle[:, d]
            with np.errstate(divide="ignore"):
                np.minimum(min_hf, ratio / maxtrig[:, j], out=min_hf)
            pi = np.flatnonzero(maxtrig[:, j] > ratio)
            if pi.size == 0:
                continue
            if 2 * pi.size > P:  # most paths: scan the block in place (a view, no gather)
                pp, cc = np.nonzero(trig[:, s] > ratio[:, None])
            else:
                rr, cc = np.nonzero(trig[pi, s] > ratio[pi, None])
                pp = pi[rr]
            qq = s.start + cc
            pc, pd = oracle[pp, c], oracle[pp, d]
            C, D = coll[pp, qq], debt[pp, qq]
            hf = C * pc * lt[c] / (D * pd)
            repaid = np.where(hf < fchf, D, D * cf)
            seized = repaid * pd / pc * bonus1[c]
            seize_all = seized >= C
            seized = np.where(seize_all, C, seized)
            repaid = np.where(seize_all, np.minimum(C / bonus1[c] * pc / pd, D), repaid)
            fee = (seized - seized / bonus1[c]) * feefrac[c]
            C2, D2 = C - seized, D - repaid
            bad = np.where(seize_all, D2, 0.0)
            D2 = np.where(seize_all, 0.0, D2)
            coll[pp, qq], debt[pp, qq] = C2, D2
            with np.errstate(divide="ignore", invalid="ignore"):
                trig[pp, qq] = np.where(D2 > 0, D2 / (C2 * lt[c]), 0.0)
            hit = np.unique(pp)
            maxtrig[hit, j] = trig[:, s].max(axis=1)[hit] if 2 * hit.size > P else trig[hit, s].max(axis=1)
            hit_path.append(pp), hit_pos.append(qq), hit_pair.append(np.full(pp.size, j))
            rep.append(repaid), sez.append(seized), fees.append(fee), bads.append(bad)
        if hit_path:
            pp, qq = np.concatenate(hit_path), np.concatenate(hit_pos)
            cidx, didx = book.coll_asset[qq], book.debt_asset[qq]
            repaid, seized, fee, bad = (np.concatenate(x) for x in (rep, sez, fees, bads))
            size = P * K
            reserves += np.bincount(flat[pp] + cidx, fee, size).reshape(P, K)
            bad_pk = np.bincount(flat[pp] + didx, bad, size).reshape(P, K)
            from_res = np.minimum(reserves, bad_pk)
            reserves -= from_res
            bad_tokens += bad_pk
            out["bad_debt_usd"] += (bad_pk * oracle).sum(axis=1)
            out["reserves_used_usd"] += (from_res * oracle).sum(axis=1)
            out["supplier_loss_usd"] += ((bad_pk - from_res) * oracle).sum(axis=1)
            out["bad_debt_count"] += np.bincount(pp, (bad > 0).astype(float), P)
            out["liquidation_count"] += np.bincount(pp, None, P)
            out["liquidation_volume_usd"] += np.bincount(pp, repaid * oracle[pp, didx], P)
            sold = np.bincount(flat[pp] + cidx, seized - fee, size).reshape(P, K)
            with np.errstate(invalid="ignore"):
                new_px, proceeds = amm.sell(market_px, liq, sold, sqrt=np.sqrt)
            moved = (sold > 0) & ~deep
            new_px = np.where(moved, new_px, market_px)
            proceeds = np.where(moved, proceeds, sold * market_px)
            dislocation *= new_px / market_px
            cost = np.bincount(pp, repaid * market_px[pp, didx], P)
            out["liquidator_pnl_usd"] += proceeds.sum(axis=1) - cost
            market_px = new_px
            if record_events:
                order = np.lexsort((np.arange(pp.size), pp))  # by path, then pair/position order
                events += [(int(pp[i]), t, int(qq[i]), float(repaid[i]), float(seized[i]), float(fee[i]),
                            float(bad[i])) for i in order]
        np.maximum(out["max_amm_discount"], (1.0 - dislocation).max(axis=1), out=out["max_amm_discount"])
        if record_series:
            series["oracle"][:, t], series["market"][:, t] = oracle, market_px
            series["bad_debt_usd"][:, t] = out["bad_debt_usd"]
            series["liquidation_volume_usd"][:, t] = out["liquidation_volume_usd"]

    out["min_health_factor"] = min_hf
    out["reserves_end_usd"] = (reserves * oracle).sum(axis=1)
    return CascadeOutcome(out, bad_tokens, series, events)


def _series_buffers(P: int, T: int, K: int) -> dict[str, np.ndarray]:
    return {"oracle": np.zeros((P, T + 1, K)), "market": np.zeros((P, T + 1, K)),
            "bad_debt_usd": np.zeros((P, T + 1)), "liquidation_volume_usd": np.zeros((P, T + 1))}
