"""Fixed-point integer math, twin of ``contracts/libraries/MathLib.sol``.

Every function names its rounding direction. Products are exact (Python integers); like the
contract (OpenZeppelin ``Math.mulDiv``), only a *result* that does not fit in uint256 is an error.
Solidity 0.8's checked arithmetic and OpenZeppelin 5.1's ``Math.mulDiv`` revert with ``Panic(0x11)`` (a result
above uint256) and ``Panic(0x12)`` (division by zero); :class:`MathOverflow` and :class:`DivisionByZero` are those
reverts in the twins: :class:`~protocol_model.exact.errors.PoolError` subclasses named as the chain names them, so a
call that overflows reverts atomically (the journal restores its state) and a cross-check compares the names.
"""

from __future__ import annotations

from protocol_model.exact.errors import PoolError

WAD = 10**18
RAY = 10**27
BPS = 10_000
UINT256_MAX = 2**256 - 1
INT256_MIN = -(2**255)
INT256_MAX = 2**255 - 1


class MathOverflow(PoolError, ArithmeticError):
    """The result does not fit in uint256: the contract reverts with ``Panic(0x11)`` (checked arithmetic,
    ``Math.mulDiv``)."""

    @property
    def name(self) -> str:
        """``Panic(0x11)``, as the chain names the revert."""
        return "Panic(0x11)"


class DivisionByZero(PoolError, ZeroDivisionError):
    """Division by zero: the contract reverts with ``Panic(0x12)``."""

    @property
    def name(self) -> str:
        """``Panic(0x12)``, as the chain names the revert."""
        return "Panic(0x12)"


def _checked(value: int) -> int:
    if value > UINT256_MAX:
        raise MathOverflow(value)
    return value


def checked_mul(x: int, y: int) -> int:
    """``x * y`` as Solidity 0.8 computes it on uint256 values: the product, or ``MathOverflow``
    (``Panic(0x11)``) when it exceeds ``UINT256_MAX``."""
    return _checked(x * y)


def checked_add(x: int, y: int) -> int:
    """``x + y`` as Solidity 0.8 computes it on uint256 values: the sum, or ``MathOverflow`` (``Panic(0x11)``)
    when it exceeds ``UINT256_MAX``."""
    return _checked(x + y)


def checked_int256(value: int) -> int:
    """``value``, the result of a signed int256 operation (``+``, ``-``, ``*``, unary ``-``) as Solidity 0.8 checks
    it: returned when it lies in [INT256_MIN, INT256_MAX], else ``MathOverflow`` (``Panic(0x11)``)."""
    if not INT256_MIN <= value <= INT256_MAX:
        raise MathOverflow(value)
    return value


def mul_div_down(x: int, y: int, d: int) -> int:
    """floor(x * y / d), twin of ``MathLib.mulDivDown`` (OpenZeppelin ``Math.mulDiv``, rounding down).

    ``x``, ``y``, ``d`` are uint256 values (non-negative; not checked here). The product is exact.
    Raises ``DivisionByZero`` when ``d == 0`` and ``MathOverflow`` when the result exceeds ``UINT256_MAX``.
    """
    if d == 0:
        raise DivisionByZero("mul_div_down by zero")
    return _checked(x * y // d)


def mul_div_up(x: int, y: int, d: int) -> int:
    """ceil(x * y / d), twin of ``MathLib.mulDivUp`` (``Math.mulDiv(..., Math.Rounding.Ceil)``, rounding up).

    ``x``, ``y``, ``d`` are uint256 values (non-negative; not checked here). The product is exact.
    Raises ``DivisionByZero`` when ``d == 0`` and ``MathOverflow`` when the result exceeds ``UINT256_MAX``.
    """
    if d == 0:
        raise DivisionByZero("mul_div_up by zero")
    return _checked(-((-x * y) // d))


def wad_mul_down(x: int, y: int) -> int:
    """x * y / WAD rounded down: the product of two WAD (1e18) fixed-point numbers, in WAD.

    Twin of ``MathLib.wadMulDown``.
    Raises ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_down(x, y, WAD)


def wad_mul_up(x: int, y: int) -> int:
    """x * y / WAD rounded up: the product of two WAD (1e18) fixed-point numbers, in WAD.

    Twin of ``MathLib.wadMulUp``.
    Raises ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_up(x, y, WAD)


def wad_div_down(x: int, y: int) -> int:
    """x * WAD / y rounded down: the WAD quotient of x by y (same units), in WAD.

    Twin of ``MathLib.wadDivDown``.
    Raises ``DivisionByZero`` when ``y == 0`` and ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_down(x, WAD, y)


def wad_div_up(x: int, y: int) -> int:
    """x * WAD / y rounded up: the WAD quotient of x by y (same units), in WAD.

    Twin of ``MathLib.wadDivUp``.
    Raises ``DivisionByZero`` when ``y == 0`` and ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_up(x, WAD, y)


def ray_mul_down(x: int, y: int) -> int:
    """x * y / RAY rounded down: e.g. a scaled balance times a RAY (1e27) index, in token units.

    Twin of ``MathLib.rayMulDown``.
    Raises ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_down(x, y, RAY)


def ray_mul_up(x: int, y: int) -> int:
    """x * y / RAY rounded up: e.g. a scaled debt times a RAY (1e27) index, in token units.

    Twin of ``MathLib.rayMulUp``.
    Raises ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_up(x, y, RAY)


def ray_div_down(x: int, y: int) -> int:
    """x * RAY / y rounded down: e.g. token units divided by a RAY index (scaled units).

    Twin of ``MathLib.rayDivDown``.
    Raises ``DivisionByZero`` when ``y == 0`` and ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_down(x, RAY, y)


def ray_div_up(x: int, y: int) -> int:
    """x * RAY / y rounded up: e.g. token units divided by a RAY index (scaled units).

    Twin of ``MathLib.rayDivUp``.
    Raises ``DivisionByZero`` when ``y == 0`` and ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_up(x, RAY, y)


def bps_mul_down(x: int, bps: int) -> int:
    """x * bps / 10,000 rounded down: ``x`` (any unit) times a basis-point fraction.

    Twin of ``MathLib.bpsMulDown``.
    Raises ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_down(x, bps, BPS)


def bps_mul_up(x: int, bps: int) -> int:
    """x * bps / 10,000 rounded up: ``x`` (any unit) times a basis-point fraction.

    Twin of ``MathLib.bpsMulUp``.
    Raises ``MathOverflow`` if the result exceeds uint256.
    """
    return mul_div_up(x, bps, BPS)
