"""What each loop story (scenarios/loops/*.yaml) is about, asserted on the exact model — the same model
tests/crosscheck/test_loop_stories.py proves equal to the chain after every step."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.exact.math_lib import WAD
from protocol_model.exact.strategies.looper import LOOPER
from protocol_model.scenario.story import ScenarioError, load_scenario, parse_scenario
from protocol_model.world.model_world import run_model

LOOPS = Path(__file__).resolve().parents[2] / "scenarios" / "loops"
FILES = sorted(LOOPS.glob("*.yaml"))


def story(name: str):
    scenario = load_scenario(LOOPS / f"{name}.yaml")
    world, outcomes = run_model(scenario)
    assert outcomes == [s.expect for s in scenario.steps]
    return world


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_outcomes_as_written_and_looper_keeps_nothing(path):
    scenario = load_scenario(path)
    world, outcomes = run_model(scenario)
    assert outcomes == [s.expect for s in scenario.steps]
    for asset in world.asset_names:
        assert world.pool.ledger.balance(asset, LOOPER) == 0


def test_open_3x_reaches_3x_and_unwinds_to_less_than_the_equity():
    w = story("open_3x")
    led = w.pool.ledger
    # Alice: 30 WETH supplied after the flash open is gone; the unwinds returned her WETH less costs
    assert led.balance("WETH", "alice") < 10 * 10**18
    assert led.balance("WETH", "alice") > 9.8 * 10**18  # 0.3% fee on ~2x of equity, 0.09% flash fee, 30 days
    assert w.pool.debt_balance("USDC", "alice") == 0 == w.pool.debt_balance("USDC", "erin")
    # the flash fees went to USDC reserves
    assert w.pool.assets["USDC"].state.reserves > 0


def test_open_3x_positions_right_after_opening():
    scenario = load_scenario(LOOPS / "open_3x.yaml")
    short = scenario.model_copy(update={"steps": scenario.steps[:8]})
    w, _ = run_model(short)
    p = w.pool
    assert p.supply_balance("WETH", "alice") == 30 * 10**18  # exactly equity x 3
    hf_alice = p.health_factor("alice") / WAD
    # 3x: HF = 0.825 * 3 / 2 / (1 + costs) ~ 1.24 / 1.0045 (0.3% fee, impact, 0.09% flash fee)
    assert 1.22 < hf_alice < 1.2375
    erin = p.supply_balance("WETH", "erin") / 10**19  # 3 rounds: 1 + .8 + .64 + .512 = 2.952 less fees
    assert 2.9 < erin < 2.952


def test_crash_cascade_liquidates_both_loopers_through_the_pair():
    w = story("crash_cascade")
    p = w.pool
    for who in ("alice", "dave"):
        assert p.debt_balance("USDC", who) == 0, who
    assert w.pool.ledger.balance("WETH", "carol") == 0  # she sold everything she seized
    # The oracle ended at the pair's price, below the 2,000 start: about 7% from frank's sale of 4,620 WETH
    # into 120,000 ((120,000/(120,000 + 0.997·4,620))² ≈ 0.928), then Carol's sales of the seized WETH.
    assert 1_850 * 10**8 < p.feeds["WETH"].answer < 1_860 * 10**8


def test_crash_cascade_dave_is_liquidated_by_alices_collateral_alone():
    """Every swap of the loops stays within 50 bps of the oracle (the sandwich bound, SPEC §9 S2), so each loop
    is at most about 0.1% of the pair: its liquidation moves the pair by about twice that. Dave is left just
    above HF 1 by frank's sale, and Carol's sale of Alice's seized WETH (≈119 WETH into ≈124,500: a
    1 − (124,500/(124,500 + 0.997·119))² ≈ 0.19% drop) takes him under it."""
    scenario = load_scenario(LOOPS / "crash_cascade.yaml")
    kinds = [s.op for s in scenario.steps]
    carol_sale = kinds.index("swap", kinds.index("swap") + 1)
    before, _ = run_model(scenario.model_copy(update={"steps": scenario.steps[:carol_sale]}))
    after, _ = run_model(scenario.model_copy(update={"steps": scenario.steps[:carol_sale + 2]}))
    hf_before, hf_after = before.pool.health_factor("dave"), after.pool.health_factor("dave")
    assert WAD < hf_before < WAD * 1002 // 1000
    assert WAD * 998 // 1000 < hf_after < WAD
    drop = 1 - after.pool.feeds["WETH"].answer / before.pool.feeds["WETH"].answer
    assert 0.0015 < drop < 0.0025


def test_stable_depeg_liquidates_the_yield_loop():
    w = story("stable_depeg")
    p = w.pool
    assert p.feeds["USDC"].answer < 0.9 * 10**8
    assert p.debt_balance("USDT", "alice") == 0
    # alice keeps some USDC, far less than the 100,000 she started with
    assert 0 < w.pool.ledger.balance("USDC", "alice") < 60_000 * 10**6


def test_oracle_lag_turns_a_small_liquidation_into_bad_debt():
    w = story("oracle_lag")
    usdc = w.pool.assets["USDC"].state
    assert usdc.bad_debt > 0
    assert w.pool.supply_balance("WETH", "alice") == 0


@pytest.mark.parametrize("patch, field", [
    ({"amm_pairs": [{"name": "P", "assets": ["WETH", "DAI"], "reserves": {"WETH": "1", "DAI": "1"}}]},
     "amm_pairs.0.assets"),
    ({"amm_pairs": [{"name": "P", "assets": ["WETH", "WETH"], "reserves": {"WETH": "1"}}]}, "amm_pairs.0"),
    ({"amm_pairs": [{"name": "P", "assets": ["WETH", "USDC"], "reserves": {"WETH": "-1", "USDC": "1"}}]},
     "amm_pairs.0"),
    ({"steps": [{"op": "swap", "account": "alice", "pair": "NOPE", "asset": "WETH", "amount": "1"}]}, "steps.0.pair"),
    ({"steps": [{"op": "loop_open", "account": "alice", "collateral": "WETH", "debt": "USDC", "equity": "1",
                 "mode": "flash", "rounds": 3}]}, "steps.0"),
    ({"steps": [{"op": "loop_open", "account": "alice", "collateral": "WETH", "debt": "USDC", "equity": "1",
                 "mode": "iterative", "rounds": 3, "max_slippage_bps": "lots"}]}, "steps.0.loop_open.max_slippage_bps"),
    ({"pool": {"flash_loan_fee_bps": 2000}}, "pool.flash_loan_fee_bps"),
])
def test_bad_loop_scenarios_name_the_field(patch, field):
    data = {
        "name": "x", "assets": [
            {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8000, "liquidation_threshold_bps": 8500,
             "liquidation_bonus_bps": 500},
            {"name": "WETH", "decimals": 18, "price_usd": "2000", "ltv_bps": 8000, "liquidation_threshold_bps": 8500,
             "liquidation_bonus_bps": 500}],
        "accounts": [{"name": "alice"}],
        "amm_pairs": [{"name": "P", "assets": ["WETH", "USDC"], "reserves": {"WETH": "1", "USDC": "2000"}}],
    }
    data.update(patch)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "x.yaml")
    message = str(info.value)
    assert message.startswith("x.yaml: ") and f" {field}" in message, message
