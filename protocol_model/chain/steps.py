"""One step-kind registry: how a chain-side world turns each kind of step into one chain call.

A registry maps a step kind (``supply``, ``swap``, ``feed``, ``trade``, ``rebalance`` ...) to a
``StepHandler``: the chain call to send for it (``None``: nothing is sent, only time passes) and, for
worlds whose model twin is driven per kind (leveraged tokens), the model action. The lending pool, its
oracle and AMM kinds form one registry (``adapter.LENDING_STEPS``), the perp engine another
(``perp_adapter.PERP_STEPS``), the leveraged tokens a third (``leveraged.LEVERAGED_STEPS``); the lending
and perp model twins dispatch the same kinds in their own ``apply`` (protocol_model/world/).
Registries are built once from plain mappings and never change afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from protocol_model.chain.driver import Call

W = TypeVar("W")
"""The chain-side world a handler reads (contract handles, signers, the scenario)."""
A = TypeVar("A", bound="HasKind")
"""The action type (world.action.Action, PerpAction, LevOp)."""


class HasKind(Protocol):
    """An action: its step kind names its handler."""

    @property
    def kind(self) -> str:
        """The step kind."""


@dataclass(frozen=True)
class StepHandler(Generic[W, A]):
    """How one step kind runs: ``call(world, action)`` is the chain call (None: nothing is sent);
    ``model(world, action, now)`` runs the model twin's side and returns 'ok' or the error name, for
    worlds that drive their model per kind (None: the model world's own ``apply`` runs the step)."""

    call: Callable[[W, A], Call | None]
    model: Callable[[W, A, int], str] | None = None


def time_only(world: Any, action: Any) -> None:
    """Handler of ``warp`` / ``market``: nothing is sent; the next call's block carries the time."""
    return None


class StepRegistry(Generic[W, A]):
    """step kind -> StepHandler, fixed at construction. Raises ValueError for an unknown kind."""

    def __init__(self, name: str, handlers: Mapping[str, StepHandler[W, A]]):
        self.name = name
        self._handlers: Mapping[str, StepHandler[W, A]] = MappingProxyType(dict(handlers))

    @classmethod
    def of_calls(cls, name: str, *calls: Mapping[str, Callable[[W, A], Call | None]]) -> StepRegistry[W, A]:
        """A registry whose handlers are chain calls only (the model world dispatches its own side)."""
        merged: dict[str, StepHandler[W, A]] = {}
        for table in calls:
            for kind, build in table.items():
                if kind in merged:
                    raise ValueError(f"{name}: step kind {kind!r} registered twice")
                merged[kind] = StepHandler(build)
        return cls(name, merged)

    @property
    def kinds(self) -> frozenset[str]:
        """Every registered step kind."""
        return frozenset(self._handlers)

    def handler(self, kind: str) -> StepHandler[W, A]:
        """The handler of ``kind``; ValueError when none is registered."""
        try:
            return self._handlers[kind]
        except KeyError:
            raise ValueError(f"unknown {self.name} step {kind!r}") from None

    def call(self, world: W, action: A) -> Call | None:
        """The chain call of ``action`` in ``world`` (None: nothing to send)."""
        return self.handler(action.kind).call(world, action)
