"""Perp stories' numbers in the exact model, each derived by hand; schema errors name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.exact.math_lib import WAD
from protocol_model.exact.perp.params import MarketParams
from protocol_model.exact.perp.perp_engine import BankruptcyEvent, LiquidationEvent
from protocol_model.scenario.perp import load_perp_scenario, parse_perp_scenario
from protocol_model.scenario.story import ScenarioError
from protocol_model.world.perp_world import run_perp_model

STORIES = Path(__file__).resolve().parents[2] / "scenarios" / "perp"


def play_world(name):
    sc = load_perp_scenario(STORIES / f"{name}.yaml")
    world, outcomes = run_perp_model(sc)
    assert outcomes == [s.expect for s in sc.steps]
    return world


def play(name):
    return play_world(name).engine


def test_cross_vs_isolated_spill_over():
    w = play_world("cross_vs_isolated")
    e, now = w.engine, w.view_time
    # dave: ETH bucket lost its 1,000 (2.5 × −400), liquidated in full, no penalty left to take; BTC intact.
    assert e.isolated("dave", 0) == 0 and e.position("dave", 0).size_wad == 0
    assert e.margin("dave", True, 1, now).equity_wad == (1_000 - 600) * WAD  # 0.1 × −6,000
    # carol: cross equity 2,000 − 1,000 − 600 = 400 < 420 maintenance; half the ETH taken over at 1,600,
    # penalty 1% of 2,000 = 20 (10 to frank, 10 to the insurance fund).
    liq = [ev for ev in e.events if isinstance(ev, LiquidationEvent)]
    assert [(ev.account, ev.closed_size_wad, ev.penalty_wad) for ev in liq] == [
        ("dave", 25 * WAD // 10, 0), ("carol", 125 * WAD // 100, 20 * WAD)]
    assert e.margin("carol", False, 0, now).equity_wad == 380 * WAD
    assert e.insurance_fund_wad == 10 * WAD


def test_bankruptcy_insurance_then_socialised_including_the_liquidator():
    e = play("bankruptcy")
    bk = [ev for ev in e.events if isinstance(ev, BankruptcyEvent)]
    # alice: 1,000 − 5 × 300 = −500: insurance 100, shorts (5 ETH) charged 400 → 80 per ETH
    assert bk[0] == BankruptcyEvent(0, "alice", 500 * WAD, 100 * WAD, 400 * WAD, 0)
    # heidi: 170 − 1 × 255 = −85, fund empty; bob, the only long (1 ETH), takes her short over, but the 85 is
    # charged to the longs before his fill flattens him: he pays it, nothing is unsocialised
    assert bk[1] == BankruptcyEvent(0, "heidi", 85 * WAD, 0, 85 * WAD, 0)
    assert e.markets[0].cum_short_wad == -80 * WAD and e.markets[0].cum_long_wad == 85 * WAD
    assert e.unsocialized_loss_wad == 0


def test_funding_is_capped_premium_times_index():
    e = play("funding_and_oracle")
    # 2% premium capped at 0.75% per 8 h × index 2,000 = 15 per ETH over the first 8 hours
    assert e.events[0].delta_wad == 15 * WAD


@pytest.mark.parametrize("patch,message", [
    ({"markets": [{"name": "X", "index": "ETH", "initial_margin_bps": 500, "maintenance_margin_bps": 500}]},
     "markets.0: Value error, maintenance_margin (5%) must be below initial_margin (5%)"),
    ({"markets": [{"name": "X", "index": "ETX", "initial_margin_bps": 1000, "maintenance_margin_bps": 500}]},
     "markets.0.index: unknown index 'ETX'"),
    ({"steps": [{"op": "deposit", "account": "zed", "amount": 1}]}, "steps.0.account: unknown account 'zed'"),
    ({"steps": [{"op": "price", "asset": "ETH", "price_usd": -1}]}, "steps.0.price.price_usd"),
    ({"steps": [{"op": "deposit", "account": "al", "amount": "0.0000001"}]}, "steps.0.amount"),
    ({"steps": [{"op": "deposit", "account": "al", "amount": 1, "expect": "Oops"}]}, "steps.0.expect"),
])
def test_bad_story_names_the_field(patch, message):
    base = {"name": "t", "indexes": [{"name": "ETH", "price_usd": 2000}],
            "markets": [{"name": "M", "index": "ETH", "initial_margin_bps": 1000, "maintenance_margin_bps": 500}],
            "accounts": [{"name": "al", "balance": 10}]}
    with pytest.raises(ScenarioError) as err:
        parse_perp_scenario({**base, **patch}, "x.yaml")
    assert message.replace("Value error, ", "") in str(err.value)


def test_params_validate_like_the_contract():
    from protocol_model.exact.perp import errors
    with pytest.raises(errors.MarginRatiosInvalid):
        MarketParams(1_000, 0).validate()
    with pytest.raises(errors.BpsOutOfRange):
        MarketParams(1_000, 500, trade_fee_bps=10_001).validate()
    with pytest.raises(errors.ZeroFundingPeriod):
        MarketParams(1_000, 500, funding_period_seconds=0).validate()


def test_broken_feed_blocks_only_the_markets_that_read_it():
    """Issue 14 item 10: ETH's feed answers 0; BTC-only accounts are liquidated, withdraw and trade as usual."""
    w = play_world("broken_feed")
    e, now = w.engine, w.view_time
    # bob: 600 − 0.1 × (50,000 − 45,000) = 100 < ⌊225 × 50%⌋ = 112.5 → all 0.1 BTC taken over at 45,000;
    # penalty min(1% × 4,500, 100) = 45: 22.5 to frank, 22.5 to the insurance fund; bob keeps 55.
    liq = [ev for ev in e.events if isinstance(ev, LiquidationEvent)]
    assert liq == [LiquidationEvent(1, "bob", "frank", WAD // 10, 45_000 * WAD, 45 * WAD, 45 * WAD // 2)]
    assert e.cross_balance_wad["bob"] == 55 * WAD and e.position("bob", 1).size_wad == 0
    assert e.insurance_fund_wad == 45 * WAD // 2
    # carol withdrew 1,000 and bought 0.01 BTC more: cross balance 9,000, 0.11 BTC.
    assert e.cross_balance_wad["carol"] == 9_000 * WAD and e.position("carol", 1).size_wad == 11 * WAD // 100
    # alice (ETH) was frozen while the ETH feed was broken, then withdrew 500 once it answered again.
    assert e.cross_balance_wad["alice"] == 500 * WAD and e.position("alice", 0).size_wad == WAD
    assert e.margin("alice", False, 0, now).equity_wad == 500 * WAD


def test_stale_mark_stops_funding_and_the_view_includes_pending_funding():
    """Issue 14 item 11: one hour of 0.95% × 2,000 = 19 per ETH, not a day's 456; the view shows it before any
    accrual."""
    sc = load_perp_scenario(STORIES / "stale_mark.yaml")
    # Up to bob's deposit after the day's warp (it reads no price): alice's funding is not accrued yet, and her
    # margin view already counts it: 520 − 20 (bought 1 ETH at 2,020, index 2,000) − 19 = 481.
    before, _ = run_perp_model(sc.model_copy(update={"steps": sc.steps[:5]}))
    m = before.engine.markets[0]
    assert m.cum_long_wad == 0 and before.view_time - m.mark_time == 86_401
    assert before.engine.margin("alice", False, 0, before.view_time).equity_wad == 481 * WAD
    assert before.engine.margin("alice", False, 0, m.mark_time + 3_600).equity_wad == 481 * WAD  # fresh for 1 h
    assert before.engine.margin("alice", False, 0, m.mark_time + 1_800).equity_wad == (1_000 - 19) * WAD // 2
    world, _ = run_perp_model(sc)
    e = world.engine
    # After the withdraw accrued it: the index moved by 19 once, alice withdrew 281 to equity = IM = 200.
    assert [ev.delta_wad for ev in e.events] == [19 * WAD]
    assert e.cross_balance_wad["alice"] == (520 - 281) * WAD
    mg = e.margin("alice", False, 0, world.view_time)
    assert mg.equity_wad == mg.initial_wad == 200 * WAD
    assert e.margin("bob", False, 0, world.view_time).equity_wad == (10_001 + 20 + 19) * WAD
