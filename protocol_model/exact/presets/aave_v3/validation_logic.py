"""Aave's ``ValidationLogic``: every check of supply, withdraw, borrow, repay, liquidation, collateral
switches and eMode, in the library's order with its ``Errors`` codes."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3 import errors as E
from protocol_model.exact.presets.aave_v3.errors import checked, require, to_uint128
from protocol_model.exact.presets.aave_v3.generic_logic import calculate_user_account_data
from protocol_model.exact.presets.aave_v3.percentage_math import percent_div
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.reserve_logic import ReserveCache
from protocol_model.exact.presets.aave_v3.state import ReserveData, UserConfiguration
from protocol_model.exact.presets.aave_v3.wad_ray_math import WAD, ray_mul

HEALTH_FACTOR_LIQUIDATION_THRESHOLD = WAD
MINIMUM_HEALTH_FACTOR_LIQUIDATION_THRESHOLD = 95 * WAD // 100
VARIABLE = 2
STABLE = 1


def validate_supply(r: ReserveData, c: ReserveCache, amount: int) -> None:
    """``validateSupply``: 26 zero amount, 27 inactive, 29 paused, 28 frozen, 51 supply cap (aToken supply
    plus the treasury's accrued share, at the new index, plus ``amount`` above cap × unit)."""
    require(amount != 0, E.INVALID_AMOUNT)
    require(r.active, E.RESERVE_INACTIVE)
    require(not r.paused, E.RESERVE_PAUSED)
    require(not r.frozen, E.RESERVE_FROZEN)
    require(r.supply_cap == 0 or checked(ray_mul(r.a_token.total + r.accrued_to_treasury, c.next_liquidity_index)
                                         + amount) <= r.supply_cap * 10**r.decimals, E.SUPPLY_CAP_EXCEEDED)


def validate_withdraw(r: ReserveData, amount: int, user_balance: int) -> None:
    """``validateWithdraw``: 26 zero amount, 32 above the balance, 27 inactive, 29 paused."""
    require(amount != 0, E.INVALID_AMOUNT)
    require(amount <= user_balance, E.NOT_ENOUGH_AVAILABLE_USER_BALANCE)
    require(r.active, E.RESERVE_INACTIVE)
    require(not r.paused, E.RESERVE_PAUSED)


def validate_borrow(ps: PoolStorage, r: ReserveData, c: ReserveCache, config: UserConfiguration, user: str,
                    amount: int, rate_mode: int, emode: int, isolation: tuple[bool, str | None, int]) -> None:
    """``validateBorrow``: amount, flags, borrowing enabled, rate mode, borrow cap (debt before the action at
    the new index + amount), isolation (borrowable, debt ceiling), eMode category, then the account: 34 no
    collateral, 57 LTV 0, 35 HF ≤ 1, 36 (debt + amount in base) ÷ LTV above the collateral; 31 stable mode;
    siloed borrowing."""
    require(amount != 0, E.INVALID_AMOUNT)
    require(r.active, E.RESERVE_INACTIVE)
    require(not r.paused, E.RESERVE_PAUSED)
    require(not r.frozen, E.RESERVE_FROZEN)
    require(r.borrowing_enabled, E.BORROWING_NOT_ENABLED)
    require(rate_mode in (VARIABLE, STABLE), E.INVALID_INTEREST_RATE_MODE_SELECTED)
    unit = 10**r.decimals
    if r.borrow_cap != 0:
        total_debt = checked(ray_mul(c.curr_scaled_variable_debt, c.next_variable_borrow_index) + amount)
        require(total_debt <= r.borrow_cap * unit, E.BORROW_CAP_EXCEEDED)
    active, collateral_asset, ceiling = isolation
    if active:
        assert collateral_asset is not None
        require(r.borrowable_in_isolation, E.ASSET_NOT_BORROWABLE_IN_ISOLATION)
        require(ps.reserves[collateral_asset].isolation_mode_total_debt
                + to_uint128(ps.isolated_debt_units(r, amount)) <= ceiling, E.DEBT_CEILING_EXCEEDED)
    price_source = None
    if emode != 0:
        require(r.emode_category == emode, E.INCONSISTENT_EMODE_CATEGORY)
        price_source = ps.emode_categories[emode].price_source
    account = calculate_user_account_data(ps, config, user, emode)
    require(account.total_collateral_base != 0, E.COLLATERAL_BALANCE_IS_ZERO)
    require(account.avg_ltv != 0, E.LTV_VALIDATION_FAILED)
    require(account.health_factor > HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
            E.HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)
    amount_base = checked(ps.get_asset_price(price_source if price_source is not None else r.asset) * amount) // unit
    needed = percent_div(checked(account.total_debt_base + amount_base), account.avg_ltv)
    require(needed <= account.total_collateral_base, E.COLLATERAL_CANNOT_COVER_NEW_BORROW)
    require(rate_mode != STABLE, E.STABLE_BORROWING_NOT_ENABLED)
    if config.borrowing:
        siloed, siloed_asset = ps.get_siloed_borrowing_state(config)
        if siloed:
            require(siloed_asset == r.asset, E.SILOED_BORROWING_VIOLATION)
        else:
            require(not r.siloed_borrowing, E.SILOED_BORROWING_VIOLATION)


def validate_repay(r: ReserveData, amount: int, rate_mode: int, caller: str, on_behalf_of: str,
                   variable_debt: int) -> None:
    """``validateRepay``: 26 zero, 40 max on behalf of another, 27 inactive, 29 paused, 39 no debt of the
    mode (there is never stable debt)."""
    require(amount != 0, E.INVALID_AMOUNT)
    require(amount != 2**256 - 1 or caller == on_behalf_of, E.NO_EXPLICIT_AMOUNT_TO_REPAY_ON_BEHALF)
    require(r.active, E.RESERVE_INACTIVE)
    require(not r.paused, E.RESERVE_PAUSED)
    require(variable_debt != 0 and rate_mode == VARIABLE, E.NO_DEBT_OF_SELECTED_TYPE)


def validate_liquidation_call(config: UserConfiguration, collateral: ReserveData, debt: ReserveData,
                              total_debt: int, health_factor: int) -> None:
    """``validateLiquidationCall``: 27 inactive, 29 paused, 45 HF ≥ 1, 46 collateral not enabled (threshold 0
    or flag off), 47 no debt in the asset. (No price-oracle sentinel is set.)"""
    require(collateral.active and debt.active, E.RESERVE_INACTIVE)
    require(not collateral.paused and not debt.paused, E.RESERVE_PAUSED)
    require(health_factor < HEALTH_FACTOR_LIQUIDATION_THRESHOLD, E.HEALTH_FACTOR_NOT_BELOW_THRESHOLD)
    require(collateral.liquidation_threshold != 0 and collateral.id in config.collateral,
            E.COLLATERAL_CANNOT_BE_LIQUIDATED)
    require(total_debt != 0, E.SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER)


def validate_health_factor(ps: PoolStorage, config: UserConfiguration, user: str, emode: int) -> tuple[int, bool]:
    """``validateHealthFactor``: (HF, has zero-LTV collateral). Raises 35 when HF < 1."""
    account = calculate_user_account_data(ps, config, user, emode)
    require(account.health_factor >= HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
            E.HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)
    return account.health_factor, account.has_zero_ltv_collateral


def validate_hf_and_ltv(ps: PoolStorage, config: UserConfiguration, asset: str, user: str, emode: int) -> None:
    """``validateHFAndLtv``: HF ≥ 1 (35), and with zero-LTV collateral only a zero-LTV asset may leave (57)."""
    _, has_zero_ltv = validate_health_factor(ps, config, user, emode)
    require(not has_zero_ltv or ps.reserves[asset].ltv == 0, E.LTV_VALIDATION_FAILED)


def validate_set_use_reserve_as_collateral(r: ReserveData, user_balance: int) -> None:
    """``validateSetUseReserveAsCollateral``: 43 zero balance, 27 inactive, 29 paused."""
    require(user_balance != 0, E.UNDERLYING_BALANCE_ZERO)
    require(r.active, E.RESERVE_INACTIVE)
    require(not r.paused, E.RESERVE_PAUSED)


def validate_use_as_collateral(ps: PoolStorage, config: UserConfiguration, r: ReserveData) -> bool:
    """``validateUseAsCollateral``: LTV ≠ 0, and either no collateral yet or neither the user nor the asset
    isolated."""
    if r.ltv == 0:
        return False
    if not config.collateral:
        return True
    isolated, _, _ = ps.get_isolation_mode_state(config)
    return not isolated and r.debt_ceiling == 0


def validate_automatic_use_as_collateral(ps: PoolStorage, config: UserConfiguration, r: ReserveData) -> bool:
    """``validateAutomaticUseAsCollateral``: an isolated asset is never switched on automatically (no account
    holds ``ISOLATED_COLLATERAL_SUPPLIER_ROLE`` here); otherwise ``validate_use_as_collateral``."""
    if r.debt_ceiling != 0:
        return False
    return validate_use_as_collateral(ps, config, r)


def validate_set_user_emode(ps: PoolStorage, config: UserConfiguration, category_id: int) -> None:
    """``validateSetUserEMode``: 58 for an unknown category or a borrowed asset outside it."""
    require(category_id == 0 or (category_id in ps.emode_categories
                                 and ps.emode_categories[category_id].liquidation_threshold != 0),
            E.INCONSISTENT_EMODE_CATEGORY)
    if config.is_empty() or category_id == 0:
        return
    for i in sorted(config.borrowing):
        require(ps.reserves[ps.reserves_list[i]].emode_category == category_id, E.INCONSISTENT_EMODE_CATEGORY)
