"""Storage of the margin engine (twin of ``PerpEngine``'s structs and events in contracts/perp/PerpEngine.sol)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.perp.params import MarketParams


@dataclass
class Market:
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
    size_wad: int = 0
    open_notional_wad: int = 0
    funding_snapshot_wad: int = 0
    isolated: bool = False


@dataclass(frozen=True)
class Margin:
    equity_wad: int
    initial_wad: int
    maintenance_wad: int


@dataclass(frozen=True)
class FundingEvent:
    market: int
    premium_wad: int
    rate_wad: int
    delta_wad: int


@dataclass(frozen=True)
class LiquidationEvent:
    market: int
    account: str
    liquidator: str
    closed_size_wad: int
    price_wad: int
    penalty_wad: int
    reward_wad: int


@dataclass(frozen=True)
class BankruptcyEvent:
    market: int
    account: str
    shortfall_wad: int
    from_insurance_wad: int
    socialized_wad: int
    unsocialized_wad: int
