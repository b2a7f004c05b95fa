"""Admin-set values the lending twin refuses because their later arithmetic would not fit the contract's widths
(docs/SPEC.md §3.3 "Widths", §3.6): a token of more than ``MAX_DECIMALS`` = 24 decimals (its reserves and totals
are uint128 base units: 340 whole tokens at 36 decimals, which interest alone outgrows, then every accrual reverts
and the asset is frozen) and a ``minLeftoverUsdWad`` above ``MAX_MIN_LEFTOVER_USD_WAD`` (the liquidation's
``_minLeftover() * BPS`` overflows uint256: Panic(0x11) on chain while Python computes on).
tests/chain/test_inprocess_widths.py and tests/mutation/test_boundaries.py check the same bounds on the contract."""

from __future__ import annotations

import pytest

from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import LendingPool
from protocol_model.exact.lending.liquidation import liquidation_amounts
from protocol_model.exact.lending.params import MAX_MIN_LEFTOVER_USD_WAD, AssetConfig, PoolParams, RateParams
from protocol_model.exact.lending.pool_state import MAX_DECIMALS, UINT128_MAX
from protocol_model.exact.math_lib import BPS, RAY, UINT256_MAX, WAD

RATE = RateParams.from_annual_bps(0, 400, 30_000, 8_000)
CONFIG = AssetConfig(8000, 8250, 500, 1000, 1000)


def test_listing_takes_at_most_24_decimals():
    """24 decimals list; 25 raise InvalidDecimals and leave the pool as it was (the contract's ``listAsset``)."""
    assert MAX_DECIMALS == 24
    pool = LendingPool()
    pool.list_asset("D24", RATE, CONFIG, MAX_DECIMALS, 0)
    assert pool.assets["D24"].state.decimals == 24
    for decimals in (MAX_DECIMALS + 1, 36):
        with pytest.raises(errors.InvalidDecimals):
            pool.list_asset(f"D{decimals}", RATE, CONFIG, decimals, 0)
    assert list(pool.assets) == ["D24"]


def test_uint128_base_units_at_24_decimals_are_far_beyond_any_supply():
    """The reason for the bound: 2^128 base units are 3.4e14 whole tokens at 24 decimals (more than any real
    token's supply) but only 340 at 36 (a reserve a 36-decimal market outgrows from interest)."""
    assert UINT128_MAX // 10**MAX_DECIMALS > 3 * 10**14
    assert UINT128_MAX // 10**36 == 340


def test_min_leftover_bound_is_where_the_dust_product_overflows():
    """``MAX_MIN_LEFTOVER_USD_WAD`` is the largest value whose ``· BPS`` fits uint256: it validates, one more raises
    InvalidMinLeftover (``setMinLeftover``), checked after the close factor (``setCloseFactor`` is sent first)."""
    assert MAX_MIN_LEFTOVER_USD_WAD * BPS <= UINT256_MAX < (MAX_MIN_LEFTOVER_USD_WAD + 1) * BPS
    assert PoolParams(min_leftover_usd_wad=MAX_MIN_LEFTOVER_USD_WAD).validate().min_leftover_usd_wad \
        == MAX_MIN_LEFTOVER_USD_WAD
    with pytest.raises(errors.InvalidMinLeftover):
        PoolParams(min_leftover_usd_wad=MAX_MIN_LEFTOVER_USD_WAD + 1).validate()
    with pytest.raises(errors.InvalidCloseFactor):
        PoolParams(close_factor_bps=0, min_leftover_usd_wad=MAX_MIN_LEFTOVER_USD_WAD + 1).validate()


def test_set_close_factor_refuses_the_value_and_keeps_the_old_one():
    """The pool's setter twin refuses a minimum past the bound atomically: the parameters stay as they were."""
    pool = LendingPool()
    before = pool.params
    with pytest.raises(errors.InvalidMinLeftover):
        pool.set_close_factor(PoolParams(min_leftover_usd_wad=MAX_MIN_LEFTOVER_USD_WAD + 1))
    assert pool.params == before
    pool.set_close_factor(PoolParams(min_leftover_usd_wad=MAX_MIN_LEFTOVER_USD_WAD))
    assert pool.params.min_leftover_usd_wad == MAX_MIN_LEFTOVER_USD_WAD


def test_a_liquidation_at_the_bound_closes_the_whole_debt():
    """At the largest minimum every debt is dust: the close factor is lifted and the whole debt repaid (the
    contract computes ``_minLeftover() * BPS`` without overflow there)."""
    amounts = liquidation_amounts(
        user_scaled_debt=1_000 * 10**6, user_scaled_coll=2 * WAD, borrow_index_ray=RAY, supply_index_ray=RAY,
        repay_request=UINT256_MAX, hf_wad=WAD - 1, close_factor_bps=5_000, full_close_hf_wad=0,
        min_leftover_usd_wad=MAX_MIN_LEFTOVER_USD_WAD, liquidation_threshold_bps=8250, bonus_bps=500,
        protocol_fee_bps=1000, debt_price_wad=WAD, coll_price_wad=2_000 * WAD, debt_decimals=6, coll_decimals=18)
    assert amounts.repaid == amounts.debt == 1_000 * 10**6
