"""Aave's ``WadRayMath``: WAD (1e18) and RAY (1e27) fixed point, every operation rounding half up.

Each function reverts with no data (``EmptyRevert``) where the library's assembly overflow check does."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3.errors import EMPTY_REVERT, AaveError

UINT256_MAX = 2**256 - 1
WAD = 10**18
HALF_WAD = WAD // 2
RAY = 10**27
HALF_RAY = RAY // 2
WAD_RAY_RATIO = 10**9


def wad_mul(a: int, b: int) -> int:
    """``wadMul``: (a·b + WAD/2) / WAD, half up. Raises ``EmptyRevert`` on overflow."""
    if b != 0 and a > (UINT256_MAX - HALF_WAD) // b:
        raise AaveError(EMPTY_REVERT)
    return (a * b + HALF_WAD) // WAD


def wad_div(a: int, b: int) -> int:
    """``wadDiv``: (a·WAD + b/2) / b, half up. Raises ``EmptyRevert`` for b = 0 or on overflow."""
    if b == 0 or a > (UINT256_MAX - b // 2) // WAD:
        raise AaveError(EMPTY_REVERT)
    return (a * WAD + b // 2) // b


def ray_mul(a: int, b: int) -> int:
    """``rayMul``: (a·b + RAY/2) / RAY, half up. Raises ``EmptyRevert`` on overflow."""
    if b != 0 and a > (UINT256_MAX - HALF_RAY) // b:
        raise AaveError(EMPTY_REVERT)
    return (a * b + HALF_RAY) // RAY


def ray_div(a: int, b: int) -> int:
    """``rayDiv``: (a·RAY + b/2) / b, half up. Raises ``EmptyRevert`` for b = 0 or on overflow."""
    if b == 0 or a > (UINT256_MAX - b // 2) // RAY:
        raise AaveError(EMPTY_REVERT)
    return (a * RAY + b // 2) // b


def ray_to_wad(a: int) -> int:
    """``rayToWad``: a / 1e9, half up."""
    return a // WAD_RAY_RATIO + (1 if a % WAD_RAY_RATIO >= WAD_RAY_RATIO // 2 else 0)


def wad_to_ray(a: int) -> int:
    """``wadToRay``: a·1e9. Raises ``EmptyRevert`` on overflow."""
    if a * WAD_RAY_RATIO > UINT256_MAX:
        raise AaveError(EMPTY_REVERT)
    return a * WAD_RAY_RATIO
