"""Fixed-point integer math, twin of ``contracts/libraries/MathLib.sol``.

Every function names its rounding direction. Products are exact (Python integers); like the
contract (OpenZeppelin ``Math.mulDiv``), only a *result* that does not fit in uint256 is an error.
"""

from __future__ import annotations

WAD = 10**18
RAY = 10**27
BPS = 10_000
UINT256_MAX = 2**256 - 1


class MathOverflow(ArithmeticError):
    """The result does not fit in uint256 (the contract reverts: Math.mulDiv overflow / panic)."""


class DivisionByZero(ZeroDivisionError):
    """Division by zero (the contract reverts with a panic)."""


def _checked(value: int) -> int:
    if value > UINT256_MAX:
        raise MathOverflow(value)
    return value


def mul_div_down(x: int, y: int, d: int) -> int:
    """floor(x * y / d)."""
    if d == 0:
        raise DivisionByZero("mul_div_down by zero")
    return _checked(x * y // d)


def mul_div_up(x: int, y: int, d: int) -> int:
    """ceil(x * y / d)."""
    if d == 0:
        raise DivisionByZero("mul_div_up by zero")
    return _checked(-((-x * y) // d))


def wad_mul_down(x: int, y: int) -> int:
    return mul_div_down(x, y, WAD)


def wad_mul_up(x: int, y: int) -> int:
    return mul_div_up(x, y, WAD)


def wad_div_down(x: int, y: int) -> int:
    return mul_div_down(x, WAD, y)


def wad_div_up(x: int, y: int) -> int:
    return mul_div_up(x, WAD, y)


def ray_mul_down(x: int, y: int) -> int:
    return mul_div_down(x, y, RAY)


def ray_mul_up(x: int, y: int) -> int:
    return mul_div_up(x, y, RAY)


def ray_div_down(x: int, y: int) -> int:
    return mul_div_down(x, RAY, y)


def ray_div_up(x: int, y: int) -> int:
    return mul_div_up(x, RAY, y)


def bps_mul_down(x: int, bps: int) -> int:
    return mul_div_down(x, bps, BPS)


def bps_mul_up(x: int, bps: int) -> int:
    return mul_div_up(x, bps, BPS)
