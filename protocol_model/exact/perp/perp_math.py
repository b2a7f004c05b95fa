"""Signed rounding, twin of contracts/perp/PerpMath.sol (d > 0 everywhere), and the engine's int256 conversions."""

from __future__ import annotations

from protocol_model.exact.errors import SafeCastOverflowedUintToInt
from protocol_model.exact.math_lib import INT256_MAX, checked_int256


def to_int256(value: int) -> int:
    """OpenZeppelin ``SafeCast.toInt256`` of the uint256 ``value``: ``value`` itself, or
    ``SafeCastOverflowedUintToInt(value)`` when it is above INT256_MAX (where a plain ``int256(value)`` would wrap
    to a negative number)."""
    if value > INT256_MAX:
        raise SafeCastOverflowedUintToInt(value)
    return value


def abs_int256(a: int) -> int:
    """``PerpMath.abs`` of the int256 ``a``: |a|; ``MathOverflow`` (``Panic(0x11)``) for ``a = -2^255``, whose
    checked negation overflows on chain."""
    return a if a >= 0 else checked_int256(-a)


def floor_div(a: int, d: int) -> int:
    """floor(a / d): towards -infinity (a value credited to a trader), twin of ``PerpMath.floorDiv``.

    ``a`` is int256, ``d`` > 0 (not checked; ``d == 0`` raises ``ZeroDivisionError`` where the contract panics).
    """
    return a // d


def ceil_div(a: int, d: int) -> int:
    """ceil(a / d): towards +infinity (a cost or payment charged to a trader), twin of ``PerpMath.ceilDiv``.

    ``a`` is int256, ``d`` > 0 (not checked; ``d == 0`` raises ``ZeroDivisionError`` where the contract panics).
    """
    return -((-a) // d)


def trunc_div(a: int, d: int) -> int:
    """a / d towards zero, as Solidity's signed ``/`` (``PerpEngine`` uses it for the funding premium).

    Raises ``ZeroDivisionError`` when ``d == 0`` (the contract panics).
    """
    q = abs(a) // abs(d)
    return q if (a >= 0) == (d > 0) else -q
