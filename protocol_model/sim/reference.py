"""The scalar reference of the cascade: plain Python floats, one path, one position at a time.

Kept for correctness only (small sizes): it restates ``cascade.run_cascade``'s rules in the most direct
form — no trigger bookkeeping, no batching — so the vectorized engine can be checked against it on the
same seeds. Prices come from the same ``paths`` stream (the path generator is shared; the cascade is not).
It also records the per-asset fields (``outcome.ASSET_FIELDS``): bad debt and liquidation volume by collateral
asset, and each asset's lowest market and fundamental (exogenous) price, so the split of a price drop into
its exogenous and liquidation-induced parts is checked too.

Every position is held as one account with a balance per asset (a pair position has one nonzero collateral and
one nonzero debt), so the cross-collateral accounts of ``sim.multi_collateral`` follow the same lines: HF = Σ
collateral value × threshold ÷ Σ debt value, the keeper picks the largest debt and the largest collateral, and
an account left without collateral has every debt written off. Seized collateral of ``Liquidators.redeem``
assets is redeemed at par instead of sold.
"""

from __future__ import annotations

import math

import numpy as np

from protocol_model.sim import amm
from protocol_model.sim.books import Book
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.interest import deposits
from protocol_model.sim.liquidation_rules import rule_for, write_off
from protocol_model.sim.outcome import ASSET_FIELDS, PATH_FIELDS, CascadeOutcome
from protocol_model.sim.paths import PRICE_FLOOR, MarketModel


def _quantize(price: float) -> float:
    return max(round(price / 1e-8) * 1e-8, 1e-8)


def run_reference(params: CascadeParams, book: Book, market: MarketModel, rng: np.random.Generator, n_paths: int,
                  n_steps: int) -> CascadeOutcome:
    """The scalar twin of :func:`~protocol_model.sim.cascade.run_cascade` (same arguments, same rules, same
    price stream): per-path metrics, bad debt (paths, assets) and every liquidation event; no series.
    Pure Python, one path and position at a time: for checking the vectorized engine on small sizes.
    """
    stream = market.stream(rng, n_paths, np.array(params.initial_prices), n_steps)
    fundamentals = [stream.next().tolist() for _ in range(n_steps)]  # [step][path][asset]
    supplied = deposits(params, book).tolist()
    results = [_one_path(params, book, [f[p] for f in fundamentals], supplied) for p in range(n_paths)]
    per_path = {k: np.array([r[0][k] for r in results]) for k in PATH_FIELDS}
    events = [(p, *e) for p, r in enumerate(results) for e in r[2]]
    per_asset = {k: np.array([r[3][k] for r in results]) for k in ASSET_FIELDS}
    return CascadeOutcome(per_path, np.array([r[1] for r in results]), {}, events, per_asset)


def _one_path(params: CascadeParams, book: Book, fundamentals: list[list[float]], supplied: list[float]):
    assets, K = params.assets, len(params.assets)
    keeper = params.liquidators
    lag = params.oracle
    cf, fchf = params.close_factor_bps / 1e4, params.full_close_hf_bps / 1e4
    dense = book.dense(K)
    coll, debt = dense[0].tolist(), dense[1].tolist()  # [position][asset] scaled balances (indices 1 at step 0)
    lts = [a.liquidation_threshold_bps / 1e4 for a in assets]
    par = params.redeem_par.tolist()
    accrues = params.accrues
    rule = rule_for(params.rules)  # a preset's liquidation rule (None: the generic pool's, below)
    bidx, sidx = [1.0] * K, [1.0] * K  # borrow / supply index per asset (sim.interest)
    sdebt, ssup = [0.0] * K, list(supplied)  # total scaled debt / supply
    for i in range(len(coll)):
        for k in range(K):
            sdebt[k] += debt[i][k]
            ssup[k] += coll[i][k]
    p0 = [a.price_usd for a in assets]
    market = list(p0)
    history = [list(p0)]  # market prices by step
    oracle = [_quantize(p) for p in p0]
    since = [0] * K
    disloc = [1.0] * K
    reserves = [a.reserves_tokens for a in assets]
    res = dict.fromkeys(PATH_FIELDS, 0.0)
    bad_tokens = [0.0] * K
    events = []
    by_coll = {k: [0.0] * K for k in ASSET_FIELDS}
    low_market, low_fund = list(p0), list(p0)

    def hf(i):  # LendingPool._liquidationValues: Σ collateral value × threshold ÷ Σ debt value, the engine's
        # rounding (sim.multi_collateral): per asset in order, balance × (price × threshold × index)
        adj = sum(coll[i][k] * (oracle[k] * lts[k] * sidx[k]) for k in range(K))
        return adj / sum(debt[i][k] * (oracle[k] * bidx[k]) for k in range(K))

    def indebted(i):
        return any(x > 0 for x in debt[i])

    def largest(amounts, index):  # the exact keeper's choice: largest value, ties the first listed asset
        return max(range(K), key=lambda k: amounts[k] * index[k] * oracle[k])

    def accrue(k):  # kinked_rate_model.accrue over one step
        curve = assets[k].rate
        if curve.is_zero or sdebt[k] == 0:
            return
        owed, supply = sdebt[k] * bidx[k], ssup[k] * sidx[k]
        u = min(owed / supply, 1.0) if supply > 0 else 1.0
        bidx[k] *= 1.0 + float(curve.per_second(np.float64(u))) * params.step_seconds
        interest = sdebt[k] * bidx[k] - owed
        to_res = interest * (curve.reserve_factor_bps / 1e4) if ssup[k] > 0 else interest
        if ssup[k] > 0:
            sidx[k] += (interest - to_res) / ssup[k]
        reserves[k] += to_res

    min_hf = min([hf(i) for i in range(len(coll)) if indebted(i)], default=math.inf)
    for t, fund in enumerate(fundamentals, start=1):
        for k in range(K):
            low_fund[k] = min(low_fund[k], fund[k])
            disloc[k] = disloc[k] ** (1.0 - params.arb_recovery)
            market[k] = fund[k] * disloc[k]
        history.append(list(market))
        seen = history[max(t - lag.delay_steps, 0)]
        for k in range(K):
            since[k] += 1
            if abs(seen[k] / oracle[k] - 1.0) >= lag.deviation_bps / 1e4 or since[k] >= lag.heartbeat_steps:
                oracle[k], since[k] = _quantize(seen[k]), 0
        if accrues:
            for k in range(K):
                accrue(k)
        fees, bads, sold, cost = [0.0] * K, [0.0] * K, [0.0] * K, 0.0
        liquidatable = [i for i in range(len(coll)) if indebted(i) and hf(i) < 1.0]
        min_hf = min([min_hf] + [hf(i) for i in range(len(coll)) if indebted(i)])
        capital, stopped, made = keeper.capital_usd, False, 0
        for i in liquidatable:
            c, d = largest(coll[i], sidx), largest(debt[i], bidx)
            b1 = 1.0 + assets[c].liquidation_bonus_bps / 1e4
            h = hf(i)
            if h >= fchf:  # the bonus capped at lt·(1 + bonus) <= HF (docs/SPEC.md §5.6, in bps)
                b1 = min(b1, max(1.0, math.floor(h / (assets[c].liquidation_threshold_bps / 1e4) * 1e4) / 1e4))
            C, D = coll[i][c] * sidx[c], debt[i][d] * bidx[d]
            repaid = D if h < fchf else D * cf
            seized = repaid * oracle[d] / oracle[c] * b1
            bad = 0.0
            if seized >= C:
                seized = C
                repaid = min(C / b1 * oracle[c] / oracle[d], D)
            if rule is not None:  # a preset's close factor, incentive and seize-all replace the generic amounts
                repaid, seized, b1 = rule.amount_one(C, D, oracle[c], oracle[d], assets[c].liquidation_threshold_bps
                                                     / 1e4, 1.0 + assets[c].liquidation_bonus_bps / 1e4)
            fee = (seized - seized / b1) * (assets[c].liquidation_protocol_fee_bps / 1e4)
            if keeper.filters_profit or keeper.limited:  # the keeper's economics (config.Liquidators)
                if (seized - fee) * oracle[c] - repaid * oracle[d] - keeper.gas_usd < keeper.min_profit_usd:
                    continue
                if stopped:
                    continue
                if repaid * oracle[d] > capital:
                    stopped = True
                    continue
                capital -= repaid * oracle[d]
            made += 1
            C -= seized
            D -= repaid
            coll[i][c] = C / sidx[c]
            written = []  # no collateral left in any asset: every debt is written off (_writeOffBadDebt)
            if C == 0.0 and not any(coll[i]):
                bad, D = D, 0.0
                written = [(k, debt[i][k] * bidx[k]) for k in range(K) if k != d and debt[i][k] > 0]
                for k, amount in written:
                    debt[i][k] = 0.0
                    sdebt[k] -= amount / bidx[k]
                    bads[k] += amount
                    by_coll["bad_debt_by_collateral_usd"][c] += amount * oracle[k]
            debt[i][d] = D / bidx[d]
            sdebt[d] -= (repaid + bad) / bidx[d]
            ssup[c] -= seized / sidx[c]
            fees[c] += fee
            bads[d] += bad
            sold[c] += seized - fee
            cost += repaid * market[d]
            res["liquidation_count"] += 1
            res["liquidation_volume_usd"] += repaid * oracle[d]
            by_coll["liquidation_volume_by_collateral_usd"][c] += repaid * oracle[d]
            by_coll["bad_debt_by_collateral_usd"][c] += bad * oracle[d]
            res["bad_debt_count"] += bad + sum(x for _, x in written) > 0
            events.append((t, i, repaid, seized, fee, bad))
            events += [(t, i, 0.0, 0.0, 0.0, amount) for _, amount in written]
        proceeds = 0.0
        for k in range(K):
            reserves[k] += fees[k]
            from_res, loss = write_off(rule, reserves[k], bads[k])
            reserves[k] -= from_res
            bad_tokens[k] += bads[k]
            res["bad_debt_usd"] += bads[k] * oracle[k]
            res["reserves_used_usd"] += from_res * oracle[k]
            res["supplier_loss_usd"] += loss * oracle[k]
            if accrues and bads[k] > from_res and ssup[k] > 0:  # _writeOffBadDebt cuts the supply index
                sidx[k] = max(sidx[k] - (bads[k] - from_res) / ssup[k], 1e-27)
            depth = assets[k].amm_depth_usd
            if sold[k] > 0 and not math.isnan(par[k]):  # redeemed at par (Liquidators.redeem): no AMM sale
                res["redeemed_usd"] += sold[k] * par[k]
                proceeds += sold[k] * par[k]
            elif sold[k] > 0 and math.isfinite(depth):
                new_px, got = amm.sell(market[k], amm.liquidity(depth, p0[k]), sold[k])
                moved_to = disloc[k] * (new_px / market[k])
                if moved_to < PRICE_FLOOR:  # as the engine: never below PRICE_FLOOR of the fundamental
                    new_px, moved_to = market[k] / disloc[k] * PRICE_FLOOR, PRICE_FLOOR
                disloc[k] = moved_to
                market[k] = new_px
                proceeds += got
            else:
                proceeds += sold[k] * market[k]
            low_market[k] = min(low_market[k], market[k])
        if made:
            res["liquidator_pnl_usd"] += proceeds - cost - keeper.gas_usd * made
        res["max_amm_discount"] = max(res["max_amm_discount"], max(1.0 - x for x in disloc))
    res["min_health_factor"] = min_hf
    res["reserves_end_usd"] = sum(r * o for r, o in zip(reserves, oracle, strict=True))
    by_coll["min_market_rel"] = [lo / p for lo, p in zip(low_market, p0, strict=True)]
    by_coll["min_fundamental_rel"] = [lo / p for lo, p in zip(low_fund, p0, strict=True)]
    return res, bad_tokens, events, by_coll
