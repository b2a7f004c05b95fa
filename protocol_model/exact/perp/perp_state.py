"""Storage of the margin engine (twin of ``PerpEngine``'s structs and events in contracts/perp/PerpEngine.sol)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.perp.params import MarketParams


@dataclass
class Market:
    """One listed market, twin of ``PerpEngine.Market`` plus its ``MarketParams`` (``_params[marketId]``).

    Prices are WAD quote units per whole base unit; ``cum_long_wad``/``cum_short_wad`` are the cumulative
    funding per whole unit of size (signed WAD quote units; they differ after a socialised loss);
    ``long_oi_wad``/``short_oi_wad`` are the open interest of each side (WAD base units);
    ``last_funding_time`` is the block time (seconds) of the last funding accrual.
    """

    index_asset: str
    params: MarketParams
    mark_price_wad: int
    last_funding_time: int
    mark_time: int
    """When the mark was set: the last trade, or the listing."""
    cum_long_wad: int = 0
    cum_short_wad: int = 0
    long_oi_wad: int = 0
    short_oi_wad: int = 0


@dataclass
class Position:
    """One account's position in one market, twin of ``PerpEngine.Position``.

    ``size_wad`` is signed WAD base units (> 0 long, < 0 short); ``open_notional_wad`` is its signed cost basis
    in WAD quote units (rounded up against the trader); ``funding_snapshot_wad`` is the side's cumulative funding
    index when funding was last settled; ``isolated`` says which margin bucket backs it.
    """

    size_wad: int = 0
    open_notional_wad: int = 0
    funding_snapshot_wad: int = 0
    isolated: bool = False


@dataclass(frozen=True)
class Margin:
    """A margin bucket's state, twin of ``PerpEngine.Margin`` (``_margin``, ``crossMargin``, ``isolatedMargin``).

    ``equity_wad``: balance + unrealised PnL at the index price − funding owed (signed WAD quote units);
    ``initial_wad``/``maintenance_wad``: Σ notional × initial/maintenance margin bps (rounded up, WAD quote units).
    """

    equity_wad: int
    initial_wad: int
    maintenance_wad: int


@dataclass(frozen=True)
class FundingEvent:
    """``PerpEventsLib.FundingAccrued``: ``premium_wad`` = (mark − index) / index (WAD, towards zero),
    ``rate_wad`` = premium capped at ± max funding rate (WAD), ``delta_wad`` = change of both cumulative funding
    indices (signed WAD quote units per whole unit of size).
    """

    market: int
    premium_wad: int
    rate_wad: int
    delta_wad: int


@dataclass(frozen=True)
class LiquidationEvent:
    """``PerpEventsLib.Liquidation``: ``closed_size_wad`` is the signed size taken over (WAD base units) at
    ``price_wad`` (the index, WAD); ``penalty_wad`` is charged to the account and ``reward_wad`` (its liquidator
    share) paid to the liquidator's cross balance, both WAD quote units.
    """

    market: int
    account: str
    liquidator: str
    closed_size_wad: int
    price_wad: int
    penalty_wad: int
    reward_wad: int


@dataclass(frozen=True)
class BankruptcyEvent:
    """``PerpEventsLib.Bankruptcy``: a bucket left with no position and a negative balance (``shortfall_wad``)
    is paid ``from_insurance_wad`` by the insurance fund, ``socialized_wad`` by the opposite side's positions,
    and the remainder ``unsocialized_wad`` is recorded as unsocialised loss (all WAD quote units).
    """

    market: int
    account: str
    shortfall_wad: int
    from_insurance_wad: int
    socialized_wad: int
    unsocialized_wad: int
