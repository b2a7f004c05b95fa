"""The oracle side of a deployed scenario: ScriptedFeed feeds, fallbacks, the sequencer feed, policies.

Twin of ``protocol_model/world/oracle_world.py``; called by ``ChainWorld`` (adapter.py).
"""

from __future__ import annotations

from protocol_model.scenario.oracle import has_sequencer, uses_oracle
from protocol_model.world.oracle_world import FEED_DECIMALS, SEQUENCER, fallback_key, feed_round_fields

ZERO_ADDRESS = "0x" + "0" * 40


def feed_contract(world):
    """ScriptedFeed (every failure mode, round history) for oracle scenarios, else the plain mock."""
    p = world.project
    return p.ScriptedFeed if uses_oracle(world.scenario) else p.MockAggregator


def deploy_oracle(world) -> None:
    """Aggregator bands, fallback feeds, the sequencer feed and each asset's policy; records every
    feed's initial round time (``world.feed_times``) for the model."""
    if not uses_oracle(world.scenario):
        return
    d, project, router = world.deployer, world.project, world.router
    sequencer = ZERO_ADDRESS
    if has_sequencer(world.scenario):
        feed = d.deploy(project.ScriptedFeed, FEED_DECIMALS, 0, "L2 sequencer uptime")
        world.oracle_feeds[SEQUENCER] = feed
        sequencer = feed.address
    for spec in world.scenario.assets:
        o = spec.oracle
        if o is None:
            continue
        lo, hi = o.feed_band()
        if (lo, hi) != (0, 0):
            world.feeds[spec.name].setAnswerBounds(lo, hi, sender=d)
        fallback = ZERO_ADDRESS
        if o.fallback_price_usd is not None:
            from protocol_model.exact.oracle.price_router import usd_to_answer

            feed = d.deploy(project.ScriptedFeed, FEED_DECIMALS, usd_to_answer(o.fallback_price_usd),
                            f"{spec.name} / USD fallback")
            world.oracle_feeds[fallback_key(spec.name)] = feed
            fallback = feed.address
        router.setOraclePolicy(world.tokens[spec.name], o.policy().as_tuple(fallback, sequencer), sender=d)
    for name, feed in list(world.feeds.items()) + list(world.oracle_feeds.items()):
        world.feed_times[name] = feed.latestRoundData()[3]


def oracle_call_target(world, action) -> tuple[object, str, tuple]:
    a = action
    if a.kind in ("feed", "feed_round", "feed_revert"):
        feed = world.oracle_feeds[fallback_key(a.asset)] if a.source == "fallback" else world.feeds[a.asset]
        if a.kind == "feed":
            return feed, "pushRound", (a.answer, a.seconds)
        if a.kind == "feed_round":  # ChainWorld.apply set last_time to the call's block time
            updated, started, answered = feed_round_fields(a, world.last_time, feed.latestRound() + 1)
            return feed, "setRound", (a.answer, started, updated, answered)
        return feed, "setReverting", (a.flag,)
    if a.kind == "sequencer":
        return world.oracle_feeds[SEQUENCER], "setSequencerStatus", (a.flag,)
    raise ValueError(f"unknown oracle action {a.kind}")
