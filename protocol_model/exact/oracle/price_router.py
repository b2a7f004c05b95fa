"""Price feeds as the PriceRouter reads them (twin of contracts/oracle/PriceRouter.sol)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from protocol_model.exact import errors


@dataclass
class Feed:
    """The latest round of a Chainlink-style aggregator (answer scaled by ``decimals``)."""

    answer: int
    decimals: int = 8
    round_id: int = 1
    updated_at: int = 0
    prev_answer: int = 0
    """Answer of round ``round_id - 1`` (0: none), the circuit breaker's reference."""
    reverts: bool = False
    """The feed's reads revert (``ScriptedFeed.setReverting``)."""
    min_answer: int = 0
    max_answer: int = 0
    """The aggregator's own band: pushed answers are clamped into it when ``min_answer < max_answer``."""

    def __post_init__(self) -> None:
        if not 0 <= self.decimals <= 18:
            raise errors.InvalidDecimals(self.decimals)

    def pushed(self, answer: int, now: int, age_s: int = 0) -> Feed:
        """The feed after a new round (``ScriptedFeed.setAnswer``/``pushRound``): clamped, one round on."""
        if self.min_answer < self.max_answer:
            answer = min(max(answer, self.min_answer), self.max_answer)
        return replace(self, answer=answer, round_id=self.round_id + 1, updated_at=now - age_s,
                       prev_answer=self.answer)


def price_wad(asset: str, feed: Feed | None) -> int:
    """USD price of one whole token in WAD; answers <= 0 rejected."""
    if feed is None:
        raise errors.FeedNotSet(asset)
    if feed.answer <= 0:
        raise errors.InvalidPrice(asset, feed.answer)
    return feed.answer * 10 ** (18 - feed.decimals)


def usd_to_answer(price_usd: float | str, decimals: int = 8) -> int:
    """A decimal USD price as a feed answer (exact for decimal strings)."""
    from decimal import Decimal

    return int((Decimal(str(price_usd)) * (10**decimals)).to_integral_value())
