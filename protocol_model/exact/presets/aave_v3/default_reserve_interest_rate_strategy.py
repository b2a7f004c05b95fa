"""Aave's ``DefaultReserveInterestRateStrategy.calculateInterestRates`` (stable debt is always zero here)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.presets.aave_v3.errors import checked
from protocol_model.exact.presets.aave_v3.params import RAY, RateStrategyParams
from protocol_model.exact.presets.aave_v3.percentage_math import PERCENTAGE_FACTOR, percent_mul
from protocol_model.exact.presets.aave_v3.wad_ray_math import ray_div, ray_mul, wad_to_ray


@dataclass(frozen=True)
class InterestRates:
    """The three rates a reserve stores (annual, RAY)."""

    liquidity_rate: int
    stable_borrow_rate: int
    variable_borrow_rate: int


def calculate_interest_rates(s: RateStrategyParams, *, unbacked: int, a_token_balance: int, liquidity_added: int,
                             liquidity_taken: int,
                             total_stable_debt: int, total_variable_debt: int, average_stable_borrow_rate: int,
                             reserve_factor: int) -> InterestRates:
    """``calculateInterestRates``: the available liquidity is ``a_token_balance`` (the underlying the aToken
    holds) plus the liquidity added minus the liquidity taken by the action (computed only when there is
    debt; below zero or above 2**256 − 1, the debt added, Solidity's checked ``Panic(0x11)``). Usage = debt /
    (liquidity + debt) (rayDiv); below the optimal usage the variable rate is base + slope1·usage/optimal, above
    it base + slope1 + slope2·excess/(1 − optimal); the liquidity rate is the overall borrow rate × supply usage
    × (1 − RF)."""
    max_excess_usage_ratio = RAY - s.optimal_usage_ratio
    max_excess_stable_ratio = RAY - s.optimal_stable_to_total_debt_ratio
    total_debt = total_stable_debt + total_variable_debt
    variable_rate = s.base_variable_borrow_rate
    stable_rate = s.variable_rate_slope1 + s.base_stable_rate_offset
    borrow_usage = supply_usage = stable_to_total = 0
    if total_debt != 0:
        stable_to_total = ray_div(total_stable_debt, total_debt)
        available_liquidity = checked(checked(a_token_balance + liquidity_added) - liquidity_taken)
        liquidity_plus_debt = checked(available_liquidity + total_debt)
        borrow_usage = ray_div(total_debt, liquidity_plus_debt)
        supply_usage = ray_div(total_debt, checked(liquidity_plus_debt + unbacked))
    if borrow_usage > s.optimal_usage_ratio:
        excess = ray_div(borrow_usage - s.optimal_usage_ratio, max_excess_usage_ratio)
        stable_rate += s.stable_rate_slope1 + ray_mul(s.stable_rate_slope2, excess)
        variable_rate += s.variable_rate_slope1 + ray_mul(s.variable_rate_slope2, excess)
    else:
        stable_rate += ray_div(ray_mul(s.stable_rate_slope1, borrow_usage), s.optimal_usage_ratio)
        variable_rate += ray_div(ray_mul(s.variable_rate_slope1, borrow_usage), s.optimal_usage_ratio)
    if stable_to_total > s.optimal_stable_to_total_debt_ratio:
        excess_stable = ray_div(stable_to_total - s.optimal_stable_to_total_debt_ratio, max_excess_stable_ratio)
        stable_rate += ray_mul(s.stable_rate_excess_offset, excess_stable)
    overall = _overall_borrow_rate(total_stable_debt, total_variable_debt, variable_rate, average_stable_borrow_rate)
    liquidity_rate = percent_mul(ray_mul(overall, supply_usage), PERCENTAGE_FACTOR - reserve_factor)
    return InterestRates(liquidity_rate, stable_rate, variable_rate)


def _overall_borrow_rate(total_stable_debt: int, total_variable_debt: int, variable_rate: int,
                         average_stable_rate: int) -> int:
    total_debt = total_stable_debt + total_variable_debt
    if total_debt == 0:
        return 0
    weighted_variable = ray_mul(wad_to_ray(total_variable_debt), variable_rate)
    weighted_stable = ray_mul(wad_to_ray(total_stable_debt), average_stable_rate)
    return ray_div(weighted_variable + weighted_stable, wad_to_ray(total_debt))
