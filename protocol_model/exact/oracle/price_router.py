"""Price feeds as the PriceRouter reads them (twin of contracts/oracle/PriceRouter.sol).

A ``Feed`` is the latest round of a Chainlink-style aggregator with every field ``latestRoundData`` returns
(``roundId, answer, startedAt, updatedAt, answeredInRound``), plus the previous round's answer (the circuit
breaker's reference). ``updated_at = None`` is a *heartbeating* feed (``MockAggregator`` between explicit
rounds): its latest round is dated at the block that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from protocol_model.exact import errors
from protocol_model.exact.decimal_context import EXACT

MAX_PRICE_WAD = 10**36
"""Largest price (USD per whole token, WAD) the router accepts: ``PriceRouter.MAX_PRICE_WAD``. Above it the
answer gets ``PriceOverflow``; at or below it the pool's value math (amount < 2**128) cannot overflow."""


@dataclass
class Feed:
    """The latest round of a Chainlink-style aggregator (answer scaled by ``decimals``)."""

    answer: int
    decimals: int = 8
    round_id: int = 1
    updated_at: int | None = None
    """Seconds; ``None``: the feed heartbeats, its round is dated at the reading block (``MockAggregator``)."""
    prev_answer: int = 0
    """Answer of round ``round_id - 1`` (0: none), the circuit breaker's reference."""
    reverts: bool = False
    """The feed's reads revert (``ScriptedFeed.setReverting``)."""
    min_answer: int = 0
    max_answer: int = 0
    """The aggregator's own band: pushed answers are clamped into it when ``min_answer < max_answer``."""
    started_at: int | None = None
    """The round's ``startedAt`` (``None``: same as ``updated_at``); for a sequencer-uptime feed, when the
    status changed."""
    answered_in_round: int | None = None
    """The round's ``answeredInRound`` (``None``: ``round_id``, a complete round)."""

    def __post_init__(self) -> None:
        if not 0 <= self.decimals <= 18:
            raise errors.InvalidDecimals(self.decimals)

    def updated_at_seen(self, now: int) -> int:
        """``updatedAt`` as a call at block time ``now`` reads it."""
        return now if self.updated_at is None else self.updated_at

    def started_at_seen(self, now: int) -> int:
        """``startedAt`` as a call at block time ``now`` reads it."""
        return self.updated_at_seen(now) if self.started_at is None else self.started_at

    def answered_in(self) -> int:
        """``answeredInRound`` of the latest round."""
        return self.round_id if self.answered_in_round is None else self.answered_in_round

    def pushed(self, answer: int, now: int, age_s: int = 0) -> Feed:
        """The feed after a new round (``ScriptedFeed.setAnswer``/``pushRound``, ``MockAggregator.setAnswer``):
        clamped, one round on, complete; a heartbeating feed pushed with no age keeps heartbeating."""
        if self.min_answer < self.max_answer:
            answer = min(max(answer, self.min_answer), self.max_answer)
        updated = None if self.updated_at is None and age_s == 0 else now - age_s
        return replace(self, answer=answer, round_id=self.round_id + 1, updated_at=updated, started_at=None,
                       answered_in_round=None, prev_answer=self.answer)

    def with_round(self, answer: int, started_at: int, updated_at: int, answered_in_round: int) -> Feed:
        """The feed after ``ScriptedFeed.setRound``: a new round with every field given (not clamped)."""
        return replace(self, answer=answer, round_id=self.round_id + 1, updated_at=updated_at,
                       started_at=started_at, answered_in_round=answered_in_round, prev_answer=self.answer)


def answer_to_wad(asset: str, answer: int, decimals: int) -> int:
    """``answer · 10**(18 − decimals)``, the router's price scaling, after ``InvalidPrice`` (answer <= 0)
    and ``PriceOverflow`` (price above ``MAX_PRICE_WAD``) — ``PriceRouter._toWad``."""
    if answer <= 0:
        raise errors.InvalidPrice(asset, answer)
    if answer > MAX_PRICE_WAD // 10 ** (18 - decimals):
        raise errors.PriceOverflow(asset, answer)
    return answer * 10 ** (18 - decimals)


def price_wad(asset: str, feed: Feed | None) -> int:
    """USD price of one whole token in WAD as the router gives it for a heartbeating feed with no policy
    (strategy and perp twins): ``FeedNotSet``, ``InvalidPrice``, ``PriceOverflow``."""
    if feed is None:
        raise errors.FeedNotSet(asset)
    return answer_to_wad(asset, feed.answer, feed.decimals)


def usd_to_answer(price_usd: float | str | Decimal, decimals: int = 8) -> int:
    """A decimal USD price as a feed answer (exact for decimal strings)."""
    return int(EXACT.scaleb(Decimal(str(price_usd)), decimals).to_integral_value())
