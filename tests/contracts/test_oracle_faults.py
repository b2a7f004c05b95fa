"""Issue #14 items 6 and 7 on chain, each value asserted on chain and in the model: the router's safe
default policy (maximum age, zero/future/incomplete rounds, PriceOverflow, sequencer startedAt = 0), the
heartbeating MockAggregator, and a pair-derived feed dated by its quote with a breaker reference round."""

from __future__ import annotations

import ape
import pytest

from protocol_model.chain.replay import Replay
from protocol_model.exact import errors
from protocol_model.exact.oracle.oracle_policy import OraclePolicy, check_sequencer, router_price_wad
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.scenario.story import parse_scenario

Z = "0x" + "0" * 40
P = 10**8
DAY = 86_400


@pytest.fixture(scope="module")
def setup(project, admin):
    router = admin.deploy(project.PriceRouter, admin)
    token = admin.deploy(project.MockERC20, "T", "T", 18)
    feed = admin.deploy(project.ScriptedFeed, 8, 100 * P, "T/USD")
    router.setFeed(token, feed, sender=admin)
    return router, token, feed


def _model_feed(feed, dec: int = 8) -> Feed:
    """The model's Feed from the chain's latest round (every field)."""
    rid, answer, started, updated, answered = feed.latestRoundData()
    return Feed(answer, dec, rid, updated, started_at=started, answered_in_round=answered)


def _error_name(contract, err) -> str:
    """A revert's custom-error name, from the selectors the contract's ABI declares."""
    from eth_utils import keccak

    names = {keccak(text=abi.selector)[:4].hex(): abi.name for abi in contract.contract_type.errors}
    data = str(getattr(err, "revert_message", "") or err)
    for selector, name in names.items():
        if selector in data:
            return name
    return type(err).__name__ if type(err).__name__ != "ContractLogicError" else data


def _both(router, token, feed, policy: OraclePolicy | None, now: int, dec: int = 8) -> str:
    """The router's outcome on chain and in the model, which must agree: 'ok:<price>' or the error name."""
    try:
        chain_out = f"ok:{router.priceWad(token)}"
    except ape.exceptions.ContractLogicError as err:
        chain_out = _error_name(router, err)
    try:
        model_out = f"ok:{router_price_wad('T', _model_feed(feed, dec), policy, None, None, now)}"
    except errors.PoolError as err:
        model_out = err.name
    assert chain_out == model_out, (chain_out, model_out)
    return chain_out


def test_unset_policy_rejects_old_zero_future_and_incomplete_rounds(setup, admin, chain):
    router, token, feed = setup
    snap = chain.snapshot()
    try:
        chain.mine(1)
        now = chain.pending_timestamp
        cases = [
            ((100 * P, now - 400 * DAY, now - 400 * DAY, 0), "StalePrice"),
            ((100 * P, 0, 0, 0), "InvalidRound"),
            ((100 * P, now + 3_600, now + 3_600, 0), "InvalidRound"),
            ((100 * P, now - 60, now - 60, -1), "InvalidRound"),  # answeredInRound < roundId
            ((100 * P, now - 90_000, now - 90_000, 0), "ok:100000000000000000000"),  # exactly 25 h
            ((100 * P, now - 90_001, now - 90_001, 0), "StalePrice"),
        ]
        for (answer, started, updated, lag), expected in cases:
            chain.pending_timestamp = now
            rid = feed.latestRound() + 1
            feed.setRound(answer, started, updated, rid + lag, sender=admin)
            chain.pending_timestamp = now
            chain.mine(1)
            assert _both(router, token, feed, None, chain.blocks.head.timestamp) == expected, (started, lag)
            now = chain.blocks.head.timestamp
    finally:
        chain.restore(snap)


@pytest.mark.parametrize("dec", [0, 8, 18])
def test_overflowing_answer_is_price_overflow(project, admin, chain, dec):
    router = admin.deploy(project.PriceRouter, admin)
    token = admin.deploy(project.MockERC20, "T", "T", 18)
    feed = admin.deploy(project.ScriptedFeed, dec, 2**255 - 1, "T/USD")
    router.setFeed(token, feed, sender=admin)
    assert _both(router, token, feed, None, chain.blocks.head.timestamp, dec) == "PriceOverflow"


def test_sequencer_started_at_zero_is_an_invalid_round(setup, admin, chain, project):
    router, token, feed = setup
    snap = chain.snapshot()
    try:
        seq = admin.deploy(project.ScriptedFeed, 8, 0, "sequencer")
        router.setOraclePolicy(token, OraclePolicy(has_sequencer=True, grace_period_s=600).as_tuple(Z, seq.address),
                               sender=admin)
        chain.mine(1, deltatime=601)
        feed.setAnswer(100 * P, sender=admin)
        assert router.priceWad(token) == 100 * 10**18
        now = chain.blocks.head.timestamp
        seq.setRound(0, 0, now, seq.latestRound() + 1, sender=admin)  # "up since 1970"
        with ape.reverts(router.InvalidRound):
            router.priceWad(token)
        with pytest.raises(errors.InvalidRound):
            check_sequencer("T", _model_feed(seq), 600, now)
        # startedAt and updatedAt differ: up since startedAt (2 h), confirmed a second ago
        chain.mine(1)
        now = chain.blocks.head.timestamp
        seq.setRound(0, now - 7_200, now, seq.latestRound() + 1, sender=admin)
        assert router.priceWad(token) == 100 * 10**18
        check_sequencer("T", _model_feed(seq), 600, chain.blocks.head.timestamp)
    finally:
        chain.restore(snap)


def test_mock_aggregator_heartbeats_until_a_round_is_set(project, admin, chain):
    router = admin.deploy(project.PriceRouter, admin)
    token = admin.deploy(project.MockERC20, "T", "T", 18)
    mock = admin.deploy(project.MockAggregator, 8, 3 * P, "T/USD")
    router.setFeed(token, mock, sender=admin)
    chain.mine(1, deltatime=400 * DAY)
    assert mock.latestRoundData()[3] == chain.blocks.head.timestamp
    assert router.priceWad(token) == 3 * 10**18
    now = chain.blocks.head.timestamp
    mock.setRound(5, 3 * P, now - 400 * DAY, now - 400 * DAY, 5, sender=admin)
    with ape.reverts(router.StalePrice):
        router.priceWad(token)


PAIR_STORY = {
    "name": "pair-feed-guards",
    "assets": [
        {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8500, "liquidation_threshold_bps": 8800,
         "liquidation_bonus_bps": 400, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000},
        {"name": "TKN", "decimals": 18, "price_usd": "1", "ltv_bps": 7500, "liquidation_threshold_bps": 8000,
         "liquidation_bonus_bps": 800, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 2000,
         "oracle": {"max_jump_bps": 5000}},
    ],
    "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"], "reserves": {"TKN": "100000", "USDC": "100000"},
                   "price_feed": {"asset": "TKN", "mode": "spot"}}],
    "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                 {"name": "mallory", "balances": {"USDC": "300000"}}],
    "steps": [
        {"op": "supply", "account": "bob", "asset": "USDC", "amount": "1000000"},
        {"op": "warp", "seconds": 3600},
        # x15.96 spot: round 1 (the average since deployment) is still $1, the breaker (50%) rejects
        {"op": "swap", "account": "mallory", "pair": "TKN_USDC", "asset": "USDC", "amount": "300000"},
        {"op": "supply", "account": "mallory", "asset": "TKN", "amount": "74943"},
        {"op": "borrow", "account": "mallory", "asset": "USDC", "amount": "890000", "expect": "PriceJump"},
        {"op": "borrow", "account": "mallory", "asset": "USDC", "amount": "1", "expect": "PriceJump"},
        # ten days later nobody has published USDC: the pair feed is as old as its quote
        {"op": "warp", "seconds": 864000},
        {"op": "borrow", "account": "mallory", "asset": "USDC", "amount": "1", "expect": "StalePrice"},
    ],
}


def test_pair_feed_pump_and_stale_quote_are_rejected(deploy_world, chain):
    scenario = parse_scenario(PAIR_STORY)
    snap = chain.snapshot()
    try:
        world = deploy_world(scenario)
        replay = Replay.start(scenario, world)
        results = replay.run()
        for r in results:
            assert r.model == r.chain and not r.mismatches, (r.index, r.model, r.chain, r.mismatches[:3])
            assert r.as_expected, (r.index, r.expected, r.model)
        # the router rejects the token priced through the stale quote, on chain and in the model
        for name in ("USDC", "TKN"):
            with ape.reverts(world.router.StalePrice):
                world.router.priceWad(world.tokens[name])
            with pytest.raises(errors.StalePrice):
                replay.model.pool._price_wad(name)
    finally:
        chain.restore(snap)
