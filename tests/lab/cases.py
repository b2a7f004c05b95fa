"""Small deterministic lab cases shared by the engine tests and the on-chain replay."""

from __future__ import annotations

import numpy as np

from protocol_model.sim.books import synthetic_book
from protocol_model.sim.config import AssetRisk, CascadeParams, OracleLag
from protocol_model.sim.paths import Bridge, Gbm, JumpDiffusion, MarketModel

USDC = AssetRisk("USDC", 1.0, 8500, 8800, 400, 1000, 6, 5e6)
WBTC = AssetRisk("WBTC", 60_000.0, 7300, 7800, 650, 1000, 8, 2e6)
WETH = AssetRisk("WETH", 2_000.0, 8000, 8250, 500, 1000, 18, 1e6)
CORR = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.7), (0.0, 0.7, 1.0))


def crash_params(**kw) -> CascadeParams:
    return CascadeParams((USDC, WBTC, WETH), **kw)


def crash_market() -> MarketModel:
    """Daily steps, violent: WBTC jumps down, WETH at 120% vol; USDC fixed."""
    return MarketModel((Gbm(0.0), JumpDiffusion(0.8, 6.0, -0.1, 0.1), Gbm(1.2)), CORR)


def crash_book(n: int, seed: int = 1):
    return synthetic_book(np.random.default_rng(seed), crash_params(), n, collateral_weights={"WBTC": 1, "WETH": 2},
                          debt_asset="USDC", utilization_beta=(6.0, 1.5), loop_share=0.2).quantized(crash_params())


def depeg_params() -> CascadeParams:
    """USDC as collateral for WETH debt while USDC depegs to 0.87 and back (a Brownian bridge)."""
    return CascadeParams((USDC, WBTC, WETH), close_factor_bps=4000, full_close_hf_bps=9000,
                         oracle=OracleLag(delay_steps=1, deviation_bps=50, heartbeat_steps=3), arb_recovery=0.3)


def depeg_market() -> MarketModel:
    return MarketModel((Bridge(0.05, ((6, 0.87), (14, 1.0))), Gbm(0.6), Gbm(0.9)), CORR, step_seconds=3600 * 6)


def interest_params(**kw) -> CascadeParams:
    """The crash assets with interest on: USDC at 90% utilization on a steep curve (kink 80%, slope2 300%: about
    156% a year), WETH at 50% on a milder one; reserve factor 10%; WBTC is never borrowed (zero curve)."""
    from dataclasses import replace

    from protocol_model.sim.config import RateCurve
    usdc = replace(USDC, rate=RateCurve(0, 600, 30_000, 8_000, 1_000), start_utilization_bps=9_000)
    weth = replace(WETH, rate=RateCurve(100, 400, 8_000, 8_000, 1_000))
    base = dict(interest=True, step_seconds=86_400.0)
    return CascadeParams((usdc, WBTC, weth), **{**base, **kw})


def flat_market(step_seconds: float = 86_400.0) -> MarketModel:
    """No price moves at all: any liquidation is caused by interest."""
    return MarketModel((Gbm(0.0), Gbm(0.0), Gbm(0.0)), CORR, step_seconds=step_seconds)


def tight_book(n: int, seed: int = 4):
    """WBTC/WETH backing USDC debt close to the LTV (HF about 1.03 to 1.1): a few days of interest liquidates."""
    p = interest_params()
    return synthetic_book(np.random.default_rng(seed), p, n, collateral_weights={"WBTC": 1, "WETH": 2},
                          debt_asset="USDC", utilization_beta=(30.0, 1.0)).quantized(p)


def multi_book(params: CascadeParams, n_pairs: int, n_multi: int, seed: int = 7, *, utilization=(8.0, 1.3),
               kinds=None):
    """Pairs (WBTC/WETH against USDC) and cross-collateral accounts of three kinds, a third each: WBTC + WETH
    against USDC, WBTC against USDC + WETH (two debts, mostly USDC), WBTC + USDC against WETH (or ``kinds``:
    (collateral weights, debt weights, collaterals each)); amounts in token units."""
    from protocol_model.sim.books import Book, MultiPositions

    rng = np.random.default_rng(seed)
    kinds = kinds or [({"WBTC": 1, "WETH": 2}, {"USDC": 1.0}, 2), ({"WBTC": 1}, {"USDC": 4.0, "WETH": 1.0}, 1),
                      ({"WBTC": 1, "USDC": 1}, {"WETH": 1.0}, 2)]
    pairs = synthetic_book(rng, params, n_pairs, collateral_weights={"WBTC": 1, "WETH": 2}, debt_asset="USDC",
                           utilization_beta=utilization)
    parts = [synthetic_book(rng, params, n_multi // len(kinds), collateral_weights=w, debt_asset=next(iter(dw)),
                            utilization_beta=utilization, multi_collateral_share=1.0, collaterals_per_position=k,
                            multi_debt_weights=dw).multi for w, dw, k in kinds]
    multi = MultiPositions(np.vstack([m.coll for m in parts]), np.vstack([m.debt for m in parts]))
    return Book(pairs.coll_asset, pairs.debt_asset, pairs.coll_tokens, pairs.debt_tokens, multi=multi).quantized(params)


def gap_market() -> MarketModel:
    """WBTC gaps to half its price in one step, then drifts: seize-alls that leave other debts to write off."""
    return MarketModel((Gbm(0.0), Bridge(0.3, ((1, 0.5),)), Gbm(0.9)), CORR)


def four_asset_case():
    """(params, market, book): the crash assets plus DAI (borrowed only), so no written-off debt asset is also a
    collateral (the lab does not cut a collateral's supply index without interest; docs/risk_lab.md, caveats); a
    WBTC gap; 6 pairs and 9 cross-collateral accounts of three kinds, one or two debts each (USDC, DAI)."""
    params = CascadeParams((USDC, WBTC, WETH, AssetRisk("DAI", 1.0, 8500, 8800, 400, 1000, 18, 5e6)))
    corr = np.eye(4)
    corr[1, 2] = corr[2, 1] = 0.7
    market = MarketModel((*gap_market().drivers, Gbm(0.0)), tuple(map(tuple, corr)))
    book = multi_book(params, 6, 9, seed=3, kinds=[({"WBTC": 1, "WETH": 2}, {"USDC": 1.0}, 2),
                                                  ({"WBTC": 1}, {"USDC": 4.0, "DAI": 1.0}, 1),
                                                  ({"WBTC": 1, "WETH": 1}, {"DAI": 1.0, "USDC": 1.0}, 2)])
    return params, market, book
