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


def play(name):
    sc = load_perp_scenario(STORIES / f"{name}.yaml")
    world, outcomes = run_perp_model(sc)
    assert outcomes == [s.expect for s in sc.steps]
    return world.engine


def test_cross_vs_isolated_spill_over():
    e = play("cross_vs_isolated")
    # dave: ETH bucket lost its 1,000 (2.5 × −400), liquidated in full, no penalty left to take; BTC intact.
    assert e.isolated("dave", 0) == 0 and e.position("dave", 0).size_wad == 0
    assert e.margin("dave", True, 1).equity_wad == (1_000 - 600) * WAD  # 0.1 × −6,000
    # carol: cross equity 2,000 − 1,000 − 600 = 400 < 420 maintenance; half the ETH taken over at 1,600,
    # penalty 1% of 2,000 = 20 (10 to frank, 10 to the insurance fund).
    liq = [ev for ev in e.events if isinstance(ev, LiquidationEvent)]
    assert [(ev.account, ev.closed_size_wad, ev.penalty_wad) for ev in liq] == [
        ("dave", 25 * WAD // 10, 0), ("carol", 125 * WAD // 100, 20 * WAD)]
    assert e.margin("carol", False, 0).equity_wad == 380 * WAD
    assert e.insurance_fund_wad == 10 * WAD


def test_bankruptcy_insurance_then_socialised_then_unsocialised():
    e = play("bankruptcy")
    bk = [ev for ev in e.events if isinstance(ev, BankruptcyEvent)]
    # alice: 1,000 − 5 × 300 = −500: insurance 100, shorts (5 ETH) charged 400 → 80 per ETH
    assert bk[0] == BankruptcyEvent(0, "alice", 500 * WAD, 100 * WAD, 400 * WAD, 0)
    # heidi: 170 − 1 × 255 = −85, fund empty, the only long took her short over: unsocialised
    assert bk[1] == BankruptcyEvent(0, "heidi", 85 * WAD, 0, 0, 85 * WAD)
    assert e.markets[0].cum_short_wad == -80 * WAD and e.unsocialized_loss_wad == 85 * WAD


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
