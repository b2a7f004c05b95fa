"""Model-only checks of the rules in docs/SPEC.md: validation, rate curve, rounding, liquidation bound."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol_model.exact import errors
from protocol_model.exact.lending.kinked_rate_model import borrow_rate_per_second_ray
from protocol_model.exact.lending.liquidation import hf_improvement_bound_wad, liquidation_amounts
from protocol_model.exact.lending.params import AssetConfig, PoolParams, RateParams
from protocol_model.exact.math_lib import BPS, RAY, WAD


@pytest.mark.parametrize("cfg,err", [
    (AssetConfig(8000, 10_000, 0, 0, 0), errors.ThresholdTooHigh),
    (AssetConfig(8500, 8000, 500, 0, 0), errors.LtvAboveThreshold),
    (AssetConfig(8000, 9600, 500, 0, 0), errors.LiquidationBonusTooHigh),
    (AssetConfig(8000, 8500, 500, 10_001, 0), errors.FeeTooHigh),
    (AssetConfig(8000, 8500, 500, 0, 10_001), errors.FeeTooHigh),
])
def test_config_rejections(cfg, err):
    with pytest.raises(err):
        cfg.validate()


def test_pool_params_and_rate_validation():
    with pytest.raises(errors.InvalidCloseFactor):
        PoolParams(0).validate()
    with pytest.raises(errors.InvalidCloseFactor):
        PoolParams(5000, WAD + 1).validate()
    with pytest.raises(errors.InvalidRateModel):
        RateParams(0, 1, 1, WAD)


def test_rate_curve_has_two_slopes():
    r = RateParams.from_annual_bps(100, 400, 30_000, 8_000)
    at = lambda u: borrow_rate_per_second_ray(r, u)  # noqa: E731
    assert at(0) == r.base_per_second_ray
    assert at(r.optimal_utilization_wad) == r.base_per_second_ray + r.slope1_per_second_ray
    assert at(WAD) == r.base_per_second_ray + r.slope1_per_second_ray + r.slope2_per_second_ray
    # slope above the kink is steeper than below it
    below = at(r.optimal_utilization_wad) - at(r.optimal_utilization_wad - WAD // 10)
    above = at(r.optimal_utilization_wad + WAD // 10) - at(r.optimal_utilization_wad)
    assert above > 10 * below


def test_annual_to_per_second_rounds_down():
    r = RateParams.from_annual_bps(0, 10_000, 0, 5_000)
    assert r.slope1_per_second_ray == RAY // 31_536_000
    assert r.slope1_per_second_ray * 31_536_000 <= RAY


@given(lt=st.integers(1, 9_000), bonus=st.integers(0, 2_000))
def test_bound_formula(lt, bonus):
    if lt * (BPS + bonus) >= BPS * BPS:
        return
    bound = hf_improvement_bound_wad(lt, bonus)
    assert bound == lt * (BPS + bonus) * WAD // BPS**2
    assert bound < WAD


def _liq(**over):
    args = dict(user_scaled_debt=12_000 * 10**6, user_scaled_coll=10 * 10**18, borrow_index_ray=RAY,
                supply_index_ray=RAY, repay_request=2**256 - 1, hf_wad=96 * WAD // 100, close_factor_bps=5_000,
                full_close_hf_wad=95 * WAD // 100, min_leftover_usd_wad=100 * WAD, liquidation_threshold_bps=8_250,
                bonus_bps=500, protocol_fee_bps=1_000,
                debt_price_wad=WAD, coll_price_wad=1_400 * WAD, debt_decimals=6, coll_decimals=18)
    args.update(over)
    return liquidation_amounts(**args)


def test_close_factor_regimes():
    half = _liq()
    assert half.repaid == 6_000 * 10**6
    # 6000 USD × 1.05 / 1400 = 4.5 WETH; each step rounds down, so a few wei under, never over
    assert 45 * 10**17 - 2 <= half.seized <= 45 * 10**17
    # fee = 10% of the bonus part (4.5 − 4.5/1.05 = 0.2142857… WETH), rounded up
    assert 21_428_571_428_571_428 - 2 <= half.protocol_fee <= 21_428_571_428_571_429 + 1
    full = _liq(hf_wad=94 * WAD // 100)
    assert full.repaid == 12_000 * 10**6 and full.scaled_repaid == 12_000 * 10**6


def test_seize_all_shrinks_repayment_against_liquidator():
    liq = _liq(coll_price_wad=500 * WAD, hf_wad=WAD // 2)
    assert liq.seized == 10 * 10**18 and liq.scaled_seized == 10 * 10**18
    # 10 WETH × 500 / 1.05 = 4761.904761904… USDC, rounded up to the unit
    assert liq.repaid == 4_761_904_762
