"""Interest: the kinked rate curve and per-asset accrual (twins of KinkedRateModel / LendingPool._accrue)."""

from __future__ import annotations

from protocol_model.exact.lending.params import MAX_BORROW_RATE_PER_SECOND_RAY, RateParams
from protocol_model.exact.lending.pool_state import UINT128_MAX, AssetState, to_uint128
from protocol_model.exact.math_lib import RAY, WAD, bps_mul_up, mul_div_down, ray_mul_up, wad_div_down


def borrow_rate_per_second_ray(rate: RateParams, utilization_wad: int) -> int:
    """Per-second borrow rate (RAY) at ``utilization_wad``; each slope term rounded down."""
    opt = rate.optimal_utilization_wad
    if utilization_wad <= opt:
        return rate.base_per_second_ray + mul_div_down(rate.slope1_per_second_ray, utilization_wad, opt)
    return (rate.base_per_second_ray + rate.slope1_per_second_ray
            + mul_div_down(rate.slope2_per_second_ray, utilization_wad - opt, WAD - opt))


def utilization_wad(state: AssetState) -> int:
    """Debt over supply (WAD), capped at 100%; 100% when debt remains but no supply does."""
    total_debt = state.total_debt()
    total_supply = state.total_supply()
    return WAD if total_supply == 0 else min(wad_div_down(total_debt, total_supply), WAD)


def accrue(state: AssetState, rate: RateParams, reserve_factor_bps: int, now: int) -> int:
    """Accrue linear interest on ``state`` in place up to ``now``; returns the interest (token units).

    Twin of ``LendingPool._accrue``: an asset without debt accrues nothing and keeps its ``last_update`` (the borrow
    that gives it debt sets it, docs/SPEC.md §3.2). Borrowers' side rounds up (index and interest), suppliers' side
    rounds down; the reserve factor's share is rounded up. Suppliers earn at most the interest on what they funded:
    while the total supply ``S`` is below the total debt ``D`` their share is capped at ⌊interest · S / D⌋ (debt
    beyond the supply lends cash no supplier funded, e.g. a donation; the rest goes to reserves), which bounds the
    supply index's growth per unit by the borrow index's (docs/SPEC.md §3.3; P-POOL-06). With no suppliers left, all
    interest goes to reserves, and so does it when the suppliers' share would raise the supply index past
    2^128 − 1 (the index stays: an accrual that reverted there would freeze the asset for good). Raises
    ``SafeCastOverflowedUintDowncast`` when the borrow index or the reserves outgrow uint128, ValueError when ``now``
    is before ``last_update``.
    """
    scaled_debt = state.total_scaled_debt
    if scaled_debt == 0:
        return 0
    dt = now - state.last_update
    if dt == 0:
        return 0
    if dt < 0:
        raise ValueError(f"time went backwards: {state.last_update} -> {now}")
    total_debt, total_supply = state.total_debt(), state.total_supply()
    # LendingPool reads a rate model's answer above the bound as the bound (a third-party IRateModel); RateParams
    # never exceeds it, so here the clamp only mirrors the contract's order
    rate_ray = min(borrow_rate_per_second_ray(rate, utilization_wad(state)), MAX_BORROW_RATE_PER_SECOND_RAY)
    new_borrow_index = state.borrow_index_ray + ray_mul_up(state.borrow_index_ray, rate_ray * dt)
    interest = ray_mul_up(scaled_debt, new_borrow_index) - total_debt
    to_reserves = interest
    supply_index = state.supply_index_ray
    if state.total_scaled_supply != 0:
        to_suppliers = interest - bps_mul_up(interest, reserve_factor_bps)
        if total_supply < total_debt:  # no interest on debt beyond the supply: unfunded cash lent (P-POOL-06)
            to_suppliers = min(to_suppliers, mul_div_down(interest, total_supply, total_debt))
        to_reserves = interest - to_suppliers
        if to_suppliers != 0:
            raised = supply_index + mul_div_down(to_suppliers, RAY, state.total_scaled_supply)
            if raised > UINT128_MAX:  # a frozen asset otherwise: the suppliers' share goes to reserves (SPEC §3.3)
                to_reserves = interest
            else:
                supply_index = raised
    state.supply_index_ray = supply_index
    state.borrow_index_ray = to_uint128(new_borrow_index)
    state.reserves = to_uint128(state.reserves + to_reserves)
    state.last_update = now
    return interest
