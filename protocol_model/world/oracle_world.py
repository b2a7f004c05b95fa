"""The oracle side of a scenario's model world: feeds, fallbacks, the sequencer, policies, market prices.

``ModelWorld`` (world.py) calls these hooks; the chain adapter's twin is ``chain/oracle_adapter.py``.
"""

from __future__ import annotations

from dataclasses import replace

from protocol_model.exact.oracle.price_router import Feed, usd_to_answer
from protocol_model.scenario.oracle import has_sequencer

FEED_DECIMALS = 8


def fallback_key(asset: str) -> str:
    """The ``feed_times`` / ``listed_at`` key of an asset's fallback feed (its deployment time)."""
    return f"{asset}/fallback"


SEQUENCER = "sequencer"


def resolve_oracle(step, action_cls):
    """A validated oracle step -> Action (USD prices -> 8-decimal answers); ``ValueError`` for an unknown op."""
    if step.op == "feed":
        return action_cls("feed", asset=step.asset, source=step.source, answer=step.raw_answer(), seconds=step.age_s)
    if step.op == "feed_revert":
        return action_cls("feed_revert", asset=step.asset, source=step.source, flag=step.reverts)
    if step.op == "sequencer":
        return action_cls("sequencer", flag=step.up)
    if step.op == "market":
        return action_cls("market", asset=step.asset, answer=usd_to_answer(step.price_usd))
    raise ValueError(f"unknown oracle step {step.op}")


def setup_oracle(world, scenario, listed_at: dict[str, int], feed_times: dict[str, int] | None) -> None:
    """Policies, aggregator bands, fallback feeds and the sequencer feed, timed as deployed."""
    times = feed_times or {}
    pool = world.pool
    for spec in scenario.assets:
        world.market[spec.name] = spec.answer()
        if spec.oracle is None:
            continue
        t = listed_at[spec.name]
        lo, hi = spec.oracle.feed_band()
        pool.feeds[spec.name] = replace(pool.feeds[spec.name], updated_at=times.get(spec.name, t),
                                        min_answer=lo, max_answer=hi)
        pool.oracle_policies[spec.name] = spec.oracle.policy()
        if spec.oracle.fallback_price_usd is not None:
            key = fallback_key(spec.name)
            pool.fallback_feeds[spec.name] = Feed(usd_to_answer(spec.oracle.fallback_price_usd), FEED_DECIMALS,
                                                  updated_at=times.get(key, t))
    if has_sequencer(scenario):
        start = times.get(SEQUENCER, min(listed_at.values()))
        pool.sequencer_feed = Feed(0, FEED_DECIMALS, updated_at=start)


def apply_oracle(world, action, now: int) -> None:
    """Run one oracle action in the model (feeds never revert on these calls).

    Raises ``ValueError`` for an unknown action kind and ``KeyError`` for a fallback feed the scenario did
    not configure (the scenario schema rules both out).
    """
    pool, a = world.pool, action
    if a.kind == "feed":
        book = pool.fallback_feeds if a.source == "fallback" else pool.feeds
        book[a.asset] = book[a.asset].pushed(a.answer, now, a.seconds)
    elif a.kind == "feed_revert":
        book = pool.fallback_feeds if a.source == "fallback" else pool.feeds
        book[a.asset] = replace(book[a.asset], reverts=a.flag)
    elif a.kind == "sequencer":
        pool.sequencer_feed = pool.sequencer_feed.pushed(0 if a.flag else 1, now)
    elif a.kind == "market":
        world.market[a.asset] = a.answer
    else:
        raise ValueError(f"unknown oracle action {a.kind}")
