"""fixed_point: rounding directions and overflow, as MathLib.sol does them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol_model.exact import math_lib as fp
from protocol_model.exact.errors import PoolError

u256 = st.integers(min_value=0, max_value=fp.UINT256_MAX)
nonzero = st.integers(min_value=1, max_value=fp.UINT256_MAX)


@given(u256, u256, nonzero)
def test_up_is_down_plus_remainder_flag(x: int, y: int, d: int) -> None:
    exact, rem = divmod(x * y, d)
    if exact > fp.UINT256_MAX or exact + (rem > 0) > fp.UINT256_MAX:
        return
    assert fp.mul_div_down(x, y, d) == exact
    assert fp.mul_div_up(x, y, d) == exact + (1 if rem else 0)


def test_named_helpers() -> None:
    assert fp.wad_mul_down(3, fp.WAD // 2) == 1
    assert fp.wad_mul_up(3, fp.WAD // 2) == 2
    assert fp.ray_div_up(1, 3 * fp.RAY) == 1
    assert fp.ray_div_down(1, 3 * fp.RAY) == 0
    assert fp.bps_mul_up(1, 5_000) == 1
    assert fp.bps_mul_down(1, 5_000) == 0


def test_overflow_and_zero_division() -> None:
    assert fp.mul_div_down(fp.UINT256_MAX, 1, 1) == fp.mul_div_up(fp.UINT256_MAX, 1, 1) == fp.UINT256_MAX
    assert fp.mul_div_up(fp.UINT256_MAX, 2, 2) == fp.UINT256_MAX  # the largest result is not an overflow
    with pytest.raises(fp.MathOverflow) as overflow:
        fp.mul_div_down(fp.UINT256_MAX, 2, 1)
    with pytest.raises(fp.DivisionByZero) as by_zero:
        fp.mul_div_up(1, 1, 0)
    assert fp.checked_mul(fp.UINT256_MAX, 1) == fp.UINT256_MAX
    with pytest.raises(fp.MathOverflow):
        fp.checked_mul(2**128, 2**128)
    # reverts by the chain's names (Solidity 0.8 / OpenZeppelin 5.1 Math.mulDiv panics), restored by the journal
    assert isinstance(overflow.value, PoolError) and overflow.value.name == "Panic(0x11)"
    assert isinstance(by_zero.value, PoolError) and by_zero.value.name == "Panic(0x12)"


def test_signed_results_are_checked_at_exactly_the_int256_bounds() -> None:
    """Solidity 0.8's int256 range is [−2^255, 2^255 − 1]: both ends pass ``checked_int256``, one past either end
    reverts ``Panic(0x11)`` (the perp twin's balances, funding indexes and fills)."""
    for value in (-(2**255), 2**255 - 1, 0, -1):
        assert fp.checked_int256(value) == value
    for value in (-(2**255) - 1, 2**255, -(2**256), 2**256):
        with pytest.raises(fp.MathOverflow):
            fp.checked_int256(value)
    assert fp.checked_add(fp.UINT256_MAX - 1, 1) == fp.UINT256_MAX
    with pytest.raises(fp.MathOverflow):
        fp.checked_add(fp.UINT256_MAX, 1)


HELPERS = {  # name -> scale of the exact quotient x·y/d: (multiplier, divisor)
    "wad_mul": lambda x, y: (x * y, fp.WAD),
    "wad_div": lambda x, y: (x * fp.WAD, y),
    "ray_mul": lambda x, y: (x * y, fp.RAY),
    "ray_div": lambda x, y: (x * fp.RAY, y),
    "bps_mul": lambda x, y: (x * y, fp.BPS),
    "mul_div": None,
}


@given(x=st.integers(0, 2**128), y=st.integers(1, 2**128), d=st.integers(1, 2**128))
def test_every_helper_rounds_within_one_unit(x: int, y: int, d: int) -> None:
    """P-MATH-08 (Python side of the halmos proof): for every MathLib helper, down ≤ exact ≤ up and up − down is
    0 on an exact quotient, else 1."""
    for name, scale in HELPERS.items():
        num, den = (x * y, d) if scale is None else scale(x, y)
        args = (x, y, d) if scale is None else (x, y)
        down, up = getattr(fp, f"{name}_down")(*args), getattr(fp, f"{name}_up")(*args)
        assert down * den <= num <= up * den, f"{name}{args}: {down} ≤ {num}/{den} ≤ {up} fails"
        assert up - down == (num % den != 0), f"{name}{args}: up − down = {up - down}"
