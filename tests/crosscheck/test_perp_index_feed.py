"""The margin engine's index price under a stale, future-dated, zero-dated or incomplete feed round, on both twins in
process.

PerpEngine reads its index through ``PriceRouter.priceWad``, which rejects such rounds (``StalePrice`` past the
default maximum age of a feed without policy, ``InvalidRound`` otherwise). The twin read only the answer, so it
traded, accrued funding and liquidated at a price the chain refused. Each case sets the same round on the chain's
MockAggregator and on the model's feed, then runs a trade and a liquidation attempt: both twins give the same
outcome and every readable field (PerpLens, where the index shows ``index_ok = 0``) agrees.
"""

from __future__ import annotations

import copy

import pytest

from protocol_model.chain.driver import Call
from protocol_model.chain.inprocess_world import deploy_perp_in_process
from protocol_model.exact.math_lib import WAD
from protocol_model.exact.oracle.oracle_policy import DEFAULT_MAX_AGE_S
from protocol_model.scenario.perp_fuzz import perp_fuzz_scenario
from protocol_model.world.perp_world import PerpAction
from tests.crosscheck.test_perp_fuzz import funded


@pytest.fixture(scope="module")
def perp_world():
    """The perp fuzz world on the in-process chain, funded, with its model twin."""
    return funded(deploy_perp_in_process(perp_fuzz_scenario()), perp_fuzz_scenario())


@pytest.mark.parametrize(("age", "lag", "trade", "withdraw"), [
    (DEFAULT_MAX_AGE_S + 1, 0, "StalePrice", "ok"),
    (DEFAULT_MAX_AGE_S, 0, "ok", "StalePrice"),  # accepted at the bound, stale one second later
    (-1, 0, "InvalidRound", "ok"),  # dated in the future
    (None, 0, "InvalidRound", "ok"),  # updatedAt = 0
    (0, 1, "InvalidRound", "ok"),  # answeredInRound behind the round id
])
def test_a_rejected_index_round_blocks_both_twins_alike(perp_world, age, lag, trade, withdraw):
    """bob buys 1 unit from carol right after the round is set (ages as of that block), then withdraws 1 token a
    second later: the withdrawal reads the index only when bob holds the position. Before the fix the twin traded
    at every one of these rounds and let the withdrawal through."""
    world, base = perp_world
    snap = world.driver.snapshot()
    model, now = copy.deepcopy(base), world.now() + 1
    engine, market = model.engine, 0
    asset = engine.markets[market].index_asset
    try:
        feed = engine.feeds[asset]
        round_id = feed.round_id + 1
        updated = 0 if age is None else now + 1 - age
        world.driver.send(Call(world.feeds[asset], "setRound",
                               (round_id, feed.answer, updated, updated, round_id - lag), world.deployer), now)
        engine.feeds[asset] = feed.with_round(feed.answer, updated, updated, round_id - lag)
        price = engine.index_price(asset)
        actions = (PerpAction("trade", market=market, buyer="bob", seller="carol", size_wad=WAD, price_wad=price),
                   PerpAction("withdraw", "bob", amount=10**6))
        for action, expected in zip(actions, (trade, withdraw), strict=True):
            now += 1
            assert (model.apply(action, now), world.apply(action, now)) == (expected, expected), action.describe()
            assert not model.snapshot().diff(world.snapshot()), action.describe()
    finally:
        world.driver.restore(snap)
