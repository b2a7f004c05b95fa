"""Opening positions and price paths of a scenario, as the actions both twins execute.

Extension point for loops and leveraged-token holdings (issue #5): add their fields to
``scenario.AccountSpec`` and their actions here, after the plain supplies and borrows, so that
``ape run deploy`` and ``ape run play`` open them with no other change.
"""

from __future__ import annotations

from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.story import Scenario
from protocol_model.world.model_world import Action


def opening_actions(scenario: Scenario) -> list[tuple[str, Action]]:
    """(field path, action) for every opening position: all supplies first, then all borrows, each in
    account order then the file's asset order. The field path names the entry for error messages."""
    out: list[tuple[str, Action]] = []
    for book in ("supplies", "borrows"):
        kind = "supply" if book == "supplies" else "borrow"
        for i, acct in enumerate(scenario.accounts):
            for asset, amount in getattr(acct, book).items():
                units = scenario.asset(asset).units(amount)
                act = Action(kind, acct.name, asset, units, acct.name if kind == "supply" else "")
                out.append((f"accounts.{i}.{book}.{asset}", act))
    return out


def path_actions(scenario: Scenario, index: int) -> list[Action]:
    """Point ``index`` of the path: a warp (if any), then one feed update per listed price (8-decimal answers).

    Raises ``IndexError`` if the scenario's path has no point ``index``.
    """
    point = scenario.path[index]
    actions = [Action("warp", seconds=point.warp)] if point.warp else []
    actions += [Action("price", asset=asset, answer=usd_to_answer(str(price))) for asset, price in point.prices.items()]
    return actions
