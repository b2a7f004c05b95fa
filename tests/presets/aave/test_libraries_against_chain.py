"""The twin's libraries against Aave's own bytecode on the in-process chain: WadRayMath through the package's
``WadRayMathWrapper`` (half-up rounding and the overflow reverts), and
``DefaultReserveInterestRateStrategy.calculateInterestRates`` of a deployed strategy for random debts,
liquidity, flows and reserve factors (below and above the optimal usage)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.chain.aave_v3.deploy import _Backend
from protocol_model.chain.inprocess import ChainCallFailed, InProcessChain
from protocol_model.exact.presets.aave_v3 import wad_ray_math as W
from protocol_model.exact.presets.aave_v3.default_reserve_interest_rate_strategy import calculate_interest_rates
from protocol_model.exact.presets.aave_v3.errors import AaveError
from protocol_model.exact.presets.aave_v3.params import RAY, RateStrategyParams

UINT = st.one_of(st.integers(0, 10**30), st.integers(0, 2**256 - 1), st.sampled_from([0, 1, W.HALF_RAY, W.RAY]))
STRATEGY = RateStrategyParams(optimal_usage_ratio=80 * RAY // 100, base_variable_borrow_rate=RAY // 100,
                              variable_rate_slope1=4 * RAY // 100, variable_rate_slope2=75 * RAY // 100,
                              stable_rate_slope1=2 * RAY // 100, stable_rate_slope2=60 * RAY // 100,
                              base_stable_rate_offset=RAY // 100, stable_rate_excess_offset=8 * RAY // 100,
                              optimal_stable_to_total_debt_ratio=20 * RAY // 100)


@pytest.fixture(scope="module")
def chain():
    return InProcessChain()


@pytest.fixture(scope="module")
def wrapper(chain):
    return _Backend(chain).deploy("WadRayMathWrapper", sender=chain.accounts[0])


def _model(fn, a, b=None):
    try:
        return fn(a) if b is None else fn(a, b)
    except AaveError as err:
        return err.name


def _chain(chain, wrapper, method, *args):
    try:
        return chain.view(wrapper, method, *args)
    except ChainCallFailed as err:
        return str(err).rsplit(": ", 1)[-1]


@settings(max_examples=300, deadline=None)
@given(a=UINT, b=UINT)
def test_wad_ray_math_equals_the_library(chain, wrapper, a, b):
    for name, fn in (("wadMul", W.wad_mul), ("wadDiv", W.wad_div), ("rayMul", W.ray_mul), ("rayDiv", W.ray_div)):
        assert _model(fn, a, b) == _chain(chain, wrapper, name, a, b), (name, a, b)
    assert _model(W.ray_to_wad, a) == _chain(chain, wrapper, "rayToWad", a)
    assert _model(W.wad_to_ray, a) == _chain(chain, wrapper, "wadToRay", a)


@pytest.fixture(scope="module")
def strategy(chain):
    admin = chain.accounts[0]
    b = _Backend(chain)
    provider = b.deploy("PoolAddressesProvider", "m", admin.address, sender=admin)
    s = STRATEGY
    deployed = b.deploy("DefaultReserveInterestRateStrategy", provider.address, s.optimal_usage_ratio,
                        s.base_variable_borrow_rate, s.variable_rate_slope1, s.variable_rate_slope2,
                        s.stable_rate_slope1, s.stable_rate_slope2, s.base_stable_rate_offset,
                        s.stable_rate_excess_offset, s.optimal_stable_to_total_debt_ratio, sender=admin)
    token = chain.deploy(chain.project.MockERC20, "T", "T", 18, sender=admin)
    return deployed, token


@settings(max_examples=200, deadline=None)
@given(balance=st.integers(0, 10**30), debt=st.integers(0, 10**30), added=st.integers(0, 10**24),
       taken_share=st.integers(0, 1000), reserve_factor=st.integers(0, 10_000))
def test_interest_rate_strategy_equals_the_contract(chain, strategy, balance, debt, added, taken_share,
                                                    reserve_factor):
    deployed, token = strategy
    holder = chain.accounts[5].address
    have = chain.view(token, "balanceOf", holder)
    if have < balance:
        token.mint(holder, balance - have, sender=chain.accounts[0])
    else:
        token.transfer(chain.accounts[6].address, have - balance, sender=chain.accounts[5])
    taken = (balance + added) * taken_share // 1000
    params = (0, added, taken, 0, debt, 0, reserve_factor, token.address, holder)
    rates = calculate_interest_rates(STRATEGY, unbacked=0, a_token_balance=balance, liquidity_added=added,
                                     liquidity_taken=taken, total_stable_debt=0, total_variable_debt=debt,
                                     average_stable_borrow_rate=0, reserve_factor=reserve_factor)
    assert chain.view(deployed, "calculateInterestRates", params) == \
        (rates.liquidity_rate, rates.stable_borrow_rate, rates.variable_borrow_rate)
