"""A USD feed read from a Uniswap V2 pair: twin of contracts/oracle/PairPriceFeed.sol.

``spot`` prices the base token from the pair's current reserves (movable within one transaction);
``twap`` from the pair's cumulative prices (``V2Pair.cumulative_prices``) since an observation at least
``window_s`` old. Either is multiplied by the quote token's own USD feed answer (8 decimals) and rounded
down, with the contract's integer formula: ``price_x112 · 10**base_dec · quote_answer // (10**quote_dec << 112)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from protocol_model.exact.amm.uniswap_v2_pair import Q112, UINT256, V2Pair
from protocol_model.exact.errors import PoolError
from protocol_model.exact.journal import reverts_atomically

FEED_DECIMALS = 8


class PairFeedError(PoolError):
    """A revert of PairPriceFeed; ``name`` is the contract's error name (PairFeedErrorsLib)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def name(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Observation:
    cumulative: int
    timestamp: int


@dataclass
class PairPriceFeed:
    """One deployed feed: which pair, which of its tokens it prices, the mode and its two observations."""

    pair: V2Pair
    base: str
    base_decimals: int
    quote_decimals: int
    twap: bool
    window_s: int
    newest: Observation
    previous: Observation

    journal_links: ClassVar[tuple[str, ...]] = ("pair",)
    """The pair (and through it the ledger holding the journal) this feed reads."""

    @classmethod
    def deploy(cls, pair: V2Pair, base: str, base_decimals: int, quote_decimals: int, twap: bool,
               window_s: int, now: int) -> PairPriceFeed:
        """The constructor: checks the token and window, records the first observation at ``now``."""
        if base not in (pair.token0, pair.token1):
            raise PairFeedError("NotInPair")
        if twap and window_s <= 0:
            raise PairFeedError("InvalidWindow")
        first = Observation(cumulative_of(pair, base, now), now)
        return cls(pair, base, base_decimals, quote_decimals, twap, window_s, first, first)

    @property
    def quote(self) -> str:
        return self.pair.token1 if self.base == self.pair.token0 else self.pair.token0

    @reverts_atomically
    def update(self, now: int) -> bool:
        """``update()``: record an observation once the newest is a window old."""
        if now - self.newest.timestamp < self.window_s:
            return False
        self.previous, self.newest = self.newest, Observation(cumulative_of(self.pair, self.base, now), now)
        return True

    def price_x112(self, now: int) -> int:
        """Base price in quote units per base unit, UQ112x112 (spot or the window's average)."""
        if not self.twap:
            reserve_base, reserve_quote = self.pair.reserves(self.base)
            if reserve_base == 0 or reserve_quote == 0:
                raise PairFeedError("EmptyPair")
            return reserve_quote * Q112 // reserve_base
        obs = self.newest if now - self.newest.timestamp >= self.window_s else self.previous
        elapsed = now - obs.timestamp
        if elapsed < self.window_s:
            raise PairFeedError("WindowNotElapsed")
        return (cumulative_of(self.pair, self.base, now) - obs.cumulative) % UINT256 // elapsed

    def answer(self, quote_answer: int, now: int) -> int:
        """``latestRoundData().answer`` at ``now`` given the quote feed's answer."""
        if quote_answer <= 0:
            raise PairFeedError("InvalidQuotePrice")
        return (self.price_x112(now) * 10**self.base_decimals * quote_answer
                // (10**self.quote_decimals * Q112))


def cumulative_of(pair: V2Pair, base: str, now: int) -> int:
    """The pair's cumulative price of ``base`` as of ``now`` (price0 if base is token0, else price1)."""
    p0, p1 = pair.cumulative_prices(now)
    if base == pair.token0:
        return p0
    if base == pair.token1:
        return p1
    raise PairFeedError("NotInPair")
