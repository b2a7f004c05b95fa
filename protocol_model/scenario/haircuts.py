"""Haircut classes (``protocol_model.analytics.haircuts``) in the lending pool's terms.

The pool values collateral at its oracle price and applies the asset's LTV (borrowing power) and
liquidation threshold (health factor): ``Σ value · ltv`` and ``Σ value · threshold``. Counting an asset
at ``(1 − h)`` of its value therefore equals cutting its LTV and threshold by ``(1 − h)``:

    ltv' = ⌊ltv · (BPS − h) / BPS⌋,   threshold' = ⌊threshold · (BPS − h) / BPS⌋

rounded down (the protocol's side), so a haircut scenario is never looser than the haircut itself. The
bonus is unchanged; ``threshold' · (1 + bonus) < 1`` keeps holding because the threshold only falls. An
issuer concentration limit has no per-account equivalent in the pool; its pool-wide analogue is the
asset's supply cap (docs/haircuts.md).
"""

from __future__ import annotations

from protocol_model.analytics.haircuts import CLASSES, HaircutClass
from protocol_model.exact.math_lib import BPS, bps_mul_down
from protocol_model.scenario.story import AssetSpec, Scenario, ScenarioError, parse_scenario


def cut_bps(value_bps: int, haircut_bps: int) -> int:
    """``⌊value · (BPS − haircut) / BPS⌋``."""
    return bps_mul_down(value_bps, BPS - haircut_bps)


def haircut_asset(spec: AssetSpec, haircut: HaircutClass) -> dict:
    """The asset's fields with LTV and threshold cut by the class's haircut."""
    fields = spec.model_dump(mode="json")
    fields["ltv_bps"] = cut_bps(spec.ltv_bps, haircut.haircut_bps)
    fields["liquidation_threshold_bps"] = cut_bps(spec.liquidation_threshold_bps, haircut.haircut_bps)
    return fields


def apply_haircuts(scenario: Scenario, class_by_asset: dict[str, str],
                   classes: dict[str, HaircutClass] = CLASSES, source: str = "haircuts") -> Scenario:
    """The scenario with each named asset's LTV and threshold cut by its class's haircut, validated like a
    scenario file (``ScenarioError`` naming the field). Assets not named keep their parameters."""
    names = [a.name for a in scenario.assets]
    for asset, cls in class_by_asset.items():
        if asset not in names:
            raise ScenarioError(f"{source}: {asset}: unknown asset (known: {names})")
        if cls not in classes:
            raise ScenarioError(f"{source}: {asset}: unknown haircut_class '{cls}' (known: {sorted(classes)})")
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["assets"] = [haircut_asset(a, classes[class_by_asset[a.name]]) if a.name in class_by_asset
                      else a.model_dump(mode="json") for a in scenario.assets]
    return parse_scenario(data, source)
