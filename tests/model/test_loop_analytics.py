"""Loop analytics (protocol_model/loops.py) against the exact engine (pool + Uniswap V2 pair + Looper).

Each closed form is derived on paper (see the module docstring and docs/loops.md); the engine runs the
same loop in integers on a pair so deep that price impact is negligible, so only the 0.3% fee, rounding
and the Looper's 4-unit margin separate the two.
"""

from __future__ import annotations

import math

import pytest

from protocol_model.analytics.loops import (
    V2_FEE,
    flash_loop_shape,
    leverage_after_rounds,
    liquidating_price_move,
    liquidation_price,
    loop_shape,
    max_flash_leverage,
    max_leverage,
    max_loop_health_factor,
    net_yield,
    swap_cost,
    unwind_cost,
)
from protocol_model.exact import errors
from protocol_model.exact.amm.uniswap_v2_pair import V2Pair
from protocol_model.exact.lending.kinked_rate_model import borrow_rate_per_second_ray, utilization_wad
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.lending.params import SECONDS_PER_YEAR, AssetConfig, RateParams
from protocol_model.exact.math_lib import BPS, RAY, UINT256_MAX, WAD
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.strategies.looper import LOOPER, Looper

T0 = 1_700_000_000
LTV, LT = 0.80, 0.825
EQUITY = 10 * 10**18  # 10 WETH
DEEP_WETH = 10**9 * 10**18  # a billion WETH against 2 trillion USDC: impact ~1e-8 per round


def world(weth_reserve: int = DEEP_WETH, fee_bps: int = 0) -> Looper:
    pool = LendingPool()
    pool.list_asset("USDC", RateParams.from_annual_bps(0, 600, 6000, 9000), AssetConfig(8500, 8800, 400, 1000, 1000),
                    6, T0)
    pool.list_asset("WETH", RateParams.from_annual_bps(0, 270, 8000, 8000), AssetConfig(8000, 8250, 500, 1000, 1500),
                    18, T0)
    pool.set_feed("USDC", Feed(10**8))
    pool.set_feed("WETH", Feed(2000 * 10**8))
    pool.set_flash_loan_fee(fee_bps)
    led = pool.ledger
    usdc_reserve = weth_reserve * 2000 // 10**12
    pair = V2Pair("pair", "WETH", "USDC", led)
    led.mint("WETH", "pair", weth_reserve)
    led.mint("USDC", "pair", usdc_reserve)
    pair.mint("lp", T0)
    led.mint("USDC", "bob", 10**15 * 10**6)
    led.approve("USDC", "bob", POOL, UINT256_MAX)
    pool.supply("bob", "USDC", 10**15 * 10**6, "bob", T0)
    led.mint("WETH", "alice", EQUITY)
    led.approve("WETH", "alice", LOOPER, UINT256_MAX)
    pool.set_authorization("alice", LOOPER, True)
    return Looper(pool, {frozenset(("WETH", "USDC")): pair})


def position(looper: Looper) -> tuple[float, float]:
    """(collateral value, debt value) of alice in units of her equity, at oracle prices."""
    p = looper.pool
    coll = p.supply_balance("WETH", "alice") / EQUITY
    debt = p.debt_balance("USDC", "alice") / 10**6 / 2000 / (EQUITY / 10**18)
    return coll, debt


def test_closed_forms_agree_with_each_other():
    assert leverage_after_rounds(0.8, 0) == 1
    assert leverage_after_rounds(0.8, 2) == pytest.approx(1 + 0.8 + 0.64)
    assert loop_shape(0.8, 7).collateral == pytest.approx(leverage_after_rounds(0.8, 7))
    assert leverage_after_rounds(0.8, 500) == pytest.approx(max_leverage(0.8)) == pytest.approx(5)
    assert max_flash_leverage(0.8) == pytest.approx(5)
    assert loop_shape(0.8, 500, 0.01).health_factor(0.825) == pytest.approx(max_loop_health_factor(0.8, 0.825))
    assert liquidating_price_move(0.825 / 0.8) == pytest.approx(1 - 0.8 / 0.825)  # 3.03%
    assert net_yield(0.02, 0.05, 3) == pytest.approx(0.06 - 0.10)


@pytest.mark.parametrize("rounds", [1, 3, 5, 10, 20])
def test_iterative_leverage_matches_geometric_series(rounds):
    looper = world()
    opened = looper.open_iterative("alice", "WETH", "USDC", EQUITY, rounds, BPS, 50, T0 + 1)
    assert opened.rounds == rounds
    coll, debt = position(looper)
    expected = loop_shape(LTV, rounds, V2_FEE)
    assert coll == pytest.approx(expected.collateral, rel=1e-6)
    assert debt == pytest.approx(expected.debt, rel=1e-6)
    # the fee-free formula of the issue overstates the engine by the fee's compounding only
    assert coll < leverage_after_rounds(LTV, rounds) or rounds == 0
    hf = looper.pool.health_factor("alice") / WAD
    assert hf == pytest.approx(expected.health_factor(LT), rel=1e-6)


def test_max_loop_health_factor_is_threshold_over_ltv():
    looper = world()
    looper.open_iterative("alice", "WETH", "USDC", EQUITY, 20, BPS, 50, T0 + 1)
    hf = looper.pool.health_factor("alice") / WAD
    q = LTV * (1 - V2_FEE)
    assert hf == pytest.approx(LT / LTV * (1 - q**21) / (1 - q**20), rel=1e-6)
    assert hf == pytest.approx(max_loop_health_factor(LTV, LT), rel=0.003)


def test_the_price_move_that_liquidates_a_loop():
    looper = world()
    looper.open_iterative("alice", "WETH", "USDC", EQUITY, 20, BPS, 50, T0 + 1)
    pool = looper.pool
    hf = pool.health_factor("alice") / WAD
    move = liquidating_price_move(hf)
    coll_units = pool.supply_balance("WETH", "alice") / 10**18
    debt_usd = pool.debt_balance("USDC", "alice") / 10**6
    p_liq = liquidation_price(coll_units, debt_usd, LT)
    assert p_liq == pytest.approx(2000 * (1 - move), rel=1e-9)
    for price, healthy in ((p_liq * 1.0001, True), (p_liq * 0.9999, False)):
        pool.set_feed("WETH", Feed(round(price * 10**8)))
        assert (pool.health_factor("alice") >= WAD) is healthy, price
    # and a liquidator can act exactly then
    pool.ledger.mint("USDC", "carol", 10**12)
    pool.ledger.approve("USDC", "carol", POOL, UINT256_MAX)
    pool.liquidate("carol", "alice", "WETH", "USDC", UINT256_MAX, T0 + 2)


@pytest.mark.parametrize("leverage_bps", [20_000, 30_000, 45_000])
def test_flash_loop_shape(leverage_bps):
    looper = world(fee_bps=9)
    looper.open_with_flash_loan("alice", "WETH", "USDC", EQUITY, leverage_bps, 50, T0 + 1)
    coll, debt = position(looper)
    expected = flash_loop_shape(leverage_bps / BPS, V2_FEE, 0.0009)
    assert coll == pytest.approx(expected.collateral, rel=1e-9)
    assert debt == pytest.approx(expected.debt, rel=1e-6)


def test_flash_loop_ceiling():
    ceiling = max_flash_leverage(LTV, V2_FEE, 0.0009)  # 4.913...
    below, above = math.floor(ceiling * 100 - 1) * 100, math.ceil(ceiling * 100 + 1) * 100
    looper = world(fee_bps=9)
    looper.open_with_flash_loan("alice", "WETH", "USDC", EQUITY, below, 50, T0 + 1)
    looper = world(fee_bps=9)
    with pytest.raises(errors.InsufficientCollateral):
        looper.open_with_flash_loan("alice", "WETH", "USDC", EQUITY, above, 50, T0 + 1)
    assert max_flash_leverage(LTV) == pytest.approx(max_leverage(LTV))


def test_net_yield_over_a_year():
    looper = world()
    looper.open_iterative("alice", "WETH", "USDC", EQUITY, 10, BPS, 50, T0 + 1)
    pool = looper.pool
    # someone borrows WETH so that WETH suppliers earn: bob posts USDC, borrows 30% of WETH supply
    weth_supply = pool.assets["WETH"].state.total_supply()
    pool.borrow("bob", "WETH", weth_supply * 3 // 10, T0 + 2)
    coll0, debt0 = position(looper)
    rates = {}
    for asset in ("WETH", "USDC"):
        listed = pool.assets[asset]
        u = utilization_wad(listed.state)
        borrow = borrow_rate_per_second_ray(listed.rate, u) * SECONDS_PER_YEAR / RAY
        supply = borrow * u / WAD * (1 - listed.config.reserve_factor_bps / BPS)
        rates[asset] = (supply, borrow)
    pool.accrue_all(T0 + 2 + SECONDS_PER_YEAR)
    coll1, debt1 = position(looper)
    equity0 = coll0 - debt0
    realised = ((coll1 - debt1) - equity0) / equity0
    predicted = net_yield(rates["WETH"][0], rates["USDC"][1], coll0 / equity0, debt0 / equity0)
    assert realised == pytest.approx(predicted, rel=1e-4)


def test_swap_cost_is_fee_plus_impact():
    x, y = 1000 * 10**18, 2_000_000 * 10**6
    for a in (10**15, 10**18, 50 * 10**18):
        closed = 1 - 0.997 * x / (x + 0.997 * a)
        out_units = a * y / x  # the output is floored to a whole unit: at most 1/out_units of its value
        assert swap_cost(a, x, y) == pytest.approx(closed, abs=1 / out_units + 1e-12)
    assert swap_cost(10**15, x, y) == pytest.approx(V2_FEE, rel=1e-3)


def test_unwind_returns_equity_less_unwind_cost():
    looper = world(weth_reserve=400_000 * 10**18)  # shallow enough for size to matter, deep enough for 50 bps
    looper.open_iterative("alice", "WETH", "USDC", EQUITY, 5, BPS, 50, T0 + 1)
    pool, pair = looper.pool, looper.pairs[frozenset(("WETH", "USDC"))]
    coll = pool.supply_balance("WETH", "alice")
    debt = pool.debt_balance("USDC", "alice")
    cost = unwind_cost(debt, pair.reserve0, pair.reserve1)
    mid_value_of_debt = debt * pair.reserve0 // pair.reserve1
    out = looper.unwind("alice", "WETH", "USDC", BPS, 50, T0 + 1)
    assert out.returned == coll - mid_value_of_debt - cost
    assert pool.ledger.balance("WETH", "alice") == out.returned
    assert pool.debt_balance("USDC", "alice") == 0 and pool.supply_balance("WETH", "alice") == 0
    assert pool.ledger.balance("WETH", LOOPER) == pool.ledger.balance("USDC", LOOPER) == 0
