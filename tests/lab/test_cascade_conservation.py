"""Conservation and rule properties of the vectorized cascade (``sim.cascade.run_cascade``), over drawn parameters.

Rebuilt from the events alone, independently of the engine's arithmetic (no interest, default keepers: every
position below HF 1 is liquidated once a step):

* per position, collateral seized + remaining = initial and debt repaid + bad debt + remaining = initial, with
  remaining >= 0; a position written off has nothing left (all collateral seized, all debt repaid or bad);
* repaid, seized and fee are positive or zero, the fee is the protocol's share of the bonus part of the seized
  amount, bad debt is never negative;
* a liquidation happens exactly when the position's HF at the step's oracle prices is below 1 (and only then:
  an indebted position above 1 is left alone); it repays at most the close factor of the debt when its HF is at
  least the full-close HF; outside a seize-all, seized = repaid × debt price / collateral price × (1 + bonus),
  the bonus capped at HF / threshold at or above the full-close HF (docs/SPEC.md §5.6);
* every oracle, market and fundamental price is positive and finite;
* the per-path totals are the events' sums: bad debt and liquidated debt in USD at the event's oracle price,
  bad debt per asset in tokens, the counts, reserves used + supplier loss = bad debt, and the per-collateral
  splits add up to the totals.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.sim.books import synthetic_book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import OracleLag
from protocol_model.sim.paths import Gbm, JumpDiffusion, MarketModel

from .cases import CORR, crash_params

REL = 1e-9


@st.composite
def cases(draw):
    threshold = draw(st.integers(5_000, 9_000))
    bonus = draw(st.integers(0, min(2_000, 10_000 * 10_000 // threshold - 10_001)))
    weth = dict(liquidation_threshold_bps=threshold, ltv_bps=threshold - draw(st.integers(0, 500)),
                liquidation_bonus_bps=bonus, liquidation_protocol_fee_bps=draw(st.integers(0, 5_000)),
                amm_depth_usd=draw(st.sampled_from([2e5, 1e6, np.inf])), reserves_tokens=0.0)
    base = crash_params()
    usdc = replace(base.assets[0], reserves_tokens=draw(st.sampled_from([0.0, 5_000.0, 1e6])))
    params = replace(base, assets=(usdc, base.assets[1], replace(base.assets[2], **weth)),
                     close_factor_bps=draw(st.integers(1_000, 10_000)),
                     full_close_hf_bps=draw(st.integers(5_000, 10_000)))
    params = replace(params, oracle=OracleLag(draw(st.integers(0, 2)), draw(st.sampled_from([0, 50, 200])),
                                              draw(st.integers(1, 4))))
    market = MarketModel((Gbm(0.0), JumpDiffusion(0.8, 6.0, -0.1, 0.1), Gbm(draw(st.floats(0.3, 2.0)))), CORR)
    debt = draw(st.sampled_from(["USDC", "WETH"]))  # a moving debt price: USD values read the oracle, not the AMM
    weights = {"WBTC": 1, "WETH": 2} if debt == "USDC" else {"WBTC": 1, "USDC": 1}
    book = synthetic_book(np.random.default_rng(draw(st.integers(0, 50))), params, draw(st.integers(2, 14)),
                          collateral_weights=weights, debt_asset=debt, utilization_beta=(6.0, 1.5),
                          loop_share=0.2).quantized(params)
    return params, market, book, draw(st.integers(0, 2**32 - 1))


def _near(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(scale))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cases())
def test_cascade_conserves_and_follows_the_rules(case):
    params, market, book, seed = case
    n_paths, n_steps = 6, 15
    out = run_cascade(params, book, market, np.random.default_rng(seed), n_paths, n_steps, record_events=True,
                      record_series=True)
    for name in ("oracle", "market", "fundamental"):
        assert np.isfinite(out.series[name]).all() and (out.series[name] > 0).all(), name
    cf, fchf = params.close_factor_bps / 1e4, params.full_close_hf_bps / 1e4
    for p in range(n_paths):
        coll, debt = book.coll_tokens.astype(float).copy(), book.debt_tokens.astype(float).copy()
        oracle = out.series["oracle"][p]
        mine = [e for e in out.events if e[0] == p]
        bad_usd = volume_usd = 0.0
        bad_tokens = np.zeros(len(params.assets))
        for t in range(1, n_steps + 1):
            now = {e[2]: e for e in mine if e[1] == t}
            for i in range(len(book)):
                c, d = int(book.coll_asset[i]), int(book.debt_asset[i])
                if debt[i] <= 0:
                    assert i not in now, f"path {p} step {t}: position {i} without debt liquidated"
                    continue
                lt = params.assets[c].liquidation_threshold_bps / 1e4
                hf = coll[i] * oracle[t, c] * lt / (debt[i] * oracle[t, d])
                if i not in now:
                    assert hf >= 1 - 1e-12, f"path {p} step {t}: position {i} at HF {hf} not liquidated"
                    continue
                _, _, _, repaid, seized, fee, bad = now[i]
                assert hf < 1 + 1e-12, f"path {p} step {t}: position {i} liquidated at HF {hf}"
                assert repaid >= 0 and seized >= 0 and bad >= 0 and 0 <= fee <= seized * (1 + REL)
                if hf >= fchf:
                    assert repaid <= cf * debt[i] * (1 + REL) + 1e-12
                bonus = 1 + params.assets[c].liquidation_bonus_bps / 1e4
                if hf >= fchf:  # at or above the full-close line the bonus is capped at HF / lt (SPEC §5.6)
                    bonus = min(bonus, max(1.0, np.floor(hf / lt * 1e4) / 1e4))
                fee_share = params.assets[c].liquidation_protocol_fee_bps / 1e4
                assert _near(fee, (seized - seized / bonus) * fee_share, seized)  # the protocol's share of the bonus
                if seized < coll[i] * (1 - REL):  # not a seize-all: the bonus formula, no bad debt
                    assert _near(seized, repaid * oracle[t, d] / oracle[t, c] * bonus, seized) and bad == 0
                coll[i] -= seized
                debt[i] -= repaid + bad
                assert coll[i] >= -REL * book.coll_tokens[i] and debt[i] >= -REL * book.debt_tokens[i]
                if bad > 0:  # written off: nothing left
                    assert _near(coll[i], 0.0, book.coll_tokens[i]) and _near(debt[i], 0.0, book.debt_tokens[i])
                bad_usd += bad * oracle[t, d]
                volume_usd += repaid * oracle[t, d]
                bad_tokens[d] += bad
        per = {k: v[p] for k, v in out.per_path.items()}
        assert per["liquidation_count"] == len(mine) and per["bad_debt_count"] == sum(e[6] > 0 for e in mine)
        assert _near(per["bad_debt_usd"], bad_usd, bad_usd) and _near(per["liquidation_volume_usd"], volume_usd,
                                                                      volume_usd)
        np.testing.assert_allclose(out.bad_debt_tokens[p], bad_tokens, rtol=REL, atol=1e-12)
        assert _near(per["reserves_used_usd"] + per["supplier_loss_usd"], bad_usd, bad_usd)
        assert per["reserves_used_usd"] >= 0 and per["supplier_loss_usd"] >= 0
        assert _near(out.per_asset["bad_debt_by_collateral_usd"][p].sum(), bad_usd, bad_usd)
        assert _near(out.per_asset["liquidation_volume_by_collateral_usd"][p].sum(), volume_usd, volume_usd)


def test_extreme_markets_keep_prices_positive_and_both_engines_agree():
    """At the edge of what sweep axes allow — σ = 750 (75,000%/yr) on daily steps (volatility_scale 1,000 of a 75%
    driver: exp underflows to 0 in a step) and a 10^-9 USD pool — every price stays positive and finite
    (``paths.PRICE_FLOOR``: fundamental and pool prices never below 10^-12 of their reference), every per-path
    metric is finite, and the scalar reference, which applies the same floor, agrees. Without the floor a price of 0
    made 0/0 in the AMM: NaN health factors, reserves and discounts, and a sweep cell that crashed."""
    from protocol_model.sim.reference import run_reference

    base = crash_params()
    params = replace(base, assets=tuple(replace(a, amm_depth_usd=1e-9) if a.name != "USDC" else a
                                        for a in base.assets))
    market = MarketModel((Gbm(0.0), JumpDiffusion(550.0, 6.0, -0.1, 0.1), Gbm(750.0)), CORR)
    book = synthetic_book(np.random.default_rng(3), params, 12, collateral_weights={"WBTC": 1, "WETH": 2},
                          debt_asset="USDC").quantized(params)
    out = run_cascade(params, book, market, np.random.default_rng(5), 8, 12, record_series=True)
    for name in ("oracle", "market", "fundamental"):
        assert np.isfinite(out.series[name]).all() and (out.series[name] > 0).all(), name
    assert (out.series["fundamental"][:, -1, 2] < 1e-9 * 2_000).any()  # the floor was reached
    for k, v in {**out.per_path, **out.per_asset}.items():
        assert np.isfinite(v).all(), k
    ref = run_reference(params, book, market, np.random.default_rng(5), 8, 12)
    for k in ("bad_debt_usd", "liquidation_count", "liquidation_volume_usd", "max_amm_discount", "min_health_factor"):
        np.testing.assert_allclose(out.per_path[k], ref.per_path[k], rtol=1e-9, atol=1e-12, err_msg=k)
    for k, v in ref.per_asset.items():  # the pools' lowest prices sit on the floor: relative agreement, no atol
        np.testing.assert_allclose(out.per_asset[k], v, rtol=1e-9, atol=0, err_msg=k)
