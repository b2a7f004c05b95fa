"""Aave's ``MathUtils``: linear interest for the liquidity index, the three-term binomial approximation of
compounded interest for the variable borrow index. Rates are annual in RAY, a year is 365 days."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3.wad_ray_math import RAY, ray_mul

SECONDS_PER_YEAR = 365 * 24 * 3600


def calculate_linear_interest(rate: int, last_update_timestamp: int, now: int) -> int:
    """``calculateLinearInterest``: RAY + rate·Δt / year (rounded down), as a RAY factor."""
    return RAY + rate * (now - last_update_timestamp) // SECONDS_PER_YEAR


def calculate_compounded_interest(rate: int, last_update_timestamp: int, now: int) -> int:
    """``calculateCompoundedInterest``: RAY + r·n + n(n−1)/2·r² + n(n−1)(n−2)/6·r³ with r = rate/year
    per second, n = Δt seconds; each power rounds as the library does (rayMul half up, then division down)."""
    exp = now - last_update_timestamp
    if exp == 0:
        return RAY
    exp_minus_one = exp - 1
    exp_minus_two = exp - 2 if exp > 2 else 0
    base_power_two = ray_mul(rate, rate) // (SECONDS_PER_YEAR * SECONDS_PER_YEAR)
    base_power_three = ray_mul(base_power_two, rate) // SECONDS_PER_YEAR
    second_term = exp * exp_minus_one * base_power_two // 2
    third_term = exp * exp_minus_one * exp_minus_two * base_power_three // 6
    return RAY + rate * exp // SECONDS_PER_YEAR + second_term + third_term
