"""PriceRouter oracle policy on chain: validation on write names the field (same as the model), every
rejection has its error, the fallback takes over, and the primary's error is kept when both fail."""

from __future__ import annotations

import ape
import pytest

from protocol_model.exact import errors
from protocol_model.exact.oracle.oracle_policy import OraclePolicy

Z = "0x" + "0" * 40
P = 10**8  # one dollar, 8-decimal answer


@pytest.fixture(scope="module")
def setup(project, admin):
    router = admin.deploy(project.PriceRouter, admin)
    token = admin.deploy(project.MockERC20, "T", "T", 18)
    feed = admin.deploy(project.ScriptedFeed, 8, 100 * P, "T/USD")
    fallback = admin.deploy(project.ScriptedFeed, 8, 99 * P, "T/USD fallback")
    seq = admin.deploy(project.ScriptedFeed, 8, 0, "sequencer")
    router.setFeed(token, feed, sender=admin)
    return router, token, feed, fallback, seq


@pytest.mark.parametrize("policy,field", [
    (OraclePolicy(max_age_s=31 * 86_400), "maxAgeSec"),
    (OraclePolicy(min_price_wad=5, max_price_wad=5), "maxPriceWad"),
    (OraclePolicy(max_jump_bps=10_001), "maxJumpBps"),
    (OraclePolicy(grace_period_s=60), "gracePeriodSec"),
])
def test_impossible_policies_are_rejected_like_the_model(setup, admin, policy, field):
    router, token, *_ = setup
    with pytest.raises(errors.InvalidOraclePolicy) as model_err:
        policy.validate()
    assert model_err.value.args == (field,)
    with pytest.raises(router.InvalidOraclePolicy) as chain_err:
        router.setOraclePolicy(token, policy.as_tuple(Z, Z), sender=admin)
    assert chain_err.value.inputs["field"] == field


def test_policy_is_admin_only_and_needs_a_feed(setup, admin, accounts, project):
    router, token, feed, *_ = setup
    with ape.reverts(router.AccessControlUnauthorizedAccount):
        router.setOraclePolicy(token, OraclePolicy().as_tuple(Z, Z), sender=accounts[6])
    other = admin.deploy(project.MockERC20, "U", "U", 6)
    with ape.reverts(router.FeedNotSet):
        router.setOraclePolicy(other, OraclePolicy().as_tuple(Z, Z), sender=admin)
    with pytest.raises(router.InvalidOraclePolicy) as err:
        router.setOraclePolicy(token, OraclePolicy().as_tuple(feed.address, Z), sender=admin)
    assert err.value.inputs["field"] == "fallbackFeed"


def test_each_rejection_and_the_fallback(setup, admin, chain):
    router, token, feed, fallback, seq = setup
    snap = chain.snapshot()
    try:
        pol = OraclePolicy(max_age_s=3600, min_price_wad=10 * 10**18, max_price_wad=1000 * 10**18, max_jump_bps=2000)
        router.setOraclePolicy(token, pol.as_tuple(Z, Z), sender=admin)
        assert router.priceWad(token) == 100 * 10**18
        feed.setAnswer(125 * P, sender=admin)  # +25% > 20%
        with ape.reverts(router.PriceJump):
            router.priceWad(token)
        feed.setAnswer(130 * P, sender=admin)  # +4% from the previous round: accepted
        assert router.priceWad(token) == 130 * 10**18
        feed.pushRound(130 * P, 3601, sender=admin)
        with ape.reverts(router.StalePrice):
            router.priceWad(token)
        feed.setAnswer(5 * P, sender=admin)
        with ape.reverts(router.PriceOutOfBounds):
            router.priceWad(token)
        feed.setAnswer(0, sender=admin)
        with ape.reverts(router.InvalidPrice):
            router.priceWad(token)
        feed.setReverting(True, sender=admin)
        with ape.reverts(router.FeedReverted):
            router.priceWad(token)
        # with a fallback the price comes from it; when both fail, the primary's reason is reported
        pol = OraclePolicy(max_age_s=3600, has_fallback=True, has_sequencer=True, grace_period_s=600)
        router.setOraclePolicy(token, pol.as_tuple(fallback.address, seq.address), sender=admin)
        chain.mine(1, deltatime=601)
        assert router.priceWad(token) == 99 * 10**18
        fallback.setAnswer(-1, sender=admin)
        with ape.reverts(router.FeedReverted):
            router.priceWad(token)
        feed.setReverting(False, sender=admin)
        feed.setAnswer(101 * P, sender=admin)
        assert router.priceWad(token) == 101 * 10**18
        seq.setSequencerStatus(False, sender=admin)
        with ape.reverts(router.SequencerDown):
            router.priceWad(token)
        seq.setSequencerStatus(True, sender=admin)
        with ape.reverts(router.GracePeriodNotOver):
            router.priceWad(token)
        chain.mine(1, deltatime=601)
        assert router.priceWad(token) == 101 * 10**18
    finally:
        chain.restore(snap)


def test_scripted_feed_clamps_like_an_aggregator_band(setup, admin, chain):
    _, _, feed, *_ = setup
    snap = chain.snapshot()
    try:
        feed.setAnswerBounds(10 * P, 1000 * P, sender=admin)
        feed.setAnswer(1, sender=admin)
        assert feed.latestRoundData()[1] == 10 * P
        rid = feed.latestRound()
        assert feed.getRoundData(rid - 1)[1] == 100 * P  # history kept for the breaker
    finally:
        chain.restore(snap)
