"""PairPriceFeed's twin: spot and TWAP answers derived by hand, and the schema's one-error-per-field rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.exact.amm.uniswap_v2_pair import V2Pair
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.oracle.pair_price_feed import PairFeedError, PairPriceFeed
from protocol_model.scenario.story import ScenarioError, load_scenario

T0 = 1_700_000_000
E18, E6 = 10**18, 10**6


def _pair() -> V2Pair:
    ledger = Ledger()
    pair = V2Pair("P", "TKN", "USDC", ledger)
    ledger.mint("TKN", "P", 100_000 * E18)
    ledger.mint("USDC", "P", 100_000 * E6)
    pair.mint("lp", T0)
    return pair


def _pump(pair: V2Pair, now: int) -> None:
    """Mallory's 300,000 USDC swap, sent straight to the pair."""
    pair.ledger.mint("USDC", "P", 300_000 * E6)
    out = 300_000 * E6 * 997 * pair.reserve0 // (pair.reserve1 * 1000 + 300_000 * E6 * 997)
    pair.swap(out, 0, "mallory", now)


def test_spot_answer_follows_the_reserves():
    pair = _pair()
    feed = PairPriceFeed.deploy(pair, "TKN", 18, 6, False, 0, T0)
    # $1 at 1:1 reserves, but the UQ112 ratio 1e-12 (USDC units per TKN unit) is floored first:
    # floor(2**112 / 10**12) · 10**26 / (10**6 · 2**112) is just below 10**8, so the answer is 10**8 − 1.
    assert (2**112 // 10**12) * 10**26 < 10**8 * 10**6 * 2**112
    assert feed.answer(100_000_000, T0 + 5) == 10**8 - 1
    _pump(pair, T0 + 10)
    # 400,000 USDC / 25,056.38 TKN = $15.964 (floor of the UQ112 ratio, then of the answer)
    assert abs(feed.answer(100_000_000, T0 + 10) - 15.964 * 1e8) < 0.001 * 1e8
    assert feed.answer(50_000_000, T0 + 10) == feed.answer(100_000_000, T0 + 10) // 2


def test_twap_needs_a_window_and_barely_moves_on_a_short_pump():
    pair = _pair()
    feed = PairPriceFeed.deploy(pair, "TKN", 18, 6, True, 1800, T0)
    with pytest.raises(PairFeedError, match="WindowNotElapsed"):
        feed.answer(100_000_000, T0 + 1799)
    _pump(pair, T0 + 3600)
    spot = pair.reserve1 * 10**12 / pair.reserve0
    # 3,600 s at $1 and 2 s at the pumped spot: the average over 3,602 s.
    expected = (3600 * 1 + 2 * spot) / 3602
    assert abs(feed.answer(100_000_000, T0 + 3602) / 1e8 - expected) < 1e-6
    assert feed.answer(100_000_000, T0 + 3602) < 1.01e8


def test_update_rolls_observations_only_after_a_window():
    pair = _pair()
    feed = PairPriceFeed.deploy(pair, "TKN", 18, 6, True, 1800, T0)
    assert not feed.update(T0 + 1799)
    assert feed.update(T0 + 1800)
    _pump(pair, T0 + 1800)
    # The newest observation is 100 s old: the reading uses the previous one (1,900 s back).
    spot = pair.reserve1 * 10**12 / pair.reserve0
    assert abs(feed.answer(100_000_000, T0 + 1900) / 1e8 - (1800 + 100 * spot) / 1900) < 1e-6
    # Once the newest is a window old it is used: only the pumped price remains in the average.
    assert abs(feed.answer(100_000_000, T0 + 3600) / 1e8 - spot) < 1e-6


def test_constructor_rules():
    pair = _pair()
    with pytest.raises(PairFeedError, match="NotInPair"):
        PairPriceFeed.deploy(pair, "DAI", 18, 6, False, 0, T0)
    with pytest.raises(PairFeedError, match="InvalidWindow"):
        PairPriceFeed.deploy(pair, "TKN", 18, 6, True, 0, T0)
    with pytest.raises(PairFeedError, match="InvalidReferenceSpan"):
        PairPriceFeed.deploy(pair, "TKN", 18, 6, False, 0, T0, reference_span_s=0)
    # defaults: the TWAP window, else 1,800 s
    assert PairPriceFeed.deploy(pair, "TKN", 18, 6, True, 600, T0).reference_span_s == 600
    assert PairPriceFeed.deploy(pair, "TKN", 18, 6, False, 0, T0).reference_span_s == 1_800


BASE = "scenarios/oracle/spot_manipulation_protected.yaml"


@pytest.mark.parametrize("old,new,field", [
    ("mode: twap, window_s: 1800", "mode: twap", "window_s"),
    ("mode: twap, window_s: 1800", "mode: spot, window_s: 1800", "window_s"),
    ("asset: TKN, mode: twap", "asset: WETH, mode: twap", "price_feed.asset"),
    ("mode: twap, window_s: 1800", "mode: twap, window_s: 1800, reference_span_s: 0",
     "price_feed.reference_span_s"),
    ("{op: market, asset: TKN, price_usd: \"1\"}", "{op: price, asset: TKN, price_usd: \"2\"}", "steps.6.asset"),
])
def test_schema_names_the_field(tmp_path, old, new, field):
    text = open(BASE).read()
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, new))
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        load_scenario(path)


@settings(max_examples=200, deadline=None)
@given(window=st.integers(1, 7 * 86_400), gaps=st.lists(st.integers(1, 40 * 86_400), min_size=1, max_size=6),
       roll=st.lists(st.booleans(), min_size=6, max_size=6), quote_lag=st.integers(0, 86_400))
def test_a_twap_round_is_as_late_as_its_average(window, gaps, roll, quote_lag):
    """P-ORACLE-13 (SPEC rule O2): at every read a TWAP's round 2 is dated no later than its observation + window
    (and never after its quote's round): a round the router takes as ``a`` seconds old averages over at most
    ``window + a`` seconds, whoever calls ``update()`` and when (random gaps up to 40 days, random rolls)."""
    from protocol_model.exact.oracle.price_router import Feed

    feed = PairPriceFeed.deploy(_pair(), "TKN", 18, 6, True, window, T0)
    now = T0
    for gap, rolled in zip(gaps, roll, strict=False):
        now += gap
        if rolled:
            feed.update(now)
        quote = Feed(100_000_000, updated_at=now - min(quote_lag, now - T0))
        try:
            obs = feed.twap_observation(now)
        except PairFeedError:
            continue
        r = feed.round(quote, now)
        assert r.updated_at <= quote.updated_at and r.started_at <= quote.updated_at
        assert now - obs.timestamp <= window + (now - r.updated_at), "P-ORACLE-13: a TWAP older than its date"


def _spot_x112(pair: V2Pair) -> int:
    """The pair's TKN price now (UQ112x112 USDC units per TKN unit), as the cumulative accrues it."""
    tkn, usdc = pair.reserves("TKN")
    return usdc * 2**112 // tkn


def _swap(pair: V2Pair, token_in: str, amount_in: int, now: int) -> None:
    """``amount_in`` of ``token_in`` sent straight to the pair for its whole output (the 0.3% fee), if any."""
    r_in, r_out = pair.reserves(token_in)
    out = amount_in * 997 * r_out // (r_in * 1000 + amount_in * 997)
    if out == 0:
        return
    pair.ledger.mint(token_in, "P", amount_in)
    pair.swap(*((0, out) if token_in == pair.token0 else (out, 0)), "trader", now)


_op = st.one_of(st.tuples(st.just("warp"), st.integers(1, 4_000)), st.tuples(st.just("update"), st.just(0)),
                st.tuples(st.sampled_from(["TKN", "USDC"]), st.integers(1, 3_000)))
"""A prelude step: a warp (seconds), an ``update()`` or a swap of up to 30% of that token's reserve (per 10,000)."""
_hold = st.one_of(st.tuples(st.just("warp"), st.integers(1, 600)), st.tuples(st.just("update"), st.just(0)))


@settings(max_examples=300, deadline=None)
@given(span=st.sampled_from([1, 12, 600, 1_800, 7_200]), twap=st.booleans(), window=st.integers(1, 3_600),
       prelude=st.lists(_op, max_size=12), pump_bps=st.integers(1, 200_000), hold=st.lists(_hold, max_size=12))
def test_the_reference_never_follows_a_pump_held_less_than_its_span(span, twap, window, prelude, pump_bps, hold):
    """P-ORACLE-14 (SPEC rule O2): whatever ``update()`` calls, swaps and warps come before, a pump held ``k``
    seconds (with ``update()`` calls at any of them) weighs at most ``k / S`` in the breaker's reference, where ``S``
    = min(reference span, time since deployment): with ``M`` the highest price before the pump and ``P`` the
    pumped one, ``reference · S ≤ M · S + (P − M) · k``. A pump held less than the span cannot become the
    reference (before: ``update()`` just before the pump made the reference the pump alone)."""
    pair = _pair()
    feed = PairPriceFeed.deploy(pair, "TKN", 18, 6, twap, window if twap else 0, T0, reference_span_s=span)
    now, high = T0, _spot_x112(pair)
    for kind, arg in prelude:
        if kind == "warp":
            now += arg
        elif kind == "update":
            feed.update(now)
        else:
            _swap(pair, kind, pair.reserves(kind)[0] * arg // 10_000, now)
            high = max(high, _spot_x112(pair))
    now += 1
    _swap(pair, "USDC", pair.reserves("USDC")[0] * pump_bps // 10_000, now)
    pumped_at, pumped = now, max(_spot_x112(pair), high)
    feed.update(now)  # the attacker's update in the pump's block
    for kind, arg in [*hold, ("warp", 1)]:
        if kind == "warp":
            now += arg
            reference = feed.reference_x112(now)
            assert reference is not None
            least_span = min(span, now - T0)
            assert reference * least_span <= high * least_span + (pumped - high) * (now - pumped_at), \
                "P-ORACLE-14: the reference follows a pump held less than its span"
        else:
            feed.update(now)
