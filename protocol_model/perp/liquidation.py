"""Liquidation and bankruptcy of the margin engine (twin of PerpEngine.liquidate / _bankrupt).

The liquidator takes over the closed part of the position at the index price. A bucket left with no
position and a negative balance is bankrupt: the insurance fund pays first, the rest is charged to the
open positions on the other side of the market pro rata to size (through that side's funding index), and
only when that side is empty is it recorded as unsocialised loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..fixed_point import WAD, bps_mul_down, bps_mul_up, mul_div_up
from . import errors

if TYPE_CHECKING:
    from .engine import PerpEngine


def liquidate(engine: PerpEngine, liquidator: str, account: str, market: int, now: int) -> None:
    from .engine import BankruptcyEvent, LiquidationEvent

    engine._require_listed(market)
    if account == liquidator:
        raise errors.SelfTrade()
    p = engine.position(account, market)
    if p.size_wad == 0:
        raise errors.NoPosition()
    engine._accrue_all(now)
    iso, was_long = p.isolated, p.size_wad > 0
    m = engine.markets[market]
    mg = engine.margin(account, iso, market)
    if mg.equity_wad >= mg.maintenance_wad:
        raise errors.NotLiquidatable()
    price = engine.index_price(m.index_asset)
    abs_size = abs(p.size_wad)
    if mg.equity_wad < bps_mul_down(mg.maintenance_wad, m.params.full_liquidation_bps):
        close_abs = abs_size
    else:
        close_abs = min(bps_mul_up(abs_size, m.params.close_factor_bps), abs_size)
    closed = close_abs if was_long else -close_abs
    engine.fill(account, market, -closed, price)
    liquidator_up = engine.fill(liquidator, market, closed, price)
    bal = engine.balance(account, iso, market)
    penalty = min(bps_mul_up(mul_div_up(close_abs, price, WAD), m.params.liquidation_penalty_bps), max(bal, 0))
    engine.add_balance(account, iso, market, -penalty)
    reward = bps_mul_down(penalty, m.params.liquidator_share_bps)
    engine.cross_balance_wad[liquidator] = engine.cross_balance_wad.get(liquidator, 0) + reward
    engine.insurance_fund_wad += penalty - reward
    engine.events.append(LiquidationEvent(market, account, liquidator, closed, price, penalty, reward))
    if not engine.has_positions(account, iso, market) and engine.balance(account, iso, market) < 0:
        shortfall = -engine.balance(account, iso, market)
        engine.add_balance(account, iso, market, shortfall)
        from_insurance = min(engine.insurance_fund_wad, shortfall)
        engine.insurance_fund_wad -= from_insurance
        rest, socialized = shortfall - from_insurance, 0
        if rest > 0:
            winners_oi = m.short_oi_wad if was_long else m.long_oi_wad
            if winners_oi > 0:
                charge = mul_div_up(rest, WAD, winners_oi)
                if was_long:
                    m.cum_short_wad -= charge
                else:
                    m.cum_long_wad += charge
                socialized = rest
            else:
                engine.unsocialized_loss_wad += rest
        engine.events.append(BankruptcyEvent(market, account, shortfall, from_insurance, socialized,
                                             rest - socialized))
    engine.check_margin(liquidator, market, liquidator_up)
