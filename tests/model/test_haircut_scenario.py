"""Haircut classes as LTV/threshold cuts of a scenario's assets (protocol_model/scenario/haircuts.py): valid,
stricter, and equal in the exact engine to counting the collateral at (1 − haircut) of its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.analytics.haircuts import CLASSES
from protocol_model.scenario.haircuts import apply_haircuts, cut_bps
from protocol_model.scenario.story import ScenarioError, load_scenario, parse_scenario
from protocol_model.world.model_world import ModelWorld, resolve, run_model

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"
CLASS_BY_ASSET = {"USDC": "payment_stablecoin", "WBTC": "major_crypto", "WETH": "major_crypto"}


def test_haircut_scenario_is_valid_and_stricter():
    base = load_scenario(DEFAULT)
    cut = apply_haircuts(base, CLASS_BY_ASSET)
    assert parse_scenario(cut.model_dump(mode="json")) == cut  # round-trips through the file validator
    got = {a.name: (a.ltv_bps, a.liquidation_threshold_bps) for a in cut.assets}
    # WETH 8000/8250 × 0.7 = 5600/5775; USDC 8500/8800 × 0.98 = 8330/8624; WBTC 7300/7800 × 0.7 = 5110/5460
    assert got == {"WETH": (5600, 5775), "USDC": (8330, 8624), "WBTC": (5110, 5460)}
    for a, b in zip(base.assets, cut.assets, strict=True):
        assert b.ltv_bps < a.ltv_bps and b.liquidation_threshold_bps < a.liquidation_threshold_bps
        assert (b.liquidation_bonus_bps, b.rate, b.decimals) == (a.liquidation_bonus_bps, a.rate, a.decimals)
    # the story's 12,000 USDC borrow against 10 WETH passes at 80% LTV (capacity 16,000) and fails at 56% (11,200)
    assert run_model(base)[1][3] == "ok" and run_model(cut)[1][3] == "InsufficientCollateral"


def _alice_after_supplying(scenario, weth: str):
    world = ModelWorld(scenario, {a.name: 1 for a in scenario.assets})
    step = scenario.steps[1].model_copy(update={"amount": weth})  # alice supplies WETH
    assert world.apply(resolve(step, scenario), 2) == "ok"
    return world.snapshot().accounts["alice"]


def test_cut_parameters_equal_collateral_counted_after_the_haircut():
    base = load_scenario(DEFAULT)
    cut = apply_haircuts(base, {"WETH": "major_crypto"})
    # 10 WETH under 5600/5775 == 7 WETH (10 × (1 − 30%)) under 8000/8250: same capacity and adjusted collateral
    _, adj_cut, cap_cut, _, _ = _alice_after_supplying(cut, "10")
    _, adj_base, cap_base, _, _ = _alice_after_supplying(base, "7")
    assert (adj_cut, cap_cut) == (adj_base, cap_base) == (11_550 * 10**18, 11_200 * 10**18)
    assert cut_bps(8_250, 2_500) == 6_187  # ⌊8250 × 0.75⌋: rounded down, the protocol's side


@pytest.mark.parametrize("mapping, message", [
    ({"DAI": "payment_stablecoin"}, "DAI: unknown asset"),
    ({"WETH": "blue_chip"}, "WETH: unknown haircut_class 'blue_chip'"),
])
def test_bad_mapping_names_the_field(mapping, message):
    with pytest.raises(ScenarioError, match=message):
        apply_haircuts(load_scenario(DEFAULT), mapping)
    assert "bridged_stablecoin" in CLASSES
