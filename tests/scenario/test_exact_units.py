"""Unit conversions are exact at any size (``protocol_model.exact.decimal_context.EXACT``): Python's default Decimal
context keeps 28 significant digits and rounded a 41-digit balance, a 29-digit feed price, a 1e36-scaled oracle price
and the amounts a shrunk fuzz failure writes back to its story file, silently. Each conversion is compared with
integer arithmetic on the same digits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.base import to_units
from protocol_model.scenario.morpho_blue import oracle_price
from protocol_model.scenario.units import MAX_PRICE_USD, parse_bps, usd_to_wad
from protocol_model.world.story_steps import whole_tokens


@given(whole=st.integers(0, UINT256_MAX // 10**24), frac=st.integers(0, 10**6 - 1), decimals=st.integers(6, 24))
def test_whole_tokens_to_units_is_exact(whole, frac, decimals):
    """``<whole>.<6 digits>`` tokens at 6 to 24 decimals: exactly ``whole·10^d + frac·10^(d−6)`` units."""
    text = f"{whole}.{frac:06d}"
    assert to_units(text, decimals) == whole * 10**decimals + frac * 10 ** (decimals - 6)


def test_a_41_digit_balance_is_not_rounded():
    """The example that went wrong: 52,656,145,834,278,593,348,959,013,841,835,216,159,448 whole tokens."""
    whole = 52656145834278593348959013841835216159448
    assert to_units(str(whole), 18) == whole * 10**18


def test_the_largest_feed_price_is_exact():
    """``MAX_PRICE_USD`` is (2^256 − 1) // 10^10 answer units, to the last digit (it was rounded to 28 digits)."""
    assert EXACT.scaleb(MAX_PRICE_USD, 8) == (UINT256_MAX // 10**10)


@given(units=st.integers(1, UINT256_MAX // 10**10))
def test_feed_prices_to_wad_and_answers_are_exact(units):
    """Any price a feed can publish (8 decimals, up to ``MAX_PRICE_USD``) converts to exactly ``answer · 10^10`` WAD
    and back to its 8-decimal answer."""
    price = EXACT.scaleb(Decimal(units), -8)
    assert usd_to_wad(price) == units * 10**10 == units * WAD // 10**8 <= UINT256_MAX
    assert usd_to_answer(price, 8) == units


@given(units=st.integers(0, UINT256_MAX - 1), decimals=st.integers(0, 24))
def test_story_amounts_round_trip(units, decimals):
    """What a shrunk fuzz failure writes to its story (``whole_tokens``) reads back as the same token units."""
    assert to_units(whole_tokens(units, decimals), decimals) == units


@given(units=st.integers(1, 10**40), loan=st.integers(0, 18), coll=st.integers(0, 18))
@example(units=UINT256_MAX // 10**28, loan=0, coll=0)  # the highest price that fits, and one unit more
@example(units=UINT256_MAX // 10**28 + 1, loan=0, coll=0)
def test_morpho_oracle_price_is_exact_or_refused(units, loan, coll):
    """A price with 8 decimals (up to 1e32 loan tokens per collateral token) becomes exactly
    ``units · 1e36 · 10^loan / (10^8 · 10^coll)`` when that is an integer that fits the uint256 ``IOracle.price()``
    returns, and is refused by name otherwise."""
    price = EXACT.scaleb(Decimal(units), -8)
    num, den = units * 10**36 * 10**loan, 10**8 * 10**coll
    if num % den:
        with pytest.raises(ValueError, match="finer than the oracle's resolution"):
            oracle_price(price, loan, coll)
    elif num // den > UINT256_MAX:
        with pytest.raises(ValueError, match="above the highest price IOracle.price.. can return"):
            oracle_price(price, loan, coll)
    else:
        assert oracle_price(price, loan, coll) == num // den


def test_more_than_200_significant_digits_is_refused_by_name():
    """Beyond the context's 200 digits a conversion would round: refused with the field named, never rounded."""
    with pytest.raises(ValueError, match="amount: .* more than 200 significant digits"):
        to_units("1." + "1" * 250, 18)
    with pytest.raises(ValueError, match="more than 200 significant digits"):
        parse_bps("1." + "0" * 250 + "1%")
