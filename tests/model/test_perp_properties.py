"""Properties of the margin engine over the general case (issue 14, items 10 and 11): random collateral
decimals (0/2/6/8/18), index prices from 1e-8 to 1e12 USD, random sizes, parameters and times.

- An operation depends only on the prices of the markets it reads (docs/perp_margin.md, "Which prices an
  operation reads"): with another market's feed broken, its outcome and the whole resulting state are
  those of the same call with that feed valid.
- Funding runs only while the mark is fresh, and every margin view includes the funding not yet accrued
  (docs/perp_margin.md, "Stale mark").
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.exact.math_lib import BPS, WAD, mul_div_down
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.params import MarketParams
from protocol_model.exact.perp.perp_engine import ENGINE, PerpEngine

T0 = 1_700_000_000
ASSETS = ["A", "B", "C"]
answers = st.integers(1, 10**20)  # 8-decimal answers: 1e-8 .. 1e12 USD
decimals = st.sampled_from([0, 2, 6, 8, 18])


def engine(dec: int, prices: list[int], params: MarketParams) -> PerpEngine:
    e = PerpEngine("USD", dec)
    for asset, answer in zip(ASSETS, prices, strict=True):
        e.set_feed(asset, Feed(answer, 8))
        e.list_market(asset, params, T0)
    return e


def fund(e: PerpEngine, who: str, usd: int) -> None:
    amount = usd * 10**e.collateral_decimals
    e.ledger.mint("USD", who, amount)
    e.ledger.approve("USD", who, ENGINE, 2**256 - 1)
    e.deposit(who, amount)


def size_for(e: PerpEngine, market: int, notional_usd: int) -> int:
    return max(notional_usd * WAD * WAD // e.index_price(ASSETS[market]), 1)


def outcome(e: PerpEngine, op) -> str:
    try:
        op(e)
    except errors.PoolError as err:
        return err.name
    return "ok"


@settings(max_examples=150, deadline=None)
@given(dec=decimals, prices=st.lists(answers, min_size=3, max_size=3), held=st.sets(st.sampled_from([0, 1]),
       min_size=1), iso=st.booleans(), lev_pct=st.integers(10, 95), move_pct=st.integers(50, 150),
       dt=st.integers(1, 30 * 86_400), op=st.sampled_from(["withdraw", "trade", "liquidate", "transfer"]),
       broken_answer=st.sampled_from([0, -1]), valid_answer=answers)
def test_a_broken_feed_elsewhere_changes_nothing(dec, prices, held, iso, lev_pct, move_pct, dt, op, broken_answer,
                                                 valid_answer):
    """Market 2 is held by others only; the user holds markets ``held`` (cross, or isolated in market 0)."""
    e = engine(dec, prices, MarketParams(1_000, 500, max_funding_rate_bps=75, price_band_bps=200))
    for who in ("user", "other", "mm0", "mm1", "mm2", "liq"):
        fund(e, who, 1_000_000)
    if iso:
        e.set_margin_mode("user", 0, True)
        e.transfer_margin("user", 0, 100_000 * WAD, T0 + 1)
    notional = 800_000 * 10 * lev_pct // 100 // len(held)  # at most 95% of what 800,000 supports at 10x
    for m in sorted(held):
        e.trade(m, "user", f"mm{m}", size_for(e, m, notional if not (iso and m == 0) else notional // 10),
                e.index_price(ASSETS[m]), T0 + 2)
    e.trade(2, "other", "mm2", size_for(e, 2, 10_000), e.index_price(ASSETS[2]), T0 + 2)
    for m in held:  # the user's markets move; funding runs at the mark's premium over the moved index
        e.set_feed(ASSETS[m], Feed(max(prices[m] * move_pct // 100, 1), 8))
    now = T0 + 2 + dt
    m0 = min(held)
    calls = {
        "withdraw": lambda x: x.withdraw("user", 1_000 * 10**dec, now),
        "transfer": lambda x: x.transfer_margin("user", 0, -WAD if iso else WAD, now),
        "trade": lambda x: x.trade(m0, "liq", "user", size_for(x, m0, 1_000), x.index_price(ASSETS[m0]), now),
        "liquidate": lambda x: x.liquidate("liq", "user", m0, now),
    }
    broken, valid = copy.deepcopy(e), copy.deepcopy(e)
    broken.set_feed("C", Feed(broken_answer, 8))
    valid.set_feed("C", Feed(valid_answer, 8))
    assert outcome(broken, calls[op]) == outcome(valid, calls[op])
    for name in ("markets", "positions", "cross_balance_wad", "isolated_balance_wad", "insurance_fund_wad",
                 "unsocialized_loss_wad", "events"):
        assert getattr(broken, name) == getattr(valid, name), name
    assert broken.ledger.balance("USD", "user") == valid.ledger.balance("USD", "user")


@settings(max_examples=200, deadline=None)
@given(dec=decimals, answer=answers, premium_bps=st.integers(-200, 200), cap_bps=st.integers(0, 500),
       period=st.integers(60, 86_400), max_age=st.integers(1, 3 * 86_400),
       touches=st.lists(st.integers(1, 2 * 86_400), min_size=1, max_size=8), notional=st.integers(1, 10**6))
def test_funding_stops_on_a_stale_mark_and_views_include_it(dec, answer, premium_bps, cap_bps, period, max_age,
                                                            touches, notional):
    """After one trade at a premium, touches at random times (index unchanged): the long side's index moves by
    the capped rate over at most ``max_age`` seconds in all (each touch rounds its step down), and before every
    touch the margin view already equals the margin after it."""
    params = MarketParams(1_000, 500, trade_fee_bps=0, max_funding_rate_bps=cap_bps, price_band_bps=200,
                          funding_period_seconds=period, mark_max_age_seconds=max_age)
    e = PerpEngine("USD", dec)
    e.set_feed("A", Feed(answer, 8))
    e.list_market("A", params, T0)
    for who in ("long", "short"):
        fund(e, who, 10**9)
    index = e.index_price("A")
    price = max(index + index * premium_bps // BPS, 1)
    e.trade(0, "long", "short", size_for(e, 0, notional), price, T0 + 1)
    now = T0 + 1
    for step in touches:
        now += step
        before = {w: e.margin(w, False, 0, now) for w in ("long", "short")}
        e._accrue(0, now)
        assert before == {w: e.margin(w, False, 0, now) for w in ("long", "short")}
    m = e.markets[0]
    premium = (price - index) * WAD // index if price >= index else -((index - price) * WAD // index)
    rate = max(-params.max_funding_rate_bps * WAD // BPS, min(params.max_funding_rate_bps * WAD // BPS, premium))
    fresh = min(now - (T0 + 1), max_age)
    exact = mul_div_down(abs(rate) * fresh, index, WAD * period)
    assert exact - len(touches) <= abs(m.cum_long_wad) <= exact
    assert m.cum_long_wad == 0 or (m.cum_long_wad > 0) == (rate > 0)
