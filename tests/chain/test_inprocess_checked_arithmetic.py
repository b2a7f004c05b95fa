"""Solidity 0.8's checked arithmetic on the in-process chain next to the exact model (P-MATH-03): an intermediate
above uint256 reverts ``Panic(0x11)`` on chain, and the twin, which computes on unbounded integers, must check it
at the same place and name the same revert.

``PairPriceFeed._round``:
``baseScale * uint256(quote.answer)`` is Solidity's checked ``*`` and ``Math.mulDiv`` panics above uint256, so a quote
feed answering above ~1.16e77 / 10^baseDecimals makes the pair feed revert ``Panic(0x11)``, and the router, which
reads feeds in a try/catch, reports ``FeedReverted``. The twin multiplied unbounded integers and, when the quotient
still fit an int256, answered a price (then ``PriceOverflow`` in the router): the two twins named different reverts.

``UniV2MathLib.getAmountOut`` (``PairSwapper.swapExactIn``): ``amountIn * 997 * reserveOut`` passes uint256 for an
input above ~2e40 units against a 1e23 reserve; the twin quoted it and went on to the pair.
"""

from __future__ import annotations

from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.replay import Replay
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import play
from tests.mutation.test_boundaries import _name_or_ok

HUGE = 2**200
"""The quote (USDC) feed's answer: 10^18 (TKN's baseScale) × 2^200 ≈ 1.6e78 passes 2^256 − 1 ≈ 1.16e77."""

SCENARIO = {
    "name": "pair-feed-overflow",
    "assets": [  # TKN first: a health check prices it before USDC
        {"name": "TKN", "decimals": 18, "price_usd": "1", "ltv_bps": 7500, "liquidation_threshold_bps": 8000,
         "liquidation_bonus_bps": 800, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 2000},
        {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8500, "liquidation_threshold_bps": 8800,
         "liquidation_bonus_bps": 400, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000},
    ],
    "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"], "reserves": {"TKN": "100000", "USDC": "100000"},
                   "price_feed": {"asset": "TKN", "mode": "spot"}}],
    "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                 {"name": "mallory", "balances": {"TKN": "1000", "USDC": "1000"}}],
}



def test_a_quote_answer_whose_scaled_product_overflows_panics_on_both_twins(chain):
    """With USDC's feed at 2^200 the pair feed's ``latestRoundData`` reverts ``Panic(0x11)`` on chain and in the twin
    (its quotient, ~1.6e60, would have fit an int256); a borrow against TKN then reverts by the same name on both
    (the router's ``FeedReverted`` for TKN, priced first), every field equal after every step."""
    assert 10**18 * HUGE > UINT256_MAX
    snap = chain.snapshot()
    try:
        scenario = parse_scenario(SCENARIO)
        world = deploy_in_process(scenario, chain)
        rp = Replay.start(scenario, world)
        play(rp, [
            (Action("supply", "bob", "USDC", 1_000_000 * 10**6, on_behalf="bob"), "ok"),
            (Action("supply", "mallory", "TKN", 1_000 * 10**18, on_behalf="mallory"), "ok"),
            (Action("price", asset="USDC", answer=HUGE), "ok"),
        ])
        twin, quote = rp.model.amm.pair_feeds["TKN"], rp.model.pool.feeds["USDC"]
        outcomes = (_name_or_ok(world.amm.pair_feeds["TKN"].latestRoundData),
                    _name_or_ok(twin.round, quote, chain.now()))
        assert outcomes == ("Panic(0x11)", "Panic(0x11)"), f"chain, twin: {outcomes}"
        play(rp, [(Action("borrow", "mallory", "USDC", 10 * 10**6), "FeedReverted")])
    finally:
        chain.restore(snap)


def test_a_swap_whose_quote_overflows_panics_on_both_twins(chain):
    """mallory sells 2^215 TKN units through the swap helper: ``2^215 · 997 · reserveOut`` (USDC's reserve, 1e11
    units) passes uint256, so ``swapExactIn`` reverts ``Panic(0x11)`` on both twins with every field unchanged;
    10^30 units (the 1e30 amount) quote and swap on both."""
    big = 2**215
    assert big * 997 * 10**11 > UINT256_MAX
    snap = chain.snapshot()
    try:
        spec = {**SCENARIO, "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                                         {"name": "mallory", "balances": {"TKN": str(big // 10**18 + 1)}}],
                "steps": [{"op": "swap", "account": "mallory", "pair": "TKN_USDC", "asset": "TKN", "amount": "1"}]}
        scenario = parse_scenario(spec)
        rp = Replay.start(scenario, deploy_in_process(scenario, chain))
        play(rp, [
            (Action("swap", "mallory", "TKN", big, pair="TKN_USDC"), "Panic(0x11)"),
            (Action("swap", "mallory", "TKN", 10**30, pair="TKN_USDC"), "ok"),
        ])
    finally:
        chain.restore(snap)


SKEWED = {**SCENARIO, "name": "pair-feed-answer-too-large",
          "amm_pairs": [{**SCENARIO["amm_pairs"][0],
                         "reserves": {"TKN": "0.000000000000000001", "USDC": "5000000000000000000000000000"}}],
          "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}}]}
"""1 wei of TKN against 5·10^27 USDC (5·10^33 units, under uint112): TKN's spot price is 5·10^45 times the quote
feed's answer in 8-decimal USD."""


def test_an_answer_above_int256_is_answer_too_large_on_both_twins(chain):
    """With the quote answer at 1.5·10^31 the pair feed's answer, ~7.8·10^76, fits a uint256 (and every product on
    the way) but not an int256: ``latestRoundData`` reverts ``AnswerTooLarge`` on chain and in the twin (it was
    named ``EmptyPair``, a reserve being zero); at 10^31 (~5·10^76, above 2^254) both answer, the same."""
    snap = chain.snapshot()
    try:
        scenario = parse_scenario(SKEWED)
        world = deploy_in_process(scenario, chain)
        rp = Replay.start(scenario, world)
        feed, twin = world.amm.pair_feeds["TKN"], rp.model.amm.pair_feeds["TKN"]
        for answer, expected in ((15 * 10**30, "AnswerTooLarge"), (10**31, "ok")):
            play(rp, [(Action("price", asset="USDC", answer=answer), "ok")])
            quote = rp.model.pool.feeds["USDC"]
            chain_round = _name_or_ok(feed.latestRoundData)
            twin_round = _name_or_ok(twin.round, quote, chain.now())
            assert (chain_round, twin_round) == (expected, expected), f"{answer}: chain, twin {chain_round, twin_round}"
        assert feed.latestRoundData()[1] == twin.round(quote, chain.now()).answer > 2**254
    finally:
        chain.restore(snap)
