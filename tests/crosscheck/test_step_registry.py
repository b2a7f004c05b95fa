"""The step-kind registries: every step kind a story file uses has exactly one chain handler, and an unknown
kind is refused by name (no chain needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.adapter import LENDING_STEPS
from protocol_model.chain.leveraged import LEVERAGED_STEPS, LevOp
from protocol_model.chain.perp_adapter import PERP_STEPS
from protocol_model.chain.steps import StepRegistry, time_only
from protocol_model.scenario.perp import load_perp_scenario
from protocol_model.scenario.story import load_scenario
from protocol_model.world.action import Action

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_every_story_kind_has_a_handler():
    perp = {p for p in SCENARIOS.rglob("*.yaml") if p.parent.name == "perp"}
    lending = [p for p in SCENARIOS.rglob("*.yaml")
               if p not in perp and p.parent.name != "lab" and "presets" not in p.relative_to(SCENARIOS).parts]
    used = {s.op for p in lending for s in load_scenario(p).steps}
    assert {"supply", "borrow", "liquidate", "feed", "swap", "loop_open"} <= used
    assert used <= LENDING_STEPS.kinds, used - LENDING_STEPS.kinds
    perp_used = {s.op for p in perp for s in load_perp_scenario(p).steps}
    assert perp_used and perp_used <= PERP_STEPS.kinds, perp_used - PERP_STEPS.kinds
    assert all(LEVERAGED_STEPS.handler(k).model is not None for k in LEVERAGED_STEPS.kinds)


def test_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown lending step 'flash'"):
        LENDING_STEPS.call(None, Action("flash"))
    with pytest.raises(ValueError, match="unknown leveraged token step 'warp'"):
        LEVERAGED_STEPS.handler(LevOp("warp").kind)


def test_a_kind_registered_twice_is_refused():
    with pytest.raises(ValueError, match="'warp' registered twice"):
        StepRegistry.of_calls("twice", {"warp": time_only}, {"warp": time_only})
