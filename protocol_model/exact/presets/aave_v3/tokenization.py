"""Aave's ``AToken`` and ``VariableDebtToken`` as the pool calls them: scaled mints and burns
(``ScaledBalanceTokenBase._mintScaled`` / ``_burnScaled``: amount rayDiv index, half up, never zero), the
aToken's underlying transfers and its transfer on liquidation."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3 import errors as E
from protocol_model.exact.presets.aave_v3.errors import require
from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage
from protocol_model.exact.presets.aave_v3.reserve_logic import get_normalized_income
from protocol_model.exact.presets.aave_v3.state import ReserveData, ScaledBalanceToken
from protocol_model.exact.presets.aave_v3.wad_ray_math import ray_div, ray_mul


def mint_scaled(token: ScaledBalanceToken, user: str, amount: int, index: int) -> bool:
    """``_mintScaled``: credit amount ⊘ index (half up) scaled units; True on the user's first units.
    Raises 24 when that is zero."""
    scaled = ray_div(amount, index)
    require(scaled != 0, E.INVALID_MINT_AMOUNT)
    return token.mint_scaled(user, scaled)


def burn_scaled(token: ScaledBalanceToken, user: str, amount: int, index: int) -> None:
    """``_burnScaled``: debit amount ⊘ index (half up) scaled units. Raises 25 when zero, ``Panic(0x11)``
    when the user holds fewer."""
    scaled = ray_div(amount, index)
    require(scaled != 0, E.INVALID_BURN_AMOUNT)
    token.burn_scaled(user, scaled)


def a_token_burn(ps: PoolStorage, r: ReserveData, user: str, receiver: str, amount: int, index: int) -> None:
    """``AToken.burn``: burn the scaled amount, then send the underlying to ``receiver`` (unless it is the
    aToken itself)."""
    burn_scaled(r.a_token, user, amount, index)
    if receiver != r.a_token.address:
        ps.ledger.transfer(r.asset, r.a_token.address, receiver, amount)


def a_token_balance_of(ps: PoolStorage, r: ReserveData, user: str) -> int:
    """``AToken.balanceOf``: scaled balance ⊗ the normalized income now."""
    return ray_mul(r.a_token.scaled_balance_of(user), get_normalized_income(r, ps.now))


def a_token_transfer_on_liquidation(ps: PoolStorage, r: ReserveData, src: str, dst: str, amount: int) -> None:
    """``AToken.transferOnLiquidation``: move amount ⊘ normalized income (half up) scaled units, no checks
    of health (``validate = false``). Raises ``Panic(0x11)`` when ``src`` holds fewer."""
    r.a_token.transfer_scaled(src, dst, ray_div(amount, get_normalized_income(r, ps.now)))
