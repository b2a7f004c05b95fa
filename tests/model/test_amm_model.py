"""Properties of the Uniswap V2 twin that follow from the constant-product rule, not from the code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, AmmError, V2Pair, get_amount_in, get_amount_out
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import UINT256_MAX

reserve_st = st.integers(10**3, 10**30)


@given(amount_in=st.integers(1, 10**30), r_in=reserve_st, r_out=reserve_st)
def test_amount_out_keeps_fee_adjusted_product(amount_in, r_in, r_out):
    out = get_amount_out(amount_in, r_in, r_out)
    assert 0 <= out < r_out
    # The pair's K check: (r_in*1000 + 997*in) * (r_out - out) >= r_in * r_out * 1000
    assert (r_in * 1000 + 997 * amount_in) * (r_out - out) >= r_in * r_out * 1000
    # ...and one more unit of output would break it (the quote is the largest that passes).
    assert (r_in * 1000 + 997 * amount_in) * (r_out - out - 1) < r_in * r_out * 1000


@given(r_in=reserve_st, r_out=reserve_st, data=st.data())
def test_amount_in_is_sufficient(r_in, r_out, data):
    amount_out = data.draw(st.integers(1, r_out - 1))
    amount_in = get_amount_in(amount_out, r_in, r_out)
    assert get_amount_out(amount_in, r_in, r_out) >= amount_out


def test_first_deposit_locks_minimum_liquidity_and_swap_pays_the_fee():
    ledger = Ledger()
    for token in ("A", "B"):
        ledger.mint(token, "lp", 10**24)
        ledger.approve(token, "lp", SWAPPER, UINT256_MAX)
    pair = V2Pair("pair", "A", "B", ledger)
    minted = pair.add_liquidity("lp", 4 * 10**18, 10**18, "lp", now=100)
    assert minted == 2 * 10**18 - 1000 and pair.total_supply == 2 * 10**18
    out = pair.swap_exact_in("lp", "A", 10**16, 0, "lp", now=160)
    # Without a fee the output would be 1e18 * 1e16 / (4e18 + 1e16); the fee makes it strictly less.
    assert out < 10**18 * 10**16 // (4 * 10**18 + 10**16)
    # 60 s at price1/price0 = 1/4 in UQ112x112.
    assert pair.price0_cumulative_last == (10**18 * 2**112 // (4 * 10**18)) * 60
    before = (pair.reserve0, pair.reserve1, dict(ledger.balances))
    with pytest.raises(AmmError) as err:
        pair.swap_exact_in("lp", "A", 10**16, out * 2, "lp", now=170)
    assert err.value.name == "SlippageExceeded"
    assert (pair.reserve0, pair.reserve1, dict(ledger.balances)) == before
