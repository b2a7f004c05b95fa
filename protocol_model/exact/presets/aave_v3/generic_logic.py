"""Aave's ``GenericLogic.calculateUserAccountData``: collateral and debt in the base currency (USD, 8
decimals), the value-weighted average LTV and liquidation threshold, and the health factor (WAD)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.presets.aave_v3.e_mode_logic import get_emode_configuration, is_in_emode_category
from protocol_model.exact.presets.aave_v3.percentage_math import percent_mul
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.reserve_logic import get_normalized_debt, get_normalized_income
from protocol_model.exact.presets.aave_v3.state import UserConfiguration
from protocol_model.exact.presets.aave_v3.wad_ray_math import UINT256_MAX, ray_mul, wad_div


@dataclass(frozen=True)
class AccountData:
    """What ``calculateUserAccountData`` returns (base currency amounts with 8 decimals, bps, HF in WAD)."""

    total_collateral_base: int
    total_debt_base: int
    avg_ltv: int
    avg_liquidation_threshold: int
    health_factor: int
    has_zero_ltv_collateral: bool


def calculate_user_account_data(ps: PoolStorage, config: UserConfiguration, user: str,
                                emode: int) -> AccountData:
    """``calculateUserAccountData``: for each reserve in id order used as collateral (threshold ≠ 0) add
    balance × price / unit (rounded down) and weight the LTV and threshold (eMode ones for assets of the
    user's category); add each borrowed reserve's debt × price / unit. HF = (collateral ⊗ avg threshold)
    ÷wad debt, or 2^256 − 1 without debt."""
    if config.is_empty():
        return AccountData(0, 0, 0, 0, UINT256_MAX, False)
    emode_ltv = emode_threshold = emode_price = 0
    if emode != 0:
        emode_ltv, emode_threshold, emode_price = get_emode_configuration(ps, emode)
    collateral = debt = avg_ltv = avg_threshold = 0
    has_zero_ltv = False
    for i, asset in enumerate(ps.reserves_list):
        if i not in config.collateral and i not in config.borrowing:
            continue
        r = ps.reserves[asset]
        unit = 10**r.decimals
        price = emode_price if emode_price != 0 and emode == r.emode_category else ps.get_asset_price(asset)
        if r.liquidation_threshold != 0 and i in config.collateral:
            income = get_normalized_income(r, ps.now)
            value = ray_mul(r.a_token.scaled_balance_of(user), income) * price // unit
            collateral += value
            in_emode = is_in_emode_category(emode, r.emode_category)
            if r.ltv != 0:
                avg_ltv += value * (emode_ltv if in_emode else r.ltv)
            else:
                has_zero_ltv = True
            avg_threshold += value * (emode_threshold if in_emode else r.liquidation_threshold)
        if i in config.borrowing:
            scaled = r.variable_debt_token.scaled_balance_of(user)
            user_debt = ray_mul(scaled, get_normalized_debt(r, ps.now)) if scaled != 0 else 0
            debt += price * user_debt // unit
    avg_ltv = avg_ltv // collateral if collateral != 0 else 0
    avg_threshold = avg_threshold // collateral if collateral != 0 else 0
    hf = UINT256_MAX if debt == 0 else wad_div(percent_mul(collateral, avg_threshold), debt)
    return AccountData(collateral, debt, avg_ltv, avg_threshold, hf, has_zero_ltv)


def calculate_available_borrows(total_collateral_base: int, total_debt_base: int, ltv: int) -> int:
    """``calculateAvailableBorrows``: collateral ⊗ LTV − debt, floored at 0 (base currency)."""
    available = percent_mul(total_collateral_base, ltv)
    return 0 if available < total_debt_base else available - total_debt_base
