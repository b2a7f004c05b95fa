"""Issue #14 items 6 and 7 in the exact model: every listed asset has a safe policy (default maximum age;
zero, future and incomplete rounds rejected; overflowing answers named), and a pair-derived feed is dated by
its quote feed and exposes a reference round the circuit breaker compares with (docs/oracles/policy.md)."""

from __future__ import annotations

from math import isqrt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from protocol_model.exact import errors
from protocol_model.exact.amm.uniswap_v2_pair import Q112, V2Pair
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.oracle.oracle_policy import (
    DEFAULT_MAX_AGE_S,
    MAX_AGE_LIMIT_S,
    MAX_GRACE_PERIOD_S,
    OraclePolicy,
    check_sequencer,
    router_price_wad,
)
from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed
from protocol_model.exact.oracle.price_router import MAX_PRICE_WAD, Feed

NOW = 1_800_000_000
DAY = 86_400
DECIMALS = (0, 2, 6, 8, 18)


def _price(feed: Feed, policy: OraclePolicy | None = None, now: int = NOW) -> int:
    return router_price_wad("T", feed, policy, None, None, now)


def test_no_policy_rejects_old_zero_future_and_incomplete_rounds():
    ok = Feed(2_000 * 10**8, 8, round_id=7, updated_at=NOW - 60)
    assert _price(ok) == 2_000 * 10**18
    with pytest.raises(errors.StalePrice):
        _price(Feed(2_000 * 10**8, 8, 7, NOW - 400 * DAY))
    with pytest.raises(errors.InvalidRound):
        _price(Feed(2_000 * 10**8, 8, 7, 0))
    with pytest.raises(errors.InvalidRound):
        _price(Feed(2_000 * 10**8, 8, 7, NOW + 1))
    with pytest.raises(errors.InvalidRound):
        _price(Feed(2_000 * 10**8, 8, 7, NOW - 60, answered_in_round=6))
    # the default maximum age is 25 h: exactly 25 h old passes, one second more is stale
    assert _price(Feed(10**8, 8, 1, NOW - DEFAULT_MAX_AGE_S)) == 10**18
    with pytest.raises(errors.StalePrice):
        _price(Feed(10**8, 8, 1, NOW - DEFAULT_MAX_AGE_S - 1))
    # an explicit (naive) 30-day maximum still rejects 400 days
    with pytest.raises(errors.StalePrice):
        _price(Feed(10**8, 8, 1, NOW - 400 * DAY), OraclePolicy(max_age_s=30 * DAY))


def test_overflowing_answer_gets_a_name():
    for dec in DECIMALS:
        with pytest.raises(errors.PriceOverflow):
            _price(Feed(2**255 - 1, dec, 1, NOW))
    # the largest accepted answer of a 0-decimal feed is MAX_PRICE_WAD / 1e18
    assert _price(Feed(MAX_PRICE_WAD // 10**18, 0, 1, NOW)) == MAX_PRICE_WAD
    with pytest.raises(errors.PriceOverflow):
        _price(Feed(MAX_PRICE_WAD // 10**18 + 1, 0, 1, NOW))


POLICY_FIELDS = (  # (policy, the field named by InvalidOraclePolicy, or None: accepted), boundaries on both sides
    (OraclePolicy(max_age_s=MAX_AGE_LIMIT_S), None),
    (OraclePolicy(max_age_s=MAX_AGE_LIMIT_S + 1), "maxAgeSec"),
    (OraclePolicy(min_price_wad=5, max_price_wad=6), None),
    (OraclePolicy(min_price_wad=5, max_price_wad=5), "maxPriceWad"),
    (OraclePolicy(min_price_wad=-1), "maxPriceWad"),
    (OraclePolicy(max_jump_bps=10_000), None),
    (OraclePolicy(max_jump_bps=10_001), "maxJumpBps"),
    (OraclePolicy(grace_period_s=1), "gracePeriodSec"),
    (OraclePolicy(has_sequencer=True, grace_period_s=MAX_GRACE_PERIOD_S), None),
    (OraclePolicy(has_sequencer=True, grace_period_s=MAX_GRACE_PERIOD_S + 1), "gracePeriodSec"),
)


def test_impossible_policies_are_rejected_by_name():
    """P-ORACLE-08 on the twin (``PriceRouter.setOraclePolicy``'s checks): each impossible field is rejected
    with its name, and each bound itself is accepted."""
    for policy, field in POLICY_FIELDS:
        if field is None:
            assert policy.validate() is policy
            continue
        with pytest.raises(errors.InvalidOraclePolicy) as info:
            policy.validate()
        assert field in info.value.args, f"{policy}: {info.value.args}, expected {field}"


def test_policy_bounds_are_exact():
    """Each rule of the router on its bound and one unit either side (``make mutate``'s boundary probes): the
    price band is open (min and max themselves rejected), a jump of exactly the breaker's bps passes and one
    unit more is PriceJump (up and down), a previous answer of exactly MAX_PRICE_WAD still arms the breaker and
    none (0) disarms it, and the sequencer's grace period is over only strictly after it."""
    band = OraclePolicy(min_price_wad=2_000 * 10**18, max_price_wad=3_000 * 10**18)
    for answer, ok in ((2_000 * 10**8, False), (2_000 * 10**8 + 1, True), (3_000 * 10**8 - 1, True),
                       (3_000 * 10**8, False)):
        if ok:
            assert _price(Feed(answer, 8, 2, NOW), band) == answer * 10**10
        else:
            with pytest.raises(errors.PriceOutOfBounds):
                _price(Feed(answer, 8, 2, NOW), band)
    breaker = OraclePolicy(max_jump_bps=3_000)
    for answer, ok in ((130 * 10**8, True), (130 * 10**8 + 1, False), (70 * 10**8, True), (70 * 10**8 - 1, False)):
        feed = Feed(answer, 8, 2, NOW, prev_answer=100 * 10**8)
        if ok:
            assert _price(feed, breaker) == answer * 10**10
        else:
            with pytest.raises(errors.PriceJump):
                _price(feed, breaker)
    with pytest.raises(errors.PriceJump):
        _price(Feed(10**8, 8, 2, NOW, prev_answer=MAX_PRICE_WAD), breaker)
    assert _price(Feed(10**8, 8, 2, NOW, prev_answer=0), breaker) == 10**18
    with pytest.raises(errors.GracePeriodNotOver):
        check_sequencer("T", Feed(0, 8, 3, updated_at=NOW, started_at=NOW - 3_600), 3_600, NOW)
    check_sequencer("T", Feed(0, 8, 3, updated_at=NOW, started_at=NOW - 3_601), 3_600, NOW)


def test_sequencer_started_at_zero_is_invalid_and_started_at_is_used():
    with pytest.raises(errors.InvalidRound):
        check_sequencer("T", Feed(0, 8, 3, updated_at=NOW - 10, started_at=0), 3_600, NOW)
    # up since 2 h (startedAt), last confirmed 10 s ago (updatedAt): past a 1 h grace period
    check_sequencer("T", Feed(0, 8, 3, updated_at=NOW - 10, started_at=NOW - 7_200), 3_600, NOW)
    with pytest.raises(errors.GracePeriodNotOver):
        check_sequencer("T", Feed(0, 8, 3, updated_at=NOW - 7_200, started_at=NOW - 10), 3_600, NOW)


def _rule(feed: Feed, policy: OraclePolicy, now: int) -> tuple[str, int]:
    """The router's rule written from SPEC (docs/oracles/policy.md), independently of the twin's code."""
    if feed.answer <= 0:
        return "InvalidPrice", 0
    if feed.answer * 10 ** (18 - feed.decimals) > MAX_PRICE_WAD:
        return "PriceOverflow", 0
    updated = now if feed.updated_at is None else feed.updated_at
    answered = feed.round_id if feed.answered_in_round is None else feed.answered_in_round
    if updated == 0 or updated > now or answered < feed.round_id:
        return "InvalidRound", 0
    if now - updated > (policy.max_age_s or DEFAULT_MAX_AGE_S):
        return "StalePrice", 0
    return "ok", feed.answer * 10 ** (18 - feed.decimals)


usd = st.decimals(min_value="0.00000001", max_value="1000000000000", places=8)


@settings(max_examples=300, deadline=None)
@given(dec=st.sampled_from(DECIMALS), price=usd, raw=st.one_of(st.none(), st.integers(-2, 2**255 - 1)),
       age=st.one_of(st.integers(-DAY, 500 * DAY), st.sampled_from([0, DEFAULT_MAX_AGE_S, DEFAULT_MAX_AGE_S + 1])),
       zero=st.booleans(), lag=st.integers(0, 2), max_age=st.one_of(st.just(0), st.integers(1, 30 * DAY)))
def test_every_round_gets_the_rule_or_a_named_error(dec, price, raw, age, zero, lag, max_age):
    """Random decimals, prices $1e-8..$1e12 and round fields: the router returns the scaled answer exactly
    when the round is positive, in range, non-zero, not in the future, complete and within the (default)
    maximum age; otherwise the named error of the first failing check — never another exception."""
    answer = raw if raw is not None else int(price * 10**dec)
    feed = Feed(answer, dec, round_id=5, updated_at=0 if zero else NOW - age, answered_in_round=5 - lag)
    policy = OraclePolicy(max_age_s=max_age)
    name, price_wad = _rule(feed, policy, NOW)
    try:
        got = ("ok", _price(feed, policy))
    except errors.PoolError as err:
        got = (err.name, 0)
    assert got == (name, price_wad)


# ---------------------------------------------------------------- item 7: derived feeds

T0 = 1_700_000_000
E18, E6 = 10**18, 10**6


def _pair(reserve_tkn: int = 100_000 * E18, reserve_usdc: int = 100_000 * E6) -> V2Pair:
    ledger = Ledger()
    pair = V2Pair("P", "TKN", "USDC", ledger)
    ledger.mint("TKN", "P", reserve_tkn)
    ledger.mint("USDC", "P", reserve_usdc)
    pair.mint("lp", T0)
    return pair


def _buy(pair: V2Pair, usdc_in: int, now: int) -> None:
    pair.ledger.mint("USDC", "P", usdc_in)
    out = usdc_in * 997 * pair.reserve0 // (pair.reserve1 * 1000 + usdc_in * 997)
    pair.swap(out, 0, "mallory", now)


def test_spot_pump_is_caught_by_the_breaker_through_the_reference_round():
    """300,000 USDC into a 100k/100k pair: spot $15.96; round 1 (the average since deployment, before the
    swap's block) stays at the 1:1 price, 10**8 − 1 (floored UQ112 ratio): a 50% breaker rejects the pump."""
    pair = _pair()
    feed = PairPriceFeed.deploy(pair, "TKN", 18, 6, False, 0, T0)
    usdc = Feed(10**8, 8, 1, T0)
    _buy(pair, 300_000 * E6, T0 + 3_600)
    rnd = feed.round(usdc, T0 + 3_600)
    assert rnd.prev_answer == 10**8 - 1
    assert rnd.answer * 10 // rnd.prev_answer == 159  # x15.96
    with pytest.raises(errors.PriceJump):
        router_price_wad("TKN", rnd, OraclePolicy(max_jump_bps=5_000), None, None, T0 + 3_600)
    # naive (no breaker): accepted at the pumped price
    assert router_price_wad("TKN", rnd, OraclePolicy(), None, None, T0 + 3_600) == rnd.answer * 10**10


def test_pair_feed_is_as_old_as_its_quote():
    """The quote (USDC) 10 days old: USDC and TKN are both StalePrice under the default policy."""
    pair = _pair()
    feed = PairPriceFeed.deploy(pair, "TKN", 18, 6, False, 0, T0)
    now = T0 + 10 * DAY
    usdc = Feed(10**8, 8, 1, T0)
    rnd = feed.round(usdc, now)
    assert (rnd.updated_at, rnd.started_at) == (T0, T0)
    for asset, f in (("USDC", usdc), ("TKN", rnd)):
        with pytest.raises(errors.StalePrice):
            router_price_wad(asset, f, None, None, None, now)
    # an incomplete quote round makes the derived round incomplete
    rnd = feed.round(Feed(10**8, 8, 4, now, answered_in_round=3), now)
    with pytest.raises(errors.InvalidRound):
        router_price_wad("TKN", rnd, None, None, None, now)


@settings(max_examples=200, deadline=None)
@given(base_dec=st.sampled_from(DECIMALS), quote_dec=st.sampled_from(DECIMALS),
       base_whole=st.integers(10, 10**9), price=usd, pump_bps=st.integers(1, 100_000),
       elapsed=st.integers(1, 30 * DAY), quote_age=st.integers(0, 30 * DAY), twap=st.booleans())
def test_reference_round_cannot_be_moved_in_the_block(base_dec, quote_dec, base_whole, price, pump_bps, elapsed,
                                                      quote_age, twap):
    """Any pair size, decimals and price: a swap in the reading block leaves round 1 unchanged, and the
    derived round is dated by the quote feed (a TWAP's no later than its observation + window)."""
    reserve_base = base_whole * 10**base_dec
    reserve_quote = max(int(price * base_whole * 10**quote_dec), 1)
    assume(reserve_base < 2**112 and reserve_quote * (pump_bps // 10_000 + 2) < 2**112)
    assume(isqrt(reserve_base * reserve_quote) > 1_000)  # the pair's minimum liquidity
    pair = _pair(reserve_base, reserve_quote)
    feed = PairPriceFeed.deploy(pair, "TKN", base_dec, quote_dec, twap, 1 if twap else 0, T0)
    now = T0 + elapsed
    quote = Feed(10**8, 8, 1, now - quote_age)
    before = feed.reference_x112(now)
    assert before == reserve_quote * Q112 // reserve_base  # constant price since deployment
    usdc_in = max(reserve_quote * pump_bps // 10_000, 1)
    assume(usdc_in * 997 * reserve_base // (reserve_quote * 1000 + usdc_in * 997) > 0)  # the swap gives something
    _buy(pair, usdc_in, now)
    assert pair.reserve1 > reserve_quote
    assert feed.reference_x112(now) == before
    rnd = feed.round(quote, now)
    # dated by the quote, a TWAP no later than its observation (deployment) + window (1 s): P-ORACLE-13
    assert rnd.updated_at == (min(now - quote_age, T0 + 1) if twap else now - quote_age) and rnd.round_id == 2


def test_naive_oracle_stories_state_their_policy():
    """No story is naive by default: each naive file sets its maximum age explicitly (docs/oracles/policy.md)."""
    from protocol_model.scenario.story import load_scenario
    from protocol_model.world.oracle_stories import available, story_path

    for name in available():
        scenario = load_scenario(story_path(name, "naive"))
        ages = [a.oracle.max_age_s for a in scenario.assets if a.oracle is not None]
        assert ages and all(age > 0 for age in ages), name
