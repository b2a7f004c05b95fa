"""Mutable state of the exact engine (the contract's storage, field for field); the token ledger is in
:mod:`protocol_model.exact.ledger`."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact import errors
from protocol_model.exact.math_lib import RAY, ray_mul_down, ray_mul_up

UINT128_MAX = 2**128 - 1
"""Width of the packed totals, indexes and reserves of ``LendingPool.Market``."""
MAX_DECIMALS = 24
"""``LendingPool.MAX_DECIMALS``: the most decimals ``listAsset`` accepts (InvalidDecimals above). Totals and reserves
are uint128 base units: 2^128 of them are 3.4e14 whole tokens at 24 decimals (beyond any real supply), only 340 at
36 (interest alone would outgrow them and freeze the asset: docs/SPEC.md §3.3 "Widths")."""


def to_uint128(value: int) -> int:
    """``SafeCast.toUint128``: ``value`` unchanged when it fits the packed uint128 fields of ``LendingPool.Market``
    (totals, indexes, reserves), else the contract's revert ``SafeCastOverflowedUintDowncast(128, value)``."""
    if value > UINT128_MAX:
        raise errors.SafeCastOverflowedUintDowncast(128, value)
    return value


@dataclass
class AssetState:
    """``LendingPool.AssetState`` (``getAssetState``; stored packed as ``LendingPool.Market``): totals in scaled units,
    indexes in RAY, amounts in token units. ``last_update`` is the time of the last accrual that found debt, or of the
    borrow that gave the asset debt again (docs/SPEC.md §3.2)."""

    decimals: int
    last_update: int
    total_scaled_supply: int = 0
    total_scaled_debt: int = 0
    supply_index_ray: int = RAY
    borrow_index_ray: int = RAY
    reserves: int = 0
    bad_debt: int = 0

    def total_supply(self) -> int:
        """Suppliers' claims in token units (rounded down)."""
        return ray_mul_down(self.total_scaled_supply, self.supply_index_ray)

    def total_debt(self) -> int:
        """Borrowers' debt in token units (rounded up)."""
        return ray_mul_up(self.total_scaled_debt, self.borrow_index_ray)
