"""Liquidation arithmetic, twin of ``LendingPool._liquidationAmounts`` / ``_seizedAndDust`` /
``_hfPreservingBonusBps`` (docs/SPEC.md §3.6, §5.6)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact import errors
from protocol_model.exact.math_lib import (
    BPS,
    WAD,
    bps_mul_down,
    bps_mul_up,
    checked_mul,
    mul_div_down,
    mul_div_up,
    ray_div_down,
    ray_div_up,
    ray_mul_down,
    ray_mul_up,
)


@dataclass(frozen=True)
class LiquidationAmounts:
    """The amounts of one liquidation, twin of ``LendingPool.Liquidation`` as filled by ``_liquidationAmounts`` and
    ``_seizedAndDust`` (SPEC §3.6): token units of the debt asset (``debt``, ``repaid``) and of the collateral
    (``seized``, ``protocol_fee``), scaled amounts burned (``scaled_repaid`` of the debt, ``scaled_seized`` of the
    collateral supply), the bonus (LIF − 1) in bps."""
    debt: int
    """Borrower's debt in the debt asset before the liquidation (token units, rounded up)."""
    repaid: int
    seized: int
    """Collateral taken from the borrower, protocol fee included (token units)."""
    protocol_fee: int
    """Part of ``seized`` kept as reserves of the collateral asset."""
    scaled_repaid: int
    scaled_seized: int
    bonus_bps: int = 0
    """The bonus applied: the collateral's, capped at or above the full-close line (``hf_preserving_bonus_bps``)."""


def hf_preserving_bonus_bps(liquidation_threshold_bps: int, bonus_bps: int, hf_wad: int) -> int:
    """``LendingPool._hfPreservingBonusBps``: min(bonus, ⌊HF·BPS²/(lt·WAD)⌋ − BPS), at least 0, so that
    lt·(1 + bonus) <= HF and the liquidation cannot lower HF (SPEC §5.6). lt = 0: the bonus unchanged."""
    if liquidation_threshold_bps == 0:
        return bonus_bps
    cap = mul_div_down(hf_wad, BPS * BPS, liquidation_threshold_bps * WAD)
    if cap >= BPS + bonus_bps:
        return bonus_bps
    return cap - BPS if cap > BPS else 0


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
    min_leftover_usd_wad: int,
    liquidation_threshold_bps: int,
    bonus_bps: int,
    protocol_fee_bps: int,
    debt_price_wad: int,
    coll_price_wad: int,
    debt_decimals: int,
    coll_decimals: int,
    last_collateral: bool = False,
) -> LiquidationAmounts:
    """Amounts of one liquidation (token units; prices USD WAD; SPEC §3.6), in the contract's order:

    close factor (lifted below the full-close line or when it would leave a dust debt); the bonus capped at
    or above the line; seized = ⌊⌊requested·dU/cU⌋·(BPS+b)/BPS⌋ at most all the collateral; the repayment
    derived from it, ⌈⌈seized·BPS/(BPS+b)⌉·cU/dU⌉ at most the request (a full repayment that does not seize
    all stays full). Raises NothingToSeize, NothingToRepay (no scaled debt burned, unless the seizure takes the
    whole of the account's ``last_collateral``), then MustNotLeaveDust when both positions remain and one is worth
    less than ``min_leftover_usd_wad``."""
    debt = ray_mul_up(user_scaled_debt, borrow_index_ray)
    above_line = hf_wad >= full_close_hf_wad
    # checked like the contract's `*`: a debt worth more than ~(2^256 - 1)/BPS USD WAD reverts Panic(0x11)
    dust_debt = checked_mul(mul_div_up(debt, debt_price_wad, 10**debt_decimals), BPS - close_factor_bps) \
        < min_leftover_usd_wad * BPS
    requested = min(repay_request, bps_mul_up(debt, close_factor_bps) if above_line and not dust_debt else debt)
    if above_line:
        bonus_bps = hf_preserving_bonus_bps(liquidation_threshold_bps, bonus_bps, hf_wad)
    debt_unit_value = debt_price_wad * 10**coll_decimals
    coll_unit_value = coll_price_wad * 10**debt_decimals
    coll_balance = ray_mul_down(user_scaled_coll, supply_index_ray)
    seized = min(bps_mul_down(mul_div_down(requested, debt_unit_value, coll_unit_value), BPS + bonus_bps),
                 coll_balance)
    if requested == debt and seized < coll_balance:
        repaid = requested
    else:
        repaid = min(mul_div_up(mul_div_up(seized, BPS, BPS + bonus_bps), coll_unit_value, debt_unit_value), requested)
    scaled_repaid = user_scaled_debt if repaid == debt else ray_div_down(repaid, borrow_index_ray)
    if seized == 0:
        raise errors.NothingToSeize()
    # the account's last collateral taken whole may burn no scaled debt (the write-off follows: SPEC §3.6)
    if scaled_repaid == 0 and (seized < coll_balance or not last_collateral):
        raise errors.NothingToRepay()
    scaled_seized = (user_scaled_coll if seized == coll_balance
                     else min(ray_div_up(seized, supply_index_ray), user_scaled_coll))
    protocol_fee = bps_mul_up(seized - mul_div_up(seized, BPS, BPS + bonus_bps), protocol_fee_bps)
    if repaid < debt and seized < coll_balance:
        debt_left = mul_div_up(ray_mul_up(user_scaled_debt - scaled_repaid, borrow_index_ray), debt_price_wad,
                               10**debt_decimals)
        coll_left = mul_div_down(ray_mul_down(user_scaled_coll - scaled_seized, supply_index_ray), coll_price_wad,
                                 10**coll_decimals)
        if debt_left < min_leftover_usd_wad or coll_left < min_leftover_usd_wad:
            raise errors.MustNotLeaveDust()
    return LiquidationAmounts(debt, repaid, seized, protocol_fee, scaled_repaid, scaled_seized, bonus_bps)


def hf_improvement_bound_wad(liquidation_threshold_bps: int, bonus_bps: int) -> int:
    """HF above which a liquidation seizing this collateral with this bonus cannot lower the HF (SPEC §5.6):
    HF' >= HF  <=>  HF >= threshold × (1 + bonus) of the seized collateral."""
    return liquidation_threshold_bps * (BPS + bonus_bps) * 10**18 // (BPS * BPS)
