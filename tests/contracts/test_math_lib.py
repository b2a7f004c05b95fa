"""MathLib.sol on chain equals protocol_model.exact.math_lib, including 512-bit products and overflow."""

from __future__ import annotations

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol_model.exact import math_lib as fp

u256 = st.integers(min_value=0, max_value=fp.UINT256_MAX)
nonzero = st.integers(min_value=1, max_value=fp.UINT256_MAX)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=u256, y=u256, d=nonzero)
def test_mul_div_matches_model(math_harness, x: int, y: int, d: int) -> None:
    for name, model in (("mulDivDown", fp.mul_div_down), ("mulDivUp", fp.mul_div_up)):
        try:
            expected = model(x, y, d)
        except fp.MathOverflow:
            with ape.reverts():
                getattr(math_harness, name)(x, y, d)
            continue
        assert getattr(math_harness, name)(x, y, d) == expected, name


@pytest.mark.parametrize("x,y,d", [(1, 1, 3), (2, 5, 3), (10**30, 10**30, 7),
                                   (fp.UINT256_MAX, fp.UINT256_MAX, fp.UINT256_MAX)])
def test_known_roundings(math_harness, x: int, y: int, d: int) -> None:
    assert math_harness.mulDivDown(x, y, d) == fp.mul_div_down(x, y, d)
    assert math_harness.mulDivUp(x, y, d) == fp.mul_div_up(x, y, d)
