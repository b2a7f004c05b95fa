"""Aave's ``BorrowLogic`` (variable rate only) and ``IsolationModeLogic.updateIsolatedDebtIfIsolated``."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3 import reserve_logic as RL
from protocol_model.exact.presets.aave_v3 import validation_logic as V
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.state import ReserveData, UserConfiguration
from protocol_model.exact.presets.aave_v3.tokenization import burn_scaled, mint_scaled
from protocol_model.exact.presets.aave_v3.wad_ray_math import ray_mul


def execute_borrow(ps: PoolStorage, caller: str, asset: str, amount: int, rate_mode: int) -> None:
    """``executeBorrow`` (``onBehalfOf`` = the caller): update the state, isolation state, ``validateBorrow``,
    mint amount ⊘ index (half up) scaled variable debt, add to the isolated debt, new rates with the amount
    taken, send the underlying from the aToken."""
    r = ps.reserves[asset]
    c = RL.cache(r)
    RL.update_state(r, c, ps.now)
    config = ps.user_config(caller)
    isolation = ps.get_isolation_mode_state(config)
    V.validate_borrow(ps, r, c, config, caller, amount, rate_mode, ps.users_emode.get(caller, 0), isolation)
    if mint_scaled(r.variable_debt_token, caller, amount, c.next_variable_borrow_index):
        config.set_borrowing(r.id, True)
    c.next_scaled_variable_debt = r.variable_debt_token.total
    active, collateral_asset, _ = isolation
    if active:
        assert collateral_asset is not None
        ps.reserves[collateral_asset].isolation_mode_total_debt += ps.isolated_debt_units(r, amount)
    RL.update_interest_rates(r, c, ps.ledger, 0, amount)
    ps.ledger.transfer(asset, r.a_token.address, caller, amount)


def execute_repay(ps: PoolStorage, caller: str, asset: str, amount: int, rate_mode: int,
                  on_behalf_of: str) -> int:
    """``executeRepay`` (with the underlying, not aTokens): update the state, the debt at the new index,
    ``validateRepay``, repay min(amount, debt), burn, new rates with the repayment added, borrowing flag off
    when cleared, isolated debt down, pull the tokens into the aToken. Returns the amount repaid."""
    r = ps.reserves[asset]
    c = RL.cache(r)
    RL.update_state(r, c, ps.now)
    variable_debt = ray_mul(r.variable_debt_token.scaled_balance_of(on_behalf_of), c.next_variable_borrow_index)
    V.validate_repay(r, amount, rate_mode, caller, on_behalf_of, variable_debt)
    payback = min(amount, variable_debt)
    burn_scaled(r.variable_debt_token, on_behalf_of, payback, c.next_variable_borrow_index)
    c.next_scaled_variable_debt = r.variable_debt_token.total
    RL.update_interest_rates(r, c, ps.ledger, payback, 0)
    config = ps.user_config(on_behalf_of)
    if variable_debt - payback == 0:
        config.set_borrowing(r.id, False)
    update_isolated_debt_if_isolated(ps, config, r, payback)
    ps.ledger.transfer_from(asset, ps.pool_address, caller, r.a_token.address, payback)
    return payback


def update_isolated_debt_if_isolated(ps: PoolStorage, config: UserConfiguration, debt_reserve: ReserveData,
                                     repay_amount: int) -> None:
    """``updateIsolatedDebtIfIsolated``: lower the isolated collateral's total debt by the repayment in
    2-decimal units (down), floored at zero."""
    active, collateral_asset, _ = ps.get_isolation_mode_state(config)
    if not active:
        return
    assert collateral_asset is not None
    collateral = ps.reserves[collateral_asset]
    repaid = ps.isolated_debt_units(debt_reserve, repay_amount)
    collateral.isolation_mode_total_debt = max(collateral.isolation_mode_total_debt - repaid, 0)


