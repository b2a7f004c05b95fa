"""Aave's ``ReserveLogic``: the reserve cache, ``updateState`` (indexes, then the treasury's share of the
interest), ``updateInterestRates`` and the normalized income / debt read by views."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.aave_v3.default_reserve_interest_rate_strategy import calculate_interest_rates
from protocol_model.exact.presets.aave_v3.math_utils import (
    calculate_compounded_interest,
    calculate_linear_interest,
)
from protocol_model.exact.presets.aave_v3.percentage_math import percent_mul
from protocol_model.exact.presets.aave_v3.state import ReserveData
from protocol_model.exact.presets.aave_v3.wad_ray_math import ray_div, ray_mul


@dataclass
class ReserveCache:
    """``DataTypes.ReserveCache`` (the stable-debt fields are always zero: stable borrowing is disabled)."""

    reserve_factor: int
    curr_liquidity_index: int
    next_liquidity_index: int
    curr_variable_borrow_index: int
    next_variable_borrow_index: int
    curr_liquidity_rate: int
    curr_variable_borrow_rate: int
    reserve_last_update_timestamp: int
    curr_scaled_variable_debt: int
    next_scaled_variable_debt: int


def cache(reserve: ReserveData) -> ReserveCache:
    """``cache``: a snapshot of the reserve's indexes, rates, time and scaled variable debt."""
    return ReserveCache(reserve.reserve_factor, reserve.liquidity_index, reserve.liquidity_index,
                        reserve.variable_borrow_index, reserve.variable_borrow_index,
                        reserve.current_liquidity_rate, reserve.current_variable_borrow_rate,
                        reserve.last_update_timestamp, reserve.variable_debt_token.total,
                        reserve.variable_debt_token.total)


def get_normalized_income(reserve: ReserveData, now: int) -> int:
    """``getNormalizedIncome``: the liquidity index as of ``now`` (linear interest since the last update)."""
    if reserve.last_update_timestamp == now:
        return reserve.liquidity_index
    return ray_mul(calculate_linear_interest(reserve.current_liquidity_rate, reserve.last_update_timestamp, now),
                   reserve.liquidity_index)


def get_normalized_debt(reserve: ReserveData, now: int) -> int:
    """``getNormalizedDebt``: the variable borrow index as of ``now`` (compounded interest)."""
    if reserve.last_update_timestamp == now:
        return reserve.variable_borrow_index
    return ray_mul(calculate_compounded_interest(reserve.current_variable_borrow_rate,
                                                 reserve.last_update_timestamp, now),
                   reserve.variable_borrow_index)


def update_state(reserve: ReserveData, c: ReserveCache, now: int) -> None:
    """``updateState``: once per block, ``_updateIndexes`` then ``_accrueToTreasury``, then the time."""
    if reserve.last_update_timestamp == now:
        return
    _update_indexes(reserve, c, now)
    _accrue_to_treasury(reserve, c)
    reserve.last_update_timestamp = now


def _update_indexes(reserve: ReserveData, c: ReserveCache, now: int) -> None:
    if c.curr_liquidity_rate != 0:
        interest = calculate_linear_interest(c.curr_liquidity_rate, c.reserve_last_update_timestamp, now)
        c.next_liquidity_index = ray_mul(interest, c.curr_liquidity_index)
        reserve.liquidity_index = c.next_liquidity_index
    if c.curr_scaled_variable_debt != 0:
        interest = calculate_compounded_interest(c.curr_variable_borrow_rate, c.reserve_last_update_timestamp, now)
        c.next_variable_borrow_index = ray_mul(interest, c.curr_variable_borrow_index)
        reserve.variable_borrow_index = c.next_variable_borrow_index


def _accrue_to_treasury(reserve: ReserveData, c: ReserveCache) -> None:
    """The reserve factor's share of the interest accrued since the last update, as scaled aTokens
    (rayDiv by the new liquidity index), added to ``accruedToTreasury``."""
    if c.reserve_factor == 0:
        return
    prev_total_variable_debt = ray_mul(c.curr_scaled_variable_debt, c.curr_variable_borrow_index)
    curr_total_variable_debt = ray_mul(c.curr_scaled_variable_debt, c.next_variable_borrow_index)
    amount_to_mint = percent_mul(curr_total_variable_debt - prev_total_variable_debt, c.reserve_factor)
    if amount_to_mint != 0:
        reserve.accrued_to_treasury += ray_div(amount_to_mint, c.next_liquidity_index)


def update_interest_rates(reserve: ReserveData, c: ReserveCache, ledger: Ledger, liquidity_added: int,
                          liquidity_taken: int) -> None:
    """``updateInterestRates``: the strategy's rates for the debt after the action (next scaled variable debt
    × next index) and the aToken's underlying balance plus ``liquidity_added`` minus ``liquidity_taken``."""
    total_variable_debt = ray_mul(c.next_scaled_variable_debt, c.next_variable_borrow_index)
    rates = calculate_interest_rates(reserve.strategy, unbacked=reserve.unbacked,
                                     a_token_balance=ledger.balance(reserve.asset, reserve.a_token.address),
                                     liquidity_added=liquidity_added, liquidity_taken=liquidity_taken,
                                     total_stable_debt=0, total_variable_debt=total_variable_debt,
                                     average_stable_borrow_rate=0, reserve_factor=c.reserve_factor)
    reserve.current_liquidity_rate = rates.liquidity_rate
    reserve.current_stable_borrow_rate = rates.stable_borrow_rate
    reserve.current_variable_borrow_rate = rates.variable_borrow_rate
