"""The price a strategy contract reads from its lending pool's router (``pool.priceRouter().priceWad``)."""

from __future__ import annotations

from protocol_model.exact.lending.lending_pool import LendingPool
from protocol_model.exact.oracle.oracle_policy import router_price_wad


def pool_price_wad(pool: LendingPool, asset: str, now: int) -> int:
    """``pool.priceRouter().priceWad(asset)`` at block time ``now`` (seconds): USD per whole token in WAD, under the
    asset's oracle policy, fallback feed and sequencer feed, as the pool itself reads it (Looper, LeveragedToken).

    Raises the router's errors in its order: FeedNotSet, the sequencer's (FeedReverted, SequencerDown, InvalidRound,
    GracePeriodNotOver), then the feed's (FeedReverted, InvalidPrice, PriceOverflow, InvalidRound, StalePrice,
    PriceOutOfBounds, PriceJump; the fallback's price instead when it is set and accepted)."""
    return router_price_wad(asset, pool.feeds.get(asset), pool.oracle_policies.get(asset),
                            pool.fallback_feeds.get(asset), pool.sequencer_feed, now)
