"""Lending actions written back as story steps (the inverse of ``model_world.resolve``), so a sequence found by a
fuzzer becomes a story file (``kind: story``) that replays the very same calls.

Amounts are written as exact whole-token decimals (``resolve`` turns them back into the same units), ``max`` for
``UINT256_MAX``, prices as raw 8-decimal ``answer``s (zero, negative and huge answers included).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from protocol_model.exact import errors
from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.story import Scenario
from protocol_model.world.action import Action


def whole_tokens(units: int, decimals: int) -> str:
    """``units`` of a token of ``decimals`` as an exact decimal string of whole tokens ('max' for UINT256_MAX)."""
    if units == UINT256_MAX:
        return "max"
    text = format(EXACT.scaleb(Decimal(units), -decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def action_step(action: Action, scenario: Scenario) -> dict[str, Any]:
    """One lending or oracle ``action`` as a story step (without ``expect``). Raises ``ValueError`` for an action
    kind that has no lending story step (AMM and loop actions are written by their own worlds)."""
    a = action

    def amount(asset: str) -> str:
        return whole_tokens(a.amount, scenario.asset(asset).decimals)

    if a.kind in ("supply", "repay", "withdraw", "borrow"):
        step: dict[str, Any] = {"op": a.kind, "account": a.account, "asset": a.asset, "amount": amount(a.asset)}
        if a.on_behalf and a.on_behalf != a.account:
            step["on_behalf"] = a.on_behalf
        return step
    if a.kind == "donate":
        return {"op": "donate", "account": a.account, "asset": a.asset, "amount": amount(a.asset)}
    if a.kind == "delegate":
        return {"op": "delegate", "account": a.account, "operator": a.operator, "enabled": a.enabled}
    if a.kind == "use_as_collateral":
        return {"op": "use_as_collateral", "account": a.account, "asset": a.asset, "enabled": a.enabled}
    if a.kind == "liquidate":
        return {"op": "liquidate", "account": a.account, "borrower": a.borrower, "collateral": a.collateral,
                "debt": a.debt, "amount": amount(a.debt)}
    if a.kind == "price":
        return {"op": "price", "asset": a.asset, "answer": a.answer}
    if a.kind == "warp":
        return {"op": "warp", "seconds": a.seconds}
    if a.kind == "pause":
        return {"op": "pause", "supply": a.supply_paused, "borrow": a.borrow_paused}
    if a.kind == "feed":
        return {"op": "feed", "asset": a.asset, "source": a.source or "primary", "answer": a.answer, "age_s": a.seconds}
    if a.kind == "feed_round":
        return {"op": "feed_round", "asset": a.asset, "source": a.source or "primary", "answer": a.answer,
                "updated_age_s": a.seconds, "started_age_s": a.amount, "zero_updated": a.flag,
                "answered_lag": a.rounds}
    raise ValueError(f"no lending story step for action kind '{a.kind}'")


def story_steps(actions: Sequence[Action], outcomes: Sequence[str], scenario: Scenario) -> list[dict[str, Any]]:
    """Each action as a step expecting its ``outcome`` (the chain's: 'ok' or a pool error name; an outcome that
    is no pool error name is left out, so the step expects 'ok' and the replay shows the difference)."""
    out = []
    for action, outcome in zip(actions, outcomes, strict=True):
        step = action_step(action, scenario)
        if outcome != "ok" and hasattr(errors, outcome):
            step["expect"] = outcome
        out.append(step)
    return out
