"""The borrow-rate bound (docs/SPEC.md §3.1 "Bound"): ``KinkedRateModel``'s constructor and its twin ``RateParams``
refuse a curve whose rate at 100% utilization, ``base + slope1 + slope2``, exceeds ``MAX_BORROW_RATE_PER_SECOND_RAY``
(1,000% a year, simple) with BorrowRateTooHigh. Without it a large slope made ``base + slope1`` or ``rateRay * dt``
panic 0x11 on chain while the twin raised MathOverflow (names that diverge), and any rate that took the borrow
index past 2^128 − 1 within a realistic time froze the asset on both twins. tests/chain/test_inprocess_rate_bounds.py
and tests/mutation/test_boundaries.py check the same bound on the contract."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from protocol_model.exact import errors
from protocol_model.exact.lending.kinked_rate_model import accrue, borrow_rate_per_second_ray
from protocol_model.exact.lending.params import (
    MAX_BORROW_RATE_BPS,
    MAX_BORROW_RATE_PER_SECOND_RAY,
    SECONDS_PER_YEAR,
    RateParams,
)
from protocol_model.exact.lending.pool_state import UINT128_MAX, AssetState
from protocol_model.exact.math_lib import BPS, RAY, UINT256_MAX, WAD, ray_mul_up

MAX = MAX_BORROW_RATE_PER_SECOND_RAY
OPT = 8 * WAD // 10
INDEX_YEARS = 2.5
"""Years of 100% utilization at the bound, accrued every second, that the borrow index survives from RAY."""


def test_the_bound_is_1000_percent_a_year_per_second_in_ray():
    """1,000% a year (Aave v3's MAX_BORROW_RATE; Morpho's AdaptiveCurveIrm tops out at 800%), simple, per second
    in RAY, rounded down like every deployed rate (``RateParams.from_annual_bps``)."""
    assert MAX_BORROW_RATE_BPS == 100_000
    assert MAX == 10 * RAY // SECONDS_PER_YEAR == 317_097_919_837_645_865_043
    assert RateParams.from_annual_bps(0, 0, MAX_BORROW_RATE_BPS, 8_000).slope2_per_second_ray == MAX


@pytest.mark.parametrize("split", [(1, 0, 0), (0, 1, 0), (0, 0, 1)], ids=["base", "slope1", "slope2"])
def test_each_term_may_reach_the_bound_and_not_one_unit_past_it(split):
    """The whole bound in any one term is a valid curve; one RAY-unit more raises BorrowRateTooHigh."""
    at_bound = [MAX * k for k in split]
    assert RateParams(*at_bound, OPT).base_per_second_ray == at_bound[0]
    with pytest.raises(errors.BorrowRateTooHigh):
        RateParams(*(x + k for x, k in zip(at_bound, split, strict=True)), OPT)


def test_the_sum_is_bounded_not_only_each_term():
    """Three terms each under the bound whose sum (the rate at 100% utilization) passes it by one unit."""
    third = MAX // 3
    ok = RateParams(third, third, MAX - 2 * third, OPT)
    assert borrow_rate_per_second_ray(ok, WAD) == MAX
    with pytest.raises(errors.BorrowRateTooHigh):
        RateParams(third, third, MAX - 2 * third + 1, OPT)


def test_huge_terms_raise_the_named_error_not_an_overflow():
    """Terms whose sum overflowed uint256 (Panic 0x11 in the contract's rate function) are refused by name."""
    for terms in ((UINT256_MAX, 0, 0), (0, UINT256_MAX, 1), (1, 1, UINT256_MAX), (UINT256_MAX,) * 3):
        with pytest.raises(errors.BorrowRateTooHigh):
            RateParams(*terms, OPT)


def test_the_kink_is_checked_first():
    """Same order as the constructor: an invalid kink raises InvalidRateModel even with an over-bound rate."""
    for opt in (0, WAD):
        with pytest.raises(errors.InvalidRateModel):
            RateParams(MAX + 1, 0, 0, opt)


def test_negative_terms_are_not_uint256():
    """The contract takes uint256: a negative term is a ValueError naming it, not a curve."""
    with pytest.raises(ValueError, match="slope1_per_second_ray"):
        RateParams(MAX, -1, 0, OPT)


@given(base=st.integers(0, MAX), s1=st.integers(0, MAX), s2=st.integers(0, MAX), opt=st.integers(1, WAD - 1),
       u=st.integers(0, WAD))
@example(base=MAX, s1=0, s2=0, opt=OPT, u=WAD)  # at the bound: accepted
@example(base=MAX, s1=1, s2=0, opt=OPT, u=WAD)  # one unit past it in each term: refused
@example(base=0, s1=MAX, s2=1, opt=OPT, u=WAD)
@example(base=1, s1=0, s2=MAX, opt=OPT, u=WAD)
@example(base=MAX // 3, s1=MAX // 3, s2=MAX // 3 + MAX // 4, opt=OPT, u=WAD)  # a quarter past: a coarse bound is caught
def test_an_accepted_curve_never_charges_more_than_the_bound(base, s1, s2, opt, u):
    """Property: a curve either raises BorrowRateTooHigh (rate at 100% above the bound) or charges at most the bound
    at every utilization in [0, 100%] (the rate is non-decreasing in utilization, largest at 100%)."""
    if base + s1 + s2 > MAX:
        with pytest.raises(errors.BorrowRateTooHigh):
            RateParams(base, s1, s2, opt)
        return
    rate = RateParams(base, s1, s2, opt)
    assert borrow_rate_per_second_ray(rate, u) <= borrow_rate_per_second_ray(rate, WAD) <= MAX


def test_rate_times_dt_fits_for_any_40_bit_dt():
    """``lastUpdate`` is a uint40, so dt < 2^40: ``rateRay * dt`` < 2^109 and the accrual's
    ``borrowIndex · rateRay · dt`` < 2^237, within uint256 even at a borrow index of 2^128 − 1."""
    assert MAX * (2**40 - 1) < 2**109
    assert UINT128_MAX * MAX * (2**40 - 1) < 2**237 <= UINT256_MAX
    assert ray_mul_up(UINT128_MAX, MAX * (2**40 - 1)) > UINT128_MAX  # computed, not overflowed (then SafeCast)


def test_the_borrow_index_survives_years_at_the_bound_compounded_every_second():
    """Worst case for the index: 100% utilization at the bound, accrued every second (compounding at each touch).
    ``BI' = BI + ⌈BI·r/RAY⌉ ≤ BI·q + 1`` with ``q = 1 + r/RAY``, so after n seconds ``BI ≤ (RAY + n)·qⁿ``; that
    stays below 2^128 for ``INDEX_YEARS`` (the exact limit is ln(2^128/RAY)/10 ≈ 2.65 years)."""
    n = int(INDEX_YEARS * SECONDS_PER_YEAR)
    log_bound = math.log(RAY + n) + n * math.log1p(MAX / RAY)
    assert log_bound < math.log(UINT128_MAX) - 1  # a margin far beyond float error
    limit_years = math.log(UINT128_MAX / RAY) / math.log1p(MAX / RAY) / SECONDS_PER_YEAR
    assert INDEX_YEARS < limit_years < 2.7


def test_the_twin_accrues_daily_at_the_bound_for_the_stated_years():
    """The exact ``accrue`` at the bound and 100% utilization (no supply), once a day for ``INDEX_YEARS``: the
    borrow index grows by e^~25 and stays a uint128 (no SafeCastOverflowedUintDowncast, no MathOverflow)."""
    rate = RateParams(0, 0, MAX, OPT)
    s = AssetState(decimals=18, last_update=0, total_scaled_supply=0, total_scaled_debt=10**18)
    days = int(INDEX_YEARS * 365)
    for day in range(1, days + 1):
        accrue(s, rate, 0, day * 86_400)
    assert RAY * 10**10 < s.borrow_index_ray <= UINT128_MAX


def test_protocol_file_rates_up_to_the_bound_validate_and_one_bps_more_does_not():
    """``RateSpec`` (protocol files): base + slope1 + slope2 of exactly 1,000% validates (each term rounded down
    per second stays within the bound); 1,000.01% is refused naming the rule."""
    from pydantic import ValidationError

    from protocol_model.scenario.params import RateSpec

    spec = RateSpec.model_validate({"base": "100%", "slope1": "400%", "slope2": "500%", "optimal_utilization": "80%"})
    assert borrow_rate_per_second_ray(spec.params(), WAD) <= MAX
    with pytest.raises(ValidationError, match="1000%"):
        RateSpec.model_validate({"base": "100%", "slope1": "400%", "slope2": "500.01%", "optimal_utilization": "80%"})
    with pytest.raises(ValidationError):
        RateSpec.model_validate({"slope2": MAX_BORROW_RATE_BPS + 1})
    assert BPS * 10 == MAX_BORROW_RATE_BPS
