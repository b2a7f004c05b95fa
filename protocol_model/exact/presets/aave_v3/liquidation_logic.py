"""Aave's ``LiquidationLogic.executeLiquidationCall``: close factor 50 % while HF > 0.95, 100 % at or below;
the collateral seized is debt × price ratio × LIF, capped by the balance (then the debt shrinks); the
protocol fee is a share of the bonus part, sent as aTokens to the treasury; ``receiveAToken`` hands the
liquidator aTokens instead of the underlying. No bad debt is written off in this version."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.presets.aave_v3 import reserve_logic as RL
from protocol_model.exact.presets.aave_v3 import validation_logic as V
from protocol_model.exact.presets.aave_v3.borrow_logic import update_isolated_debt_if_isolated
from protocol_model.exact.presets.aave_v3.e_mode_logic import is_in_emode_category
from protocol_model.exact.presets.aave_v3.generic_logic import calculate_user_account_data
from protocol_model.exact.presets.aave_v3.percentage_math import percent_div, percent_mul
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.reserve_logic import get_normalized_income
from protocol_model.exact.presets.aave_v3.state import ReserveData
from protocol_model.exact.presets.aave_v3.tokenization import (
    a_token_balance_of,
    a_token_burn,
    a_token_transfer_on_liquidation,
    burn_scaled,
)
from protocol_model.exact.presets.aave_v3.wad_ray_math import WAD, ray_div, ray_mul

DEFAULT_LIQUIDATION_CLOSE_FACTOR = 5_000
MAX_LIQUIDATION_CLOSE_FACTOR = 10_000
CLOSE_FACTOR_HF_THRESHOLD = 95 * WAD // 100


@dataclass(frozen=True)
class LiquidationAmounts:
    """``_calculateAvailableCollateralToLiquidate``: collateral to the liquidator, debt repaid, protocol fee
    (collateral units)."""

    collateral: int
    debt: int
    protocol_fee: int


def close_factor(health_factor: int) -> int:
    """The close factor (bps) at ``health_factor`` (WAD): 50 % above 0.95, 100 % at or below."""
    return DEFAULT_LIQUIDATION_CLOSE_FACTOR if health_factor > CLOSE_FACTOR_HF_THRESHOLD \
        else MAX_LIQUIDATION_CLOSE_FACTOR


def calculate_available_collateral_to_liquidate(collateral: ReserveData, debt: ReserveData, collateral_price: int,
                                                debt_price: int, debt_to_cover: int, user_collateral: int,
                                                bonus: int) -> LiquidationAmounts:
    """base = debt price × debt × collateral unit / (collateral price × debt unit) (down); max = base ⊗ LIF;
    above the user's balance the whole balance is taken and the debt is balance's worth ⊘ LIF; the fee is
    (collateral − collateral ⊘ LIF) ⊗ protocol fee, taken out of the liquidator's collateral."""
    c_unit, d_unit = 10**collateral.decimals, 10**debt.decimals
    base = debt_price * debt_to_cover * c_unit // (collateral_price * d_unit)
    max_collateral = percent_mul(base, bonus)
    if max_collateral > user_collateral:
        amount = user_collateral
        debt_needed = percent_div(collateral_price * amount * d_unit // (debt_price * c_unit), bonus)
    else:
        amount, debt_needed = max_collateral, debt_to_cover
    if collateral.liquidation_protocol_fee != 0:
        bonus_collateral = amount - percent_div(amount, bonus)
        fee = percent_mul(bonus_collateral, collateral.liquidation_protocol_fee)
        return LiquidationAmounts(amount - fee, debt_needed, fee)
    return LiquidationAmounts(amount, debt_needed, 0)


def execute_liquidation_call(ps: PoolStorage, caller: str, collateral_asset: str, debt_asset: str, user: str,
                             debt_to_cover: int, receive_a_token: bool) -> LiquidationAmounts:
    """``executeLiquidationCall``, step for step (see the module docstring). Returns the amounts."""
    collateral, debt = ps.reserves[collateral_asset], ps.reserves[debt_asset]
    config = ps.user_config(user)
    emode = ps.users_emode.get(user, 0)
    dc = RL.cache(debt)
    RL.update_state(debt, dc, ps.now)
    hf = calculate_user_account_data(ps, config, user, emode).health_factor
    user_variable_debt = ray_mul(debt.variable_debt_token.scaled_balance_of(user), dc.next_variable_borrow_index)
    max_liquidatable = percent_mul(user_variable_debt, close_factor(hf))
    actual_debt = min(debt_to_cover, max_liquidatable)
    V.validate_liquidation_call(config, collateral, debt, user_variable_debt, hf)
    bonus = collateral.liquidation_bonus
    c_source, d_source = collateral_asset, debt_asset
    if emode != 0:
        source = ps.emode_categories[emode].price_source
        if is_in_emode_category(emode, collateral.emode_category):
            bonus = ps.emode_categories[emode].liquidation_bonus
            if source is not None:
                c_source = source
        if source is not None:
            d_source = source
    user_collateral = a_token_balance_of(ps, collateral, user)
    amounts = calculate_available_collateral_to_liquidate(
        collateral, debt, ps.get_asset_price(c_source), ps.get_asset_price(d_source), actual_debt,
        user_collateral, bonus)
    if user_variable_debt == amounts.debt:
        config.set_borrowing(debt.id, False)
    if amounts.collateral + amounts.protocol_fee == user_collateral:
        config.set_using_as_collateral(collateral.id, False)
    burn_scaled(debt.variable_debt_token, user, amounts.debt, dc.next_variable_borrow_index)
    dc.next_scaled_variable_debt = debt.variable_debt_token.total
    RL.update_interest_rates(debt, dc, ps.ledger, amounts.debt, 0)
    update_isolated_debt_if_isolated(ps, config, debt, amounts.debt)
    if receive_a_token:
        _liquidate_a_tokens(ps, caller, collateral, user, amounts.collateral)
    else:
        cc = RL.cache(collateral)
        RL.update_state(collateral, cc, ps.now)
        RL.update_interest_rates(collateral, cc, ps.ledger, 0, amounts.collateral)
        a_token_burn(ps, collateral, user, caller, amounts.collateral, cc.next_liquidity_index)
    fee = amounts.protocol_fee
    if fee != 0:
        index = get_normalized_income(collateral, ps.now)
        scaled_user = collateral.a_token.scaled_balance_of(user)
        if ray_div(fee, index) > scaled_user:
            fee = ray_mul(scaled_user, index)
        a_token_transfer_on_liquidation(ps, collateral, user, ps.treasury, fee)
    ps.ledger.transfer_from(debt_asset, ps.pool_address, caller, debt.a_token.address, amounts.debt)
    return LiquidationAmounts(amounts.collateral, amounts.debt, fee)


def _liquidate_a_tokens(ps: PoolStorage, caller: str, collateral: ReserveData, user: str, amount: int) -> None:
    previous = a_token_balance_of(ps, collateral, caller)
    a_token_transfer_on_liquidation(ps, collateral, user, caller, amount)
    if previous == 0:
        config = ps.user_config(caller)
        if V.validate_automatic_use_as_collateral(ps, config, collateral):
            config.set_using_as_collateral(collateral.id, True)
