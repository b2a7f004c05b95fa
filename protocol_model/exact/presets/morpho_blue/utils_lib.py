"""Morpho Blue's helpers, twin of ``src/libraries/UtilsLib.sol`` (1.0.0)."""

from __future__ import annotations

from protocol_model.exact.presets.morpho_blue import errors_lib
from protocol_model.exact.presets.morpho_blue.constants_lib import UINT128_MAX


def exactly_one_zero(x: int, y: int) -> bool:
    """``UtilsLib.exactlyOneZero``: exactly one of ``x``, ``y`` is 0."""
    return (x == 0) != (y == 0)


def min_(x: int, y: int) -> int:
    """``UtilsLib.min``."""
    return y if y < x else x


def to_uint128(x: int) -> int:
    """``UtilsLib.toUint128``: ``x``; raises ``MAX_UINT128_EXCEEDED`` above ``2**128 - 1``."""
    errors_lib.require(x <= UINT128_MAX, errors_lib.MAX_UINT128_EXCEEDED)
    return x


def zero_floor_sub(x: int, y: int) -> int:
    """``UtilsLib.zeroFloorSub``: ``max(x - y, 0)``."""
    return x - y if x > y else 0
