"""Scenario schema for oracles: the optional per-asset ``oracle`` block and the feed step ops.

Kept apart from ``story.py`` (which imports it); validated with the same one-error-naming-the-field
style (``ScenarioError``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from protocol_model.exact.math_lib import BPS
from protocol_model.exact.oracle.oracle_policy import MAX_AGE_LIMIT_S, MAX_GRACE_PERIOD_S, OraclePolicy
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.base import Strict
from protocol_model.scenario.units import Bps, FeedPrice, check_feed_price, usd_to_wad


class OracleSpec(Strict):
    """One asset's feed set-up and the router's policy for it. Zero disables a check."""

    max_age_s: int = Field(0, ge=0, le=MAX_AGE_LIMIT_S)
    """Maximum age of the round the price comes from (staleness), seconds."""
    min_price_usd: Decimal = Field(Decimal(0), ge=0)
    """Prices at or below this are rejected."""
    max_price_usd: Decimal = Field(Decimal(0), ge=0)
    """Prices at or above this are rejected (0: no cap)."""
    max_jump_bps: Bps = Field(0, alias="max_jump", ge=0, le=BPS)
    """Circuit breaker: a move larger than this from the previous round is rejected."""
    fallback_price_usd: Decimal | None = Field(None, gt=0)
    """Deploys a fallback feed starting at this price, read when the primary is rejected."""
    sequencer_grace_s: int | None = Field(None, ge=0, le=MAX_GRACE_PERIOD_S)
    """Gate this asset's price on the scenario's L2 sequencer-uptime feed, with this grace period."""
    feed_min_usd: FeedPrice = Field(Decimal(0), ge=0)
    feed_max_usd: FeedPrice = Field(Decimal(0), ge=0)
    """The primary aggregator's own band (Chainlink minAnswer/maxAnswer): answers are clamped into it."""

    _feed_prices = field_validator("fallback_price_usd")(check_feed_price)

    @model_validator(mode="after")
    def _consistent(self) -> OracleSpec:
        if self.max_price_usd != 0 and self.max_price_usd <= self.min_price_usd:
            raise ValueError(f"max_price_usd ({self.max_price_usd}) must be above min_price_usd "
                             f"({self.min_price_usd}), or 0 for no cap")
        if self.feed_max_usd != 0 and self.feed_max_usd <= self.feed_min_usd:
            raise ValueError(f"feed_max_usd ({self.feed_max_usd}) must be above feed_min_usd ({self.feed_min_usd})")
        self.policy()
        return self

    def policy(self) -> OraclePolicy:
        """The spec as the router's ``PriceRouter.OraclePolicy`` (USD bounds as WAD rounded to the nearest unit, ages
        and grace in seconds, jump in bps), validated as ``PriceRouter.setOraclePolicy`` does. Raises
        InvalidOraclePolicy (naming the policy field) when the combination is rejected."""
        return OraclePolicy(
            max_age_s=self.max_age_s, min_price_wad=usd_to_wad(self.min_price_usd),
            max_price_wad=usd_to_wad(self.max_price_usd), max_jump_bps=self.max_jump_bps,
            has_fallback=self.fallback_price_usd is not None, has_sequencer=self.sequencer_grace_s is not None,
            grace_period_s=self.sequencer_grace_s or 0,
        ).validate()

    def feed_band(self) -> tuple[int, int]:
        """(minAnswer, maxAnswer) of the primary aggregator, in 8-decimal answers; (0, 0) = no clamp."""
        if self.feed_max_usd == 0:
            return 0, 0
        return usd_to_answer(str(self.feed_min_usd)), usd_to_answer(str(self.feed_max_usd))


class _Op(Strict):
    expect: str = "ok"


Source = Literal["primary", "fallback"]


class PriceOrAnswer(Strict):
    """A round's value: exactly one of ``price_usd`` (checked like any feed price) and the raw ``answer``."""

    price_usd: Decimal | None = Field(None, ge=0)
    answer: int | None = None
    """Raw answer (8 decimals): e.g. zero, negative, beyond the largest price, or scaled with the wrong decimals."""

    _feed_price = field_validator("price_usd")(check_feed_price)

    @model_validator(mode="after")
    def _one_value(self) -> PriceOrAnswer:
        if (self.price_usd is None) == (self.answer is None):
            raise ValueError("give exactly one of price_usd or answer")
        return self

    def raw_answer(self) -> int:
        """The round's answer as the feed publishes it (8 decimals): ``answer`` as given, else ``price_usd`` × 10^8
        rounded to the nearest unit (``usd_to_answer``). Raises nothing (the model validator ensures one is set)."""
        if self.answer is not None:
            return self.answer
        assert self.price_usd is not None  # _one_value
        return usd_to_answer(self.price_usd)


class FeedOp(_Op, PriceOrAnswer):
    """A new round on one of the asset's feeds; the market price is not moved (see ``market``)."""

    op: Literal["feed"]
    asset: str
    source: Source = "primary"
    age_s: int = Field(0, ge=0, le=10 * 365 * 86_400)
    """The round's updatedAt lies this far in the past."""


class FeedRoundOp(_Op):
    """A round with every field chosen (``ScriptedFeed.setRound``): zero, future or incomplete rounds."""

    op: Literal["feed_round"]
    asset: str
    source: Source = "primary"
    answer: int
    """Raw answer (the feed's decimals)."""
    updated_age_s: int = Field(0, ge=-10 * 365 * 86_400, le=10 * 365 * 86_400)
    """updatedAt lies this far in the past (negative: in the future)."""
    started_age_s: int = Field(0, ge=0, le=10 * 365 * 86_400)
    """startedAt lies this far before updatedAt."""
    zero_updated: bool = False
    """updatedAt (and startedAt) = 0 instead."""
    answered_lag: int = Field(0, ge=0, le=10)
    """answeredInRound = roundId − this (> 0: an incomplete round)."""


class FeedRevertOp(_Op):
    """The feed's reads start (or stop) reverting."""

    op: Literal["feed_revert"]
    asset: str
    source: Source = "primary"
    reverts: bool = True


class SequencerOp(_Op):
    """The L2 sequencer goes down or comes back up (a new round on the uptime feed, started now)."""

    op: Literal["sequencer"]
    up: bool


class MarketOp(_Op):
    """The market price moves; no feed publishes it (the model records it to measure outcomes)."""

    op: Literal["market"]
    asset: str
    price_usd: Decimal = Field(gt=0)


ORACLE_STEPS = (FeedOp, FeedRoundOp, FeedRevertOp, SequencerOp, MarketOp)
ORACLE_OPS = ("feed", "feed_round", "feed_revert", "sequencer", "market")


def uses_oracle(scenario) -> bool:
    """A scenario with an oracle block or an oracle op runs on ScriptedFeed with time-exact views."""
    return any(a.oracle is not None for a in scenario.assets) or any(s.op in ORACLE_OPS for s in scenario.steps)


def has_sequencer(scenario) -> bool:
    """Whether any asset of ``scenario`` (a ``Scenario``) gates its price on the L2 sequencer-uptime feed
    (``oracle.sequencer_grace_s`` set), so the world deploys one. Raises nothing."""
    return any(a.oracle is not None and a.oracle.sequencer_grace_s is not None for a in scenario.assets)


def check_references(scenario) -> None:
    """Oracle ops refer to feeds that exist; raises ValueError naming the step field."""
    for i, step in enumerate(scenario.steps):
        if getattr(step, "source", None) == "fallback":
            spec = scenario.asset(step.asset).oracle
            if spec is None or spec.fallback_price_usd is None:
                raise ValueError(f"steps.{i}.source: asset '{step.asset}' has no fallback feed "
                                 "(set oracle.fallback_price_usd)")
        if step.op == "sequencer" and not has_sequencer(scenario):
            raise ValueError(f"steps.{i}.op: no asset uses a sequencer feed (set oracle.sequencer_grace_s)")
