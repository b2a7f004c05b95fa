"""Aave's ``PercentageMath``: percentages in bps (10000 = 100 %), rounding half up."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3.errors import EMPTY_REVERT, AaveError
from protocol_model.exact.presets.aave_v3.wad_ray_math import UINT256_MAX

PERCENTAGE_FACTOR = 10_000
HALF_PERCENTAGE_FACTOR = 5_000


def percent_mul(value: int, percentage: int) -> int:
    """``percentMul``: (value·percentage + 5000) / 10000, half up. Raises ``EmptyRevert`` on overflow."""
    if percentage != 0 and value > (UINT256_MAX - HALF_PERCENTAGE_FACTOR) // percentage:
        raise AaveError(EMPTY_REVERT)
    return (value * percentage + HALF_PERCENTAGE_FACTOR) // PERCENTAGE_FACTOR


def percent_div(value: int, percentage: int) -> int:
    """``percentDiv``: (value·10000 + percentage/2) / percentage, half up. Raises ``EmptyRevert`` for a zero
    percentage or on overflow."""
    if percentage == 0 or value > (UINT256_MAX - percentage // 2) // PERCENTAGE_FACTOR:
        raise AaveError(EMPTY_REVERT)
    return (value * PERCENTAGE_FACTOR + percentage // 2) // percentage
