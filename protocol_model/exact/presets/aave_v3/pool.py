"""Aave V3's ``Pool`` entry points and views over the twin's storage. Every entry point is atomic (the
project's revert journal): a revert leaves every reserve, user and token balance as it was.

Block time: each entry point takes ``now`` (the block time it runs at); views read at ``self.now`` (the head
block's time, set with :meth:`Pool.at`)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.aave_v3 import validation_logic as V
from protocol_model.exact.presets.aave_v3.borrow_logic import execute_borrow, execute_repay
from protocol_model.exact.presets.aave_v3.generic_logic import (
    calculate_available_borrows,
    calculate_user_account_data,
)
from protocol_model.exact.presets.aave_v3.liquidation_logic import LiquidationAmounts, execute_liquidation_call
from protocol_model.exact.presets.aave_v3.params import MarketParams
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.reserve_logic import get_normalized_debt, get_normalized_income
from protocol_model.exact.presets.aave_v3.state import EModeCategory, ReserveData
from protocol_model.exact.presets.aave_v3.supply_logic import (
    execute_supply,
    execute_use_reserve_as_collateral,
    execute_withdraw,
)
from protocol_model.exact.presets.aave_v3.wad_ray_math import ray_mul


@dataclass(frozen=True)
class UserAccountData:
    """``Pool.getUserAccountData``: base-currency amounts (8 decimals), threshold and LTV (bps), HF (WAD)."""

    total_collateral_base: int
    total_debt_base: int
    available_borrows_base: int
    current_liquidation_threshold: int
    ltv: int
    health_factor: int


class Pool(PoolStorage):
    """The Aave V3 pool twin. Accounts and assets are names (the fuzzer maps them to chain addresses)."""

    @classmethod
    def listed(cls, params: MarketParams, ledger: Ledger, treasury: str) -> Pool:
        """A pool with ``params``' reserves (asset name = reserve symbol, ids in listing order), eMode
        categories and prices, as the deployment leaves the chain."""
        pool = cls(ledger=ledger, treasury=treasury)
        for i, r in enumerate(params.reserves):
            pool.reserves[r.symbol] = ReserveData.listed(r.symbol, i, r)
            pool.reserves_list.append(r.symbol)
            pool.prices[r.symbol] = r.price
        for e in params.emodes:
            pool.emode_categories[e.category_id] = EModeCategory(e.ltv, e.liquidation_threshold,
                                                                 e.liquidation_bonus, e.price_source)
        return pool

    def at(self, now: int) -> Pool:
        """Set the block time views read at (the head block's); returns the pool."""
        self.now = now
        return self

    # ------------------------------------------------------------------ entry points

    @reverts_atomically
    def supply(self, caller: str, asset: str, amount: int, on_behalf_of: str, now: int) -> None:
        """``supply(asset, amount, onBehalfOf, 0)`` sent by ``caller`` at ``now``. Raises ``AaveError``."""
        self.now = now
        execute_supply(self, caller, asset, amount, on_behalf_of)

    @reverts_atomically
    def withdraw(self, caller: str, asset: str, amount: int, to: str, now: int) -> int:
        """``withdraw(asset, amount, to)``; returns the amount withdrawn. Raises ``AaveError``."""
        self.now = now
        return execute_withdraw(self, caller, asset, amount, to)

    @reverts_atomically
    def borrow(self, caller: str, asset: str, amount: int, rate_mode: int, now: int) -> None:
        """``borrow(asset, amount, rateMode, 0, caller)``. Raises ``AaveError``."""
        self.now = now
        execute_borrow(self, caller, asset, amount, rate_mode)

    @reverts_atomically
    def repay(self, caller: str, asset: str, amount: int, rate_mode: int, on_behalf_of: str, now: int) -> int:
        """``repay(asset, amount, rateMode, onBehalfOf)``; returns the amount repaid. Raises ``AaveError``."""
        self.now = now
        return execute_repay(self, caller, asset, amount, rate_mode, on_behalf_of)

    @reverts_atomically
    def liquidation_call(self, caller: str, collateral_asset: str, debt_asset: str, user: str, debt_to_cover: int,
                         receive_a_token: bool, now: int) -> LiquidationAmounts:
        """``liquidationCall(collateral, debt, user, debtToCover, receiveAToken)``. Raises ``AaveError``."""
        self.now = now
        return execute_liquidation_call(self, caller, collateral_asset, debt_asset, user, debt_to_cover,
                                        receive_a_token)

    @reverts_atomically
    def set_user_use_reserve_as_collateral(self, caller: str, asset: str, use: bool, now: int) -> None:
        """``setUserUseReserveAsCollateral(asset, use)``. Raises ``AaveError``."""
        self.now = now
        execute_use_reserve_as_collateral(self, caller, asset, use)

    @reverts_atomically
    def set_user_emode(self, caller: str, category_id: int, now: int) -> None:
        """``setUserEMode(categoryId)`` (``EModeLogic.executeSetUserEMode``): 58 for an unknown category or a
        borrowed asset outside it; leaving a category then requires HF ≥ 1 (35)."""
        self.now = now
        config = self.user_config(caller)
        V.validate_set_user_emode(self, config, category_id)
        prev = self.users_emode.get(caller, 0)
        self.users_emode[caller] = category_id
        if prev != 0:
            V.validate_health_factor(self, config, caller, category_id)

    def set_price(self, asset: str, price: int) -> None:
        """The asset's aggregator answers ``price`` from now on (``setAnswer``; never reverts)."""
        self.prices[asset] = price

    # ------------------------------------------------------------------ views (at self.now)

    def get_user_account_data(self, user: str) -> UserAccountData:
        """``getUserAccountData(user)``."""
        d = calculate_user_account_data(self, self.user_config(user), user, self.users_emode.get(user, 0))
        return UserAccountData(d.total_collateral_base, d.total_debt_base,
                               calculate_available_borrows(d.total_collateral_base, d.total_debt_base, d.avg_ltv),
                               d.avg_liquidation_threshold, d.avg_ltv, d.health_factor)

    def normalized_income(self, asset: str) -> int:
        """``getReserveNormalizedIncome(asset)``."""
        return get_normalized_income(self.reserves[asset], self.now)

    def normalized_debt(self, asset: str) -> int:
        """``getReserveNormalizedVariableDebt(asset)``."""
        return get_normalized_debt(self.reserves[asset], self.now)

    def a_token_balance(self, asset: str, user: str) -> int:
        """``AToken.balanceOf(user)``."""
        return ray_mul(self.reserves[asset].a_token.scaled_balance_of(user), self.normalized_income(asset))

    def a_token_total_supply(self, asset: str) -> int:
        """``AToken.totalSupply()``."""
        return ray_mul(self.reserves[asset].a_token.total, self.normalized_income(asset))

    def variable_debt_balance(self, asset: str, user: str) -> int:
        """``VariableDebtToken.balanceOf(user)``."""
        return ray_mul(self.reserves[asset].variable_debt_token.scaled_balance_of(user), self.normalized_debt(asset))

    def variable_debt_total_supply(self, asset: str) -> int:
        """``VariableDebtToken.totalSupply()``."""
        return ray_mul(self.reserves[asset].variable_debt_token.total, self.normalized_debt(asset))

    def user_configuration(self, user: str) -> int:
        """``getUserConfiguration(user).data``: bit 2·id borrowing, bit 2·id + 1 collateral."""
        config = self.user_config(user)
        return sum(1 << (2 * i) for i in config.borrowing) + sum(1 << (2 * i + 1) for i in config.collateral)
