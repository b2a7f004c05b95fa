"""One call of a story, in token units: what both twins execute for a step."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from protocol_model.exact.math_lib import UINT256_MAX


@dataclass(frozen=True)
class Action:
    """One call, in token units. ``amount == UINT256_MAX`` means 'max' (withdraw all / repay all)."""

    kind: str
    account: str = ""
    asset: str = ""
    amount: int = 0
    on_behalf: str = ""
    """supply / repay: the account credited; withdraw / borrow: the account acted for (empty: the caller),
    sent through ``withdrawOnBehalf`` / ``borrowOnBehalf`` when it is not the caller."""
    borrower: str = ""
    collateral: str = ""
    debt: str = ""
    answer: int = 0
    seconds: int = 0
    supply_paused: bool = False
    borrow_paused: bool = False
    source: str = ""
    """Oracle actions: 'primary' or 'fallback' feed."""
    flag: bool = False
    """Oracle actions: feed_revert's on/off, sequencer's up/down."""

    # AMM pairs and loops (protocol_model/world/amm_world.py)
    pair: str = ""
    amount2: int = 0
    """Second amount: add_liquidity's amount of the pair's second asset; swap's minimum output."""
    mode: str = ""
    rounds: int = 0
    fraction_bps: int = 0
    leverage_bps: int = 0
    max_slippage_bps: int = 0
    operator: str = ""
    """'delegate' (pool.setAuthorization) and 'authorize' (the Looper): the operator account."""
    enabled: bool = False

    def describe(self) -> str:
        """``kind(field=value, ...)`` with the non-default fields only (``amount=max`` for ``UINT256_MAX``), for
        reports and mismatch messages.
        """
        fields = {k: v for k, v in self.__dict__.items() if v not in ("", 0, False) and k != "kind"}
        if fields.get("amount") == UINT256_MAX:
            fields["amount"] = "max"
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in fields.items())})"


def play_steps(world: Any, steps: Iterable[Any], resolve_step: Callable[[Any], Any], start: int) -> list[str]:
    """Apply each step's action to ``world`` (``apply(action, now) -> outcome``) one second after the last,
    a warp ``seconds`` later; returns each outcome ('ok' or a revert's error name). ``resolve_step`` turns a
    validated file step into the world's action (raises ``ValueError`` for an unknown step kind)."""
    now, outcomes = start, []
    for step in steps:
        action = resolve_step(step)
        now += action.seconds if action.kind == "warp" else 1
        outcomes.append(world.apply(action, now))
    return outcomes
