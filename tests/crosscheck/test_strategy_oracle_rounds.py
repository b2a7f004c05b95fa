"""The Looper and the leveraged token under a rejected oracle round, on both twins in process.

Both contracts read prices through ``pool.priceRouter().priceWad``: the router's per-asset policy, fallback feed,
sequencer gate and round checks apply (a stale, future-dated, zero-dated, incomplete or reverting round reverts;
a rejected primary with an accepted fallback gives the fallback's price). The twins read the primary feed's answer
only, so the Looper's slippage bound and borrow sizing and the vault's NAV, leverage and swap bounds priced on a
round the chain refused: a full unwind, a deposit, a redemption and a rebalance went through in the model where the
chain reverted. Each case runs on the in-process chain and in the model: the same outcome, and where the world
compares them, the same fields.
"""

from __future__ import annotations

import copy

import pytest

from protocol_model.chain.driver import Call
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.leveraged import LevOp
from protocol_model.exact.oracle.oracle_policy import DEFAULT_MAX_AGE_S
from protocol_model.exact.strategies.leveraged_token import DEFAULT_COOLDOWN_SECONDS
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.leveraged_world import COLL
from tests.crosscheck.test_leveraged_token import run
from tests.crosscheck.test_looper_fuzz import SCENARIO, opened

E18 = 10**18
UNWIND_ALICE = {"op": "loop_unwind", "account": "alice", "collateral": "WETH", "debt": "USDC",
                "fraction_bps": 10_000}
"""alice's whole WETH loop: with no debt left after the flash repayment the pool's withdrawal reads no price, so
the Looper's own slippage bound is the first price read."""


@pytest.mark.parametrize(("rounds", "expected"), [
    ([{"op": "feed", "asset": "WETH", "price_usd": "2000", "age_s": DEFAULT_MAX_AGE_S + 1}], "StalePrice"),
    ([{"op": "feed_revert", "asset": "WETH"}], "FeedReverted"),
    ([{"op": "feed_round", "asset": "WETH", "answer": 2_000 * 10**8, "answered_lag": 1}], "InvalidRound"),
    ([{"op": "feed", "asset": "WETH", "price_usd": "2000", "age_s": DEFAULT_MAX_AGE_S - 1}], "ok"),  # at the bound
])
def test_a_looper_unwind_reads_the_router_like_the_chain(rounds, expected):
    """A rejected WETH round, then alice unwinds her whole loop: the chain reverts by the router's error, and
    the twin now too (before: 'ok' at the stale answer). A round exactly the maximum age old at the unwind (one
    second after the feed step) still unwinds."""
    story = copy.deepcopy(SCENARIO)
    story["steps"] += [*rounds, {**UNWIND_ALICE, "expect": expected}]
    scenario = parse_scenario(story, "looper oracle rounds")
    opened(deploy_in_process(scenario), scenario)  # every step's outcome and the final snapshot agree


@pytest.mark.parametrize(("age", "lag", "expected"), [
    (DEFAULT_MAX_AGE_S + 1, 0, "StalePrice"),
    (-10, 0, "InvalidRound"),  # dated in the future (still, three blocks on)
    (0, 1, "InvalidRound"),
])
def test_a_vault_prices_through_the_router_like_the_chain(lev_in_process, age, lag, expected):
    """alice deposits 10 WETH in the 2x vault and levers it (rebalance); past her deposit cooldown, the WETH feed's
    latest round is set (ages as of the next block) to a stale, future-dated or incomplete one on both twins: a
    deposit, a redemption and a rebalance revert by the router's error on both (before: the model priced all three
    at the rejected answer and they went through)."""
    lev = lev_in_process
    saved = lev.checkpoint()
    try:
        run(lev, _op("deposit", 10 * E18), "ok")
        run(lev, _op("rebalance", 0), "ok")  # levered: a redemption now sells collateral for its debt share
        run(lev, LevOp("warp", seconds=DEFAULT_COOLDOWN_SECONDS), "ok")  # past alice's deposit cooldown
        feed_m = lev.mw.pool.feeds[COLL]
        round_id, updated = feed_m.round_id + 1, lev.now + 2 - age
        lev.now += 1
        lev.cw.driver.send(Call(lev.cw.feeds[COLL], "setRound",
                                (round_id, feed_m.answer, updated, updated, round_id - lag), lev.cw.deployer), lev.now)
        lev.mw.pool.feeds[COLL] = feed_m.with_round(feed_m.answer, updated, updated, round_id - lag)
        shares = lev.vaults_m["lev2x"].balance_of("alice")
        for op in (_op("deposit", E18), _op("redeem", shares), _op("rebalance", 0)):
            assert lev.step(op) == (expected, expected), op.describe()
    finally:
        lev.restore(saved)


def _op(kind: str, amount: int) -> LevOp:
    """alice's operation on the 2x vault."""
    return LevOp(kind, "lev2x", "alice", amount)
