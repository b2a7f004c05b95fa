"""Signed rounding, twin of contracts/perp/PerpMath.sol (d > 0 everywhere)."""

from __future__ import annotations


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
