"""A USD feed read from a Uniswap V2 pair: twin of contracts/oracle/PairPriceFeed.sol.

``spot`` prices the base token from the pair's current reserves (movable within one transaction);
``twap`` from the pair's cumulative prices (``V2Pair.cumulative_prices``) since an observation at least
``window_s`` old. Either is multiplied by the quote token's own USD feed answer (8 decimals) and rounded
down, with the contract's integer formula: ``price_x112 · 10**base_dec · quote_answer // (10**quote_dec << 112)``.

``round`` is what the router reads: round 2 at the current price, the previous round (the circuit breaker's
reference) at the average price since the newest observation at least ``reference_span_s`` old (else the previous
one, which ``update()`` keeps at least that much older: the reference averages over at least
``reference_span_s``, or since deployment before then, so a pump held k seconds weighs at most
k / ``reference_span_s`` in it), dated by the quote feed's round (its oldest input), incomplete if the quote's
round is; a TWAP round 2 no later than its observation's timestamp + ``window_s`` (an average over
``window_s + x`` seconds is ``x`` seconds late).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from protocol_model.exact.amm.uniswap_v2_pair import Q112, UINT256, V2Pair
from protocol_model.exact.errors import PoolError
from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.math_lib import INT256_MAX, checked_mul, mul_div_down
from protocol_model.exact.oracle.price_router import Feed

FEED_DECIMALS = 8
LATEST_ROUND = 2
REFERENCE_ROUND = 1
DEFAULT_SPOT_REFERENCE_SPAN_S = 1_800
"""A spot feed's reference span when a file sets none (a TWAP feed's default is its window)."""


def default_reference_span_s(twap: bool, window_s: int) -> int:
    """The reference span a feed gets when none is given: the TWAP window in TWAP mode, else 1,800 s (seconds).
    Raises nothing."""
    return window_s if twap and window_s > 0 else DEFAULT_SPOT_REFERENCE_SPAN_S


class PairFeedError(PoolError):
    """A revert of PairPriceFeed; ``name`` is the contract's error name (PairFeedErrorsLib)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def name(self) -> str:
        """The contract's error name (``PairFeedErrorsLib``: NotInPair, InvalidWindow, InvalidReferenceSpan, EmptyPair,
        AnswerTooLarge, WindowNotElapsed,
        InvalidQuotePrice, NoSuchRound, ...), compared against the chain's revert. Raises nothing."""
        return self.reason


@dataclass(frozen=True)
class Observation:
    """``PairPriceFeed.Observation``: the base token's price cumulative (UQ112x112 quote per base × seconds, wrapping
    mod 2^256) recorded at ``timestamp`` (seconds)."""
    cumulative: int
    timestamp: int


@dataclass
class PairPriceFeed:
    """One deployed feed: which pair, which of its tokens it prices, the mode, the least span of its reference
    round (``referenceSpanSec``, seconds) and its two observations."""

    pair: V2Pair
    base: str
    base_decimals: int
    quote_decimals: int
    twap: bool
    window_s: int
    newest: Observation
    previous: Observation
    reference_span_s: int = DEFAULT_SPOT_REFERENCE_SPAN_S

    journal_links: ClassVar[tuple[str, ...]] = ("pair",)
    """The pair (and through it the ledger holding the journal) this feed reads."""

    @classmethod
    def deploy(cls, pair: V2Pair, base: str, base_decimals: int, quote_decimals: int, twap: bool,
               window_s: int, now: int, reference_span_s: int | None = None) -> PairPriceFeed:
        """The constructor: checks the token, window and reference span (``None``: ``default_reference_span_s``),
        records the first observation at ``now``. Raises NotInPair, InvalidWindow, InvalidReferenceSpan (<= 0)."""
        if base not in (pair.token0, pair.token1):
            raise PairFeedError("NotInPair")
        if twap and window_s <= 0:
            raise PairFeedError("InvalidWindow")
        span = default_reference_span_s(twap, window_s) if reference_span_s is None else reference_span_s
        if span <= 0:
            raise PairFeedError("InvalidReferenceSpan")
        first = Observation(cumulative_of(pair, base, now), now)
        return cls(pair, base, base_decimals, quote_decimals, twap, window_s, first, first, span)

    @property
    def quote(self) -> str:
        """The pair's other token, whose own USD feed turns the pair price into USD (the contract's ``baseIsToken0``
        decides it). Raises nothing."""
        return self.pair.token1 if self.base == self.pair.token0 else self.pair.token0

    @reverts_atomically
    def update(self, now: int) -> bool:
        """``update()``: record an observation once the newest is ``update_gap_s`` old (at most one per block)."""
        if now - self.newest.timestamp < self.update_gap_s:
            return False
        self.previous, self.newest = self.newest, Observation(cumulative_of(self.pair, self.base, now), now)
        return True

    @property
    def update_gap_s(self) -> int:
        """``updateGapSec``: max(window, reference span), the least time between two observations. Raises nothing."""
        return max(self.window_s, self.reference_span_s)

    def price_x112(self, now: int) -> int:
        """Base price in quote units per base unit, UQ112x112 (spot or the window's average)."""
        if not self.twap:
            reserve_base, reserve_quote = self.pair.reserves(self.base)
            if reserve_base == 0 or reserve_quote == 0:
                raise PairFeedError("EmptyPair")
            return reserve_quote * Q112 // reserve_base
        return self._average_since(self.twap_observation(now), now)

    def twap_observation(self, now: int) -> Observation:
        """``_twapObservation``: the observation a TWAP read at ``now`` averages from, the newest at least
        ``window_s`` old. Raises WindowNotElapsed when neither is."""
        obs = self.newest if now - self.newest.timestamp >= self.window_s else self.previous
        if now - obs.timestamp < self.window_s:
            raise PairFeedError("WindowNotElapsed")
        return obs

    def averaged_until(self, now: int) -> int | None:
        """The latest date round 2 may carry (``_latest``'s ``notAfter``): in TWAP mode the observation's timestamp +
        ``window_s`` (an average over ``window_s + x`` seconds is ``x`` seconds late); None in spot mode (the
        quote's date). Raises WindowNotElapsed as ``twap_observation``."""
        return self.twap_observation(now).timestamp + self.window_s if self.twap else None

    def _average_since(self, obs: Observation, now: int) -> int:
        """``_averageSince``: the pair's average price of the base (UQ112x112) over ``(obs.timestamp, now]``."""
        return (cumulative_of(self.pair, self.base, now) - obs.cumulative) % UINT256 // (now - obs.timestamp)

    def answer(self, quote_answer: int, now: int) -> int:
        """``latestRoundData().answer`` at ``now`` given the quote feed's answer."""
        return self._answer_at(self.price_x112(now), quote_answer)

    def reference_x112(self, now: int) -> int | None:
        """Round 1's pair price: the average since the newest observation at least ``reference_span_s`` old, else
        the previous one (None: in the deployment block, ``getRoundData(1)`` reverts ``NoSuchRound``)."""
        obs = self.newest if now - self.newest.timestamp >= self.reference_span_s else self.previous
        if obs.timestamp >= now:
            return None
        return self._average_since(obs, now)

    def round(self, quote: Feed, now: int) -> Feed:
        """The round the router reads at ``now`` (``latestRoundData`` and ``getRoundData(1)``) given the quote
        feed: answer, dates and completeness from the quote (a TWAP's no later than ``averaged_until``);
        ``prev_answer`` 0 when round 1 does not read."""
        answer = self.answer(quote.answer, now)
        until = self.averaged_until(now)
        reference = 0
        ref_x112 = self.reference_x112(now)
        if ref_x112 is not None:
            try:
                reference = self._answer_at(ref_x112, quote.answer)
            except PoolError:  # the router's try/catch around getRoundData(1): any revert, a panic included
                reference = 0
        complete = quote.answered_in() >= quote.round_id
        updated_at, started_at = quote.updated_at_seen(now), quote.started_at_seen(now)
        if until is not None:
            updated_at, started_at = min(updated_at, until), min(started_at, until)
        return Feed(answer, FEED_DECIMALS, LATEST_ROUND, updated_at, prev_answer=reference, started_at=started_at,
                    answered_in_round=LATEST_ROUND if complete else LATEST_ROUND - 1)

    def _answer_at(self, price_x112: int, quote_answer: int) -> int:
        """``_round``'s answer: the pair price times the quote answer, rounded down (InvalidQuotePrice,
        AnswerTooLarge when it does not fit an int256). Solidity's checked ``baseScale * answer`` and ``Math.mulDiv``
        revert ``Panic(0x11)`` (``MathOverflow``) above uint256: a quote answer above ~1.16e77 / 10^base_decimals."""
        if quote_answer <= 0:
            raise PairFeedError("InvalidQuotePrice")
        answer = mul_div_down(price_x112, checked_mul(10**self.base_decimals, quote_answer),
                              10**self.quote_decimals * Q112)
        if answer > INT256_MAX:
            raise PairFeedError("AnswerTooLarge")
        return answer


def live_round(feed: PairPriceFeed, quote: Feed, now: int) -> Feed:
    """What the router reads from ``feed`` at ``now`` given the quote asset's feed: ``feed.round``, or a reverting
    feed when the read would revert (the quote feed reverting, a ``PairFeedError``, a ``Panic(0x11)`` of its
    arithmetic; the router's try/catch). The contract computes it at read time, from the pair's reserves of that
    moment: a swap earlier in the same transaction (a flash loan's callback, a Looper round) moves a spot answer.
    Raises nothing of its own."""
    try:
        if quote.reverts:
            raise PairFeedError("FeedReverted")
        return feed.round(quote, now)
    except PoolError:
        return Feed(0, FEED_DECIMALS, LATEST_ROUND, now, reverts=True)


def cumulative_of(pair: V2Pair, base: str, now: int) -> int:
    """The pair's cumulative price of ``base`` as of ``now`` (price0 if base is token0, else price1)."""
    p0, p1 = pair.cumulative_prices(now)
    if base == pair.token0:
        return p0
    if base == pair.token1:
        return p1
    raise PairFeedError("NotInPair")
