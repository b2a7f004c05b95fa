"""The lending twin's packed uint128 widths (docs/SPEC.md §3.3 "Widths") cannot freeze an asset: a donation lent
out against a 1-wei supply makes the suppliers' interest per scaled unit astronomic, and an accrual that would
push the supply index past 2^128 − 1 pays that interest to reserves instead of reverting (a revert there would
freeze the asset for good: every later accrual reverts, so its debt could never be repaid or liquidated, and every
account that uses it could never be liquidated). tests/chain/test_inprocess_widths.py plays the same attack on the
contract and the model side by side."""

from __future__ import annotations

import pytest

from protocol_model.exact import errors
from protocol_model.exact.lending.kinked_rate_model import accrue
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.lending.params import AssetConfig, RateParams
from protocol_model.exact.lending.pool_state import UINT128_MAX, AssetState
from protocol_model.exact.math_lib import RAY, UINT256_MAX, bps_mul_up, mul_div_down, ray_mul_up
from protocol_model.exact.oracle.price_router import Feed

T0 = 1_700_000_000
WETH_RATE = RateParams.from_annual_bps(0, 270, 8000, 8000)
WETH = AssetConfig(8000, 8250, 500, 1000, 1500)
WBTC = AssetConfig(7300, 7800, 650, 1000, 2000)
USDC = AssetConfig(8500, 8800, 400, 1000, 1000)


def inflated_pool() -> LendingPool:
    """carol supplies 1 wei of WETH (the market's only supply) and donates 1 WETH to the pool; alice borrows the
    donated WETH and 30,000 USDC against 1 WBTC: WETH's debt is 10^18 times its supply."""
    pool = LendingPool()
    for name, config, dec, answer in (("USDC", USDC, 6, 10**8), ("WETH", WETH, 18, 2_000 * 10**8),
                                      ("WBTC", WBTC, 8, 60_000 * 10**8)):
        pool.list_asset(name, WETH_RATE, config, dec, T0)
        pool.set_feed(name, Feed(answer, updated_at=None))
    led = pool.ledger
    for who, token, amount in (("bob", "USDC", 10**11), ("carol", "USDC", 10**11), ("carol", "WETH", 2 * 10**18),
                               ("alice", "WBTC", 10**8), ("alice", "WETH", 10**18)):
        led.mint(token, who, amount)
        led.approve(token, who, POOL, UINT256_MAX)
    pool.supply("bob", "USDC", 10**11, "bob", T0 + 1)
    pool.supply("carol", "WETH", 1, "carol", T0 + 2)
    led.transfer("WETH", "carol", POOL, 10**18)  # the donation: cash no supplier claims, lendable all the same
    pool.supply("alice", "WBTC", 10**8, "alice", T0 + 3)
    pool.borrow("alice", "WETH", 10**18, T0 + 4)
    pool.borrow("alice", "USDC", 30_000 * 10**6, T0 + 5)
    return pool


def test_an_accrual_that_would_overflow_the_supply_index_pays_reserves_and_the_asset_stays_live():
    """60 s after the borrow the suppliers' share of WETH's interest over one scaled wei is ~1.3e39 RAY, beyond
    uint128: the accrual keeps the supply index, adds the whole interest to reserves, and repay and liquidation
    of an account owing WETH go through (they reverted SafeCastOverflowedUintDowncast for ever before)."""
    pool = inflated_pool()
    s = pool.assets["WETH"].state
    before = AssetState(**vars(s))
    assert (before.total_scaled_supply, before.total_scaled_debt) == (1, 10**18)
    pool.accrue_all(T0 + 64)
    interest = ray_mul_up(before.total_scaled_debt, s.borrow_index_ray) - before.total_debt()
    share = interest - bps_mul_up(interest, WETH.reserve_factor_bps)
    assert before.supply_index_ray + mul_div_down(share, RAY, 1) > UINT128_MAX, "the test no longer overflows"
    assert s.supply_index_ray == before.supply_index_ray
    assert s.reserves == before.reserves + interest > 0
    assert s.borrow_index_ray > before.borrow_index_ray and s.last_update == T0 + 64

    pool.set_feed("WBTC", pool.feeds["WBTC"].pushed(40_000 * 10**8, T0 + 65))
    assert pool.health_factor("alice") < 10**18
    pool.ledger.mint("USDC", "carol", 10**9)
    liq = pool.liquidate("carol", "alice", "WBTC", "USDC", 1_000 * 10**6, T0 + 66)
    assert liq.repaid == 1_000 * 10**6 and liq.seized > 0
    assert pool.repay("alice", "WETH", UINT256_MAX, "alice", T0 + 67) > 10**18
    assert pool.scaled_debt[("WETH", "alice")] == 0 and s.total_scaled_debt == 0


def test_a_supply_index_that_fits_still_takes_the_suppliers_share():
    """The guard changes nothing below the bound: over 10 s the share fits, the index grows by it and reserves by
    the reserve factor's part only (the formula of docs/SPEC.md §3.3)."""
    pool = inflated_pool()
    s = pool.assets["WETH"].state
    before = AssetState(**vars(s))
    pool.accrue_all(T0 + 14)
    interest = ray_mul_up(before.total_scaled_debt, s.borrow_index_ray) - before.total_debt()
    to_reserves = bps_mul_up(interest, WETH.reserve_factor_bps)
    assert s.supply_index_ray == before.supply_index_ray + mul_div_down(interest - to_reserves, RAY, 1)
    assert UINT128_MAX // 10 < s.supply_index_ray <= UINT128_MAX
    assert s.reserves == before.reserves + to_reserves


def test_the_guard_is_the_twin_of_accrue_at_the_exact_bound():
    """At the bound: a share that lands the index exactly on 2^128 − 1 is taken; one RAY-unit more is not."""
    rate = RateParams(10**18, 0, 0, 8 * 10**17)  # 1e-9 per second, flat
    for extra, raised in ((0, True), (1, False)):
        s = AssetState(decimals=18, last_update=T0, total_scaled_supply=1, total_scaled_debt=10**20)
        interest = ray_mul_up(10**20, RAY + ray_mul_up(RAY, 10**18)) - 10**20
        s.supply_index_ray = UINT128_MAX - interest * RAY + extra  # reserve factor 0: the whole interest is the share
        start = s.supply_index_ray
        assert accrue(s, rate, 0, T0 + 1) == interest
        assert (s.supply_index_ray, s.reserves) == ((UINT128_MAX, 0) if raised else (start, interest))


def test_reserves_beyond_uint128_still_revert_by_name():
    """Only the supply index is guarded: reserves that would pass 2^128 − 1 still raise the contract's
    SafeCastOverflowedUintDowncast (a store the formula needs; at most 24 decimals, 2^128 base units are 3.4e14
    whole tokens: beyond any real supply)."""
    s = AssetState(decimals=24, last_update=T0, total_scaled_supply=0, total_scaled_debt=10**27,
                   reserves=UINT128_MAX)
    with pytest.raises(errors.SafeCastOverflowedUintDowncast):
        accrue(s, RateParams(10**18, 0, 0, 8 * 10**17), 0, T0 + 1)
