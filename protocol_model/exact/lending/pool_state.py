"""Mutable state of the exact engine (the contract's storage, field for field); the token ledger is in
:mod:`protocol_model.exact.ledger`."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.math_lib import RAY, ray_mul_down, ray_mul_up


@dataclass
class AssetState:
    """``LendingPool.AssetState``: totals in scaled units, indexes in RAY, amounts in token units."""

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
