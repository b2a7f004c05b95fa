"""Morpho Blue's fixed-point math, twin of ``src/libraries/MathLib.sol`` (1.0.0).

Inputs are uint256 values. Every product and sum is Solidity 0.8 checked arithmetic: a result above
``2**256 - 1`` reverts ``Panic(0x11)``, a division by zero ``Panic(0x12)`` (``checked``/``div``).
"""

from __future__ import annotations

from protocol_model.exact.presets.morpho_blue.constants_lib import UINT256_MAX, WAD
from protocol_model.exact.presets.morpho_blue.errors_lib import Panic


def checked(value: int) -> int:
    """``value`` when it fits in uint256 (0 ≤ value ≤ 2**256 − 1), else ``Panic(0x11)`` (over/underflow)."""
    if value < 0 or value > UINT256_MAX:
        raise Panic(Panic.ARITHMETIC)
    return value


def div(x: int, d: int) -> int:
    """``x / d`` (floor) on uint256; ``Panic(0x12)`` when ``d == 0``."""
    if d == 0:
        raise Panic(Panic.DIVISION_BY_ZERO)
    return x // d


def mul_div_down(x: int, y: int, d: int) -> int:
    """``MathLib.mulDivDown``: ``(x * y) / d`` rounded down; the product is checked."""
    return div(checked(x * y), d)


def mul_div_up(x: int, y: int, d: int) -> int:
    """``MathLib.mulDivUp``: ``(x * y + (d - 1)) / d`` rounded up; product, sum and ``d - 1`` are checked."""
    return div(checked(checked(x * y) + checked(d - 1)), d)


def w_mul_down(x: int, y: int) -> int:
    """``MathLib.wMulDown``: ``x * y / WAD`` rounded down."""
    return mul_div_down(x, y, WAD)


def w_div_down(x: int, y: int) -> int:
    """``MathLib.wDivDown``: ``x * WAD / y`` rounded down."""
    return mul_div_down(x, WAD, y)


def w_div_up(x: int, y: int) -> int:
    """``MathLib.wDivUp``: ``x * WAD / y`` rounded up."""
    return mul_div_up(x, WAD, y)


def w_taylor_compounded(x: int, n: int) -> int:
    """``MathLib.wTaylorCompounded``: ``e^(x·n) − 1`` (WAD) by its first three Taylor terms, each rounded down:
    ``x·n + (x·n)²/(2·WAD) + (x·n)³/(6·WAD²)`` with ``x`` a per-second rate (WAD) and ``n`` seconds."""
    first = checked(x * n)
    second = mul_div_down(first, first, 2 * WAD)
    third = mul_div_down(second, first, 3 * WAD)
    return checked(first + second + third)
