"""The oracle side of a deployed scenario: ScriptedFeed feeds, fallbacks, the sequencer feed, policies.

Twin of ``protocol_model/world/oracle_world.py``; deployed by ``ChainWorld.deploy`` (adapter.py), its step
kinds' calls are ``ORACLE_CALLS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from protocol_model.chain.deployment import PoolDeployment
from protocol_model.chain.driver import Call, Contract
from protocol_model.chain.steps import time_only
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.oracle import has_sequencer, uses_oracle
from protocol_model.world.action import Action
from protocol_model.world.oracle_world import FEED_DECIMALS, SEQUENCER, fallback_key, feed_round_fields

ZERO_ADDRESS = "0x" + "0" * 40


def feed_contract(world: PoolDeployment) -> Any:
    """ScriptedFeed (every failure mode, round history) for oracle scenarios, else the plain mock."""
    p = world.project
    return p.ScriptedFeed if uses_oracle(world.scenario) else p.MockAggregator


def deploy_oracle(world: PoolDeployment) -> None:
    """Aggregator bands, fallback feeds, the sequencer feed and each asset's policy; records every
    feed's initial round time (``world.feed_times``) for the model."""
    if not uses_oracle(world.scenario):
        return
    d, project, router, drv = world.deployer, world.project, world.router, world.driver
    sequencer = ZERO_ADDRESS
    if has_sequencer(world.scenario):
        feed = drv.deploy(project.ScriptedFeed, FEED_DECIMALS, 0, "L2 sequencer uptime", sender=d)
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
            feed = drv.deploy(project.ScriptedFeed, FEED_DECIMALS, usd_to_answer(str(o.fallback_price_usd)),
                              f"{spec.name} / USD fallback", sender=d)
            world.oracle_feeds[fallback_key(spec.name)] = feed
            fallback = feed.address
        router.setOraclePolicy(world.tokens[spec.name], o.policy().as_tuple(fallback, sequencer), sender=d)
    for name, feed in list(world.feeds.items()) + list(world.oracle_feeds.items()):
        world.feed_times[name] = drv.view(feed, "latestRoundData")[3]


def _feed(world: PoolDeployment, a: Action) -> Contract:
    """The primary or the fallback feed an oracle action names."""
    return world.oracle_feeds[fallback_key(a.asset)] if a.source == "fallback" else world.feeds[a.asset]


def _feed_round(w: PoolDeployment, a: Action) -> Call:
    """``ScriptedFeed.setRound`` with every round field of a ``feed_round`` step, dated from the call's block
    time (``ChainWorld.apply`` sets ``last_time`` to it first), as the model dates it."""
    feed = _feed(w, a)
    updated, started, answered = feed_round_fields(a, w.last_time, feed.latestRound() + 1)
    return w.call(a, feed, "setRound", a.answer, started, updated, answered)


ORACLE_CALLS: dict[str, Callable[[PoolDeployment, Action], Call | None]] = {
    "feed": lambda w, a: w.call(a, _feed(w, a), "pushRound", a.answer, a.seconds),
    "feed_round": _feed_round,
    "feed_revert": lambda w, a: w.call(a, _feed(w, a), "setReverting", a.flag),
    "sequencer": lambda w, a: w.call(a, w.oracle_feeds[SEQUENCER], "setSequencerStatus", a.flag),
    "market": time_only,
}
"""Oracle step kinds -> chain call (``market`` moves the model's market price only: nothing is sent)."""
