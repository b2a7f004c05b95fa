"""Aave's ``SupplyLogic``: supply, withdraw and the collateral switch."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3 import errors as E
from protocol_model.exact.presets.aave_v3 import reserve_logic as RL
from protocol_model.exact.presets.aave_v3 import validation_logic as V
from protocol_model.exact.presets.aave_v3.errors import require
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.tokenization import a_token_balance_of, a_token_burn, mint_scaled
from protocol_model.exact.presets.aave_v3.wad_ray_math import UINT256_MAX, ray_mul


def execute_supply(ps: PoolStorage, caller: str, asset: str, amount: int, on_behalf_of: str) -> None:
    """``executeSupply``: update the state, validate, new rates with ``amount`` added, pull the tokens into the
    aToken, mint amount ⊘ index scaled aTokens to ``on_behalf_of``; on its first units turn the reserve on
    as collateral when ``validateAutomaticUseAsCollateral`` allows."""
    r = ps.reserves[asset]
    c = RL.cache(r)
    RL.update_state(r, c, ps.now)
    V.validate_supply(r, c, amount)
    RL.update_interest_rates(r, c, ps.ledger, amount, 0)
    ps.ledger.transfer_from(asset, ps.pool_address, caller, r.a_token.address, amount)
    if mint_scaled(r.a_token, on_behalf_of, amount, c.next_liquidity_index):
        config = ps.user_config(on_behalf_of)
        if V.validate_automatic_use_as_collateral(ps, config, r):
            config.set_using_as_collateral(r.id, True)


def execute_withdraw(ps: PoolStorage, caller: str, asset: str, amount: int, to: str) -> int:
    """``executeWithdraw``: update the state, the balance at the new index (``max`` = all of it), validate,
    new rates with the amount taken, collateral flag off when withdrawing everything, burn and send, then
    (collateral while borrowing) ``validateHFAndLtv``. Returns the amount withdrawn."""
    r = ps.reserves[asset]
    c = RL.cache(r)
    RL.update_state(r, c, ps.now)
    user_balance = ray_mul(r.a_token.scaled_balance_of(caller), c.next_liquidity_index)
    to_withdraw = user_balance if amount == UINT256_MAX else amount
    V.validate_withdraw(r, to_withdraw, user_balance)
    RL.update_interest_rates(r, c, ps.ledger, 0, to_withdraw)
    config = ps.user_config(caller)
    is_collateral = r.id in config.collateral
    if is_collateral and to_withdraw == user_balance:
        config.set_using_as_collateral(r.id, False)
    a_token_burn(ps, r, caller, to, to_withdraw, c.next_liquidity_index)
    if is_collateral and config.borrowing:
        V.validate_hf_and_ltv(ps, config, asset, caller, ps.users_emode.get(caller, 0))
    return to_withdraw


def execute_use_reserve_as_collateral(ps: PoolStorage, caller: str, asset: str, use: bool) -> None:
    """``executeUseReserveAsCollateral``: 43 without a balance; switching on needs ``validateUseAsCollateral``
    (62); switching off is followed by ``validateHFAndLtv``."""
    r = ps.reserves[asset]
    V.validate_set_use_reserve_as_collateral(r, a_token_balance_of(ps, r, caller))
    config = ps.user_config(caller)
    if use == (r.id in config.collateral):
        return
    if use:
        require(V.validate_use_as_collateral(ps, config, r), E.USER_IN_ISOLATION_MODE_OR_LTV_ZERO)
        config.set_using_as_collateral(r.id, True)
    else:
        config.set_using_as_collateral(r.id, False)
        V.validate_hf_and_ltv(ps, config, asset, caller, ps.users_emode.get(caller, 0))
