"""Per-asset oracle policy and the router's validated price: twin of ``PriceRouter.setOraclePolicy`` and
``PriceRouter.priceWad`` (contracts/oracle/PriceRouter.sol), check for check, error for error.

Order of checks (docs/oracles/policy.md): ``FeedNotSet``; sequencer (``FeedReverted``, ``SequencerDown``,
``InvalidRound`` for ``startedAt = 0``, ``GracePeriodNotOver``); the primary feed (``FeedReverted``,
``InvalidPrice``, ``PriceOverflow``, ``InvalidRound``, ``StalePrice``, ``PriceOutOfBounds``, ``PriceJump``); if
the primary is rejected and a fallback is set, the fallback under the same checks; if both are rejected, the
primary's error. Zero, future and incomplete rounds are rejected under every policy, and a policy without a
maximum age (including no policy at all) gets ``DEFAULT_MAX_AGE_S``.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact import errors
from protocol_model.exact.math_lib import BPS
from protocol_model.exact.oracle.price_router import MAX_PRICE_WAD, Feed, answer_to_wad

MAX_AGE_LIMIT_S = 30 * 86_400
DEFAULT_MAX_AGE_S = 25 * 3_600
"""``PriceRouter.DEFAULT_MAX_AGE_SEC``: the maximum age when a policy sets none (Chainlink's longest usual
heartbeat, 24 h, plus an hour)."""
MAX_GRACE_PERIOD_S = 86_400


@dataclass(frozen=True)
class OraclePolicy:
    """``PriceRouter.OraclePolicy``; zero in a field disables that check."""

    max_age_s: int = 0
    """A round older than this (seconds) is stale; 0: ``DEFAULT_MAX_AGE_S``."""
    min_price_wad: int = 0
    """Accepted prices are strictly above this ..."""
    max_price_wad: int = 0
    """... and strictly below this (0: no cap)."""
    max_jump_bps: int = 0
    """Circuit breaker: |answer − previous round| / previous round above this is rejected."""
    has_fallback: bool = False
    """A fallback feed is read when the primary is rejected."""
    has_sequencer: bool = False
    """An L2 sequencer-uptime feed gates every price."""
    grace_period_s: int = 0
    """After the sequencer comes back up, prices stay rejected this long."""

    def validate(self) -> OraclePolicy:
        """Same checks, same order, same errors as ``PriceRouter.setOraclePolicy`` (after ``FeedNotSet``;
        the fallback's decimals are checked when its ``Feed`` is built)."""
        if not 0 <= self.max_age_s <= MAX_AGE_LIMIT_S:
            raise errors.InvalidOraclePolicy("maxAgeSec")
        if self.min_price_wad < 0 or (self.max_price_wad != 0 and self.max_price_wad <= self.min_price_wad):
            raise errors.InvalidOraclePolicy("maxPriceWad")
        if not 0 <= self.max_jump_bps <= BPS:
            raise errors.InvalidOraclePolicy("maxJumpBps")
        if not self.has_sequencer and self.grace_period_s != 0:
            raise errors.InvalidOraclePolicy("gracePeriodSec")
        if not 0 <= self.grace_period_s <= MAX_GRACE_PERIOD_S:
            raise errors.InvalidOraclePolicy("gracePeriodSec")
        return self

    def as_tuple(self, fallback_address: str, sequencer_address: str) -> tuple:
        """ABI order of the Solidity struct."""
        return (self.max_age_s, self.max_jump_bps, self.grace_period_s, self.min_price_wad, self.max_price_wad,
                fallback_address, sequencer_address)


def effective_max_age_s(policy: OraclePolicy) -> int:
    """The maximum age a policy enforces (``PriceRouter._maxAge``): its own, or the default."""
    return policy.max_age_s or DEFAULT_MAX_AGE_S


def checked_price_wad(asset: str, feed: Feed, policy: OraclePolicy, now: int) -> int:
    """One source under the policy (``PriceRouter._checkedPrice``): the price in WAD at block time ``now``.

    Raises FeedReverted, InvalidPrice, PriceOverflow, InvalidRound (updatedAt zero or after ``now``, or
    answeredInRound < roundId), StalePrice, PriceOutOfBounds, PriceJump — in this order."""
    if feed.reverts:
        raise errors.FeedReverted(asset)
    answer = feed.answer
    price = answer_to_wad(asset, answer, feed.decimals)
    updated_at = feed.updated_at_seen(now)
    if updated_at == 0 or updated_at > now or feed.answered_in() < feed.round_id:
        raise errors.InvalidRound(asset, updated_at)
    if now - updated_at > effective_max_age_s(policy):
        raise errors.StalePrice(asset, updated_at)
    if price <= policy.min_price_wad or (policy.max_price_wad != 0 and price >= policy.max_price_wad):
        raise errors.PriceOutOfBounds(asset, price)
    if policy.max_jump_bps != 0 and feed.round_id != 0 and 0 < feed.prev_answer <= MAX_PRICE_WAD:
        prev = feed.prev_answer
        if abs(answer - prev) * BPS > policy.max_jump_bps * prev:
            raise errors.PriceJump(asset, answer, prev)
    return price


def check_sequencer(asset: str, sequencer: Feed, grace_period_s: int, now: int) -> None:
    """``PriceRouter._checkSequencer``: answer 0 = up; the round's ``startedAt`` is when the status changed
    (0 is an invalid round, Chainlink's documented convention). Raises FeedReverted, SequencerDown,
    InvalidRound, GracePeriodNotOver."""
    if sequencer.reverts:
        raise errors.FeedReverted(asset)
    if sequencer.answer != 0:
        raise errors.SequencerDown()
    up_since = sequencer.started_at_seen(now)
    if up_since == 0:
        raise errors.InvalidRound(asset, 0)
    if up_since > now or now - up_since <= grace_period_s:
        raise errors.GracePeriodNotOver(up_since)


def router_price_wad(asset: str, feed: Feed | None, policy: OraclePolicy | None, fallback: Feed | None,
                     sequencer: Feed | None, now: int) -> int:
    """``PriceRouter.priceWad``: the validated USD price (WAD) of one whole token at block time ``now``."""
    if feed is None:
        raise errors.FeedNotSet(asset)
    policy = policy or OraclePolicy()
    if policy.has_sequencer:
        if sequencer is None:
            raise ValueError("policy has a sequencer but the model has no sequencer feed")
        check_sequencer(asset, sequencer, policy.grace_period_s, now)
    try:
        return checked_price_wad(asset, feed, policy, now)
    except errors.PoolError:
        if not policy.has_fallback:
            raise
        if fallback is None:
            raise ValueError("policy has a fallback but the model has no fallback feed") from None
        try:
            return checked_price_wad(asset, fallback, policy, now)
        except errors.PoolError:
            pass
        raise
