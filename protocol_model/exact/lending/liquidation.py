"""Liquidation arithmetic, twin of ``LendingPool._liquidationAmounts`` (docs/SPEC.md, "Liquidation")."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.math_lib import (
    BPS,
    bps_mul_down,
    bps_mul_up,
    mul_div_down,
    mul_div_up,
    ray_div_down,
    ray_div_up,
    ray_mul_down,
    ray_mul_up,
)


@dataclass(frozen=True)
class LiquidationAmounts:
    debt: int
    """Borrower's debt in the debt asset before the liquidation (token units, rounded up)."""
    repaid: int
    seized: int
    """Collateral taken from the borrower, protocol fee included (token units)."""
    protocol_fee: int
    """Part of ``seized`` kept as reserves of the collateral asset."""
    scaled_repaid: int
    scaled_seized: int


def liquidation_amounts(
    *,
    user_scaled_debt: int,
    user_scaled_coll: int,
    borrow_index_ray: int,
    supply_index_ray: int,
    repay_request: int,
    hf_wad: int,
    close_factor_bps: int,
    full_close_hf_wad: int,
    bonus_bps: int,
    protocol_fee_bps: int,
    debt_price_wad: int,
    coll_price_wad: int,
    debt_decimals: int,
    coll_decimals: int,
) -> LiquidationAmounts:
    """Close factor, then seized = repaid × price ratio × (1 + bonus), all rounded down; when that
    exceeds the collateral, seize it all and shrink the repayment to match, rounded up (against the
    liquidator). The protocol fee is a share of the bonus part, rounded up."""
    debt = ray_mul_up(user_scaled_debt, borrow_index_ray)
    max_repay = debt if hf_wad < full_close_hf_wad else bps_mul_up(debt, close_factor_bps)
    repaid = min(repay_request, max_repay)
    debt_unit_value = debt_price_wad * 10**coll_decimals
    coll_unit_value = coll_price_wad * 10**debt_decimals
    coll_balance = ray_mul_down(user_scaled_coll, supply_index_ray)
    seized = bps_mul_down(mul_div_down(repaid, debt_unit_value, coll_unit_value), BPS + bonus_bps)
    if seized > coll_balance:
        seized = coll_balance
        repaid = min(mul_div_up(mul_div_up(coll_balance, BPS, BPS + bonus_bps), coll_unit_value, debt_unit_value), debt)
    scaled_seized = (user_scaled_coll if seized == coll_balance
                     else min(ray_div_up(seized, supply_index_ray), user_scaled_coll))
    protocol_fee = bps_mul_up(seized - mul_div_up(seized, BPS, BPS + bonus_bps), protocol_fee_bps)
    scaled_repaid = user_scaled_debt if repaid == debt else ray_div_down(repaid, borrow_index_ray)
    return LiquidationAmounts(debt, repaid, seized, protocol_fee, scaled_repaid, scaled_seized)


def hf_improvement_bound_wad(liquidation_threshold_bps: int, bonus_bps: int) -> int:
    """HF above which a liquidation seizing this collateral cannot lower the HF (docs/SPEC.md):
    HF' >= HF  <=>  HF >= threshold × (1 + bonus) of the seized collateral."""
    return liquidation_threshold_bps * (BPS + bonus_bps) * 10**18 // (BPS * BPS)
