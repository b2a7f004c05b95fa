"""The revert property, stated once: a call that raises a contract error leaves the full state of every object it
could touch structurally equal to the state before; a call that succeeds (and must write) changes it.

``state_of`` is independent of the journal under test: it walks every attribute of every object (dataclass fields
or not), every dict in its order, every list, set and tuple, and records references between the objects by their
index, so a restore that swapped the shared ledger for a copy is a difference too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from protocol_model.exact.errors import PoolError
from protocol_model.exact.journal import Journal


@dataclass(frozen=True)
class Op:
    """One call to drive: ``call()`` runs it; ``writes`` says whether a success must change the state."""

    name: str
    call: Callable[[], Any]
    writes: bool = True


@dataclass
class World:
    """The objects whose state is compared (the twin first), named handles for the op drawers, the clock."""

    objects: list[Any]
    twins: dict[str, Any] = field(default_factory=dict)
    now: int = 1_700_000_000

    def tick(self, seconds: int) -> int:
        self.now += seconds
        return self.now


def _freeze(value: Any, index: dict[int, int], top: bool = False) -> Any:
    if not top and id(value) in index:
        return ("object", index[id(value)])
    if isinstance(value, Journal):
        return ("journal",)
    if isinstance(value, dict):
        return ("dict", tuple((k, _freeze(v, index)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_freeze(v, index) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(_freeze(v, index) for v in value))
    if hasattr(value, "__dict__") and not callable(value):
        return (type(value).__name__, tuple((k, _freeze(v, index)) for k, v in sorted(vars(value).items())))
    return value


def state_of(objects: list[Any]) -> tuple:
    """Every attribute of every object, recursively; references among ``objects`` as ``("object", i)``."""
    index = {id(obj): i for i, obj in enumerate(objects)}
    return tuple(_freeze(obj, index, top=True) for obj in objects)


def first_difference(before: Any, after: Any, path: str = "") -> str:
    """Where two frozen states differ first (for the failure message)."""
    if type(before) is type(after) and isinstance(before, tuple) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            if b != a:
                return first_difference(b, a, f"{path}[{i}]")
    return f"{path}: {before!r} -> {after!r}"[:600]


def journal_of_world(world: World) -> Journal:
    return next(o.journal for o in world.objects if isinstance(getattr(o, "journal", None), Journal))


def check_call(world: World, op: Op, stats: Counter) -> None:
    """Run ``op`` once and assert the revert property for it."""
    before = state_of(world.objects)
    try:
        op.call()
    except PoolError as revert:
        after = state_of(world.objects)
        assert after == before, f"{op.name} reverted ({revert.name}) but the state changed at " \
                                f"{first_difference(before, after)}"
        stats["reverted"] += 1
        stats[f"reverted {revert.name}"] += 1
    else:
        if op.writes:
            assert state_of(world.objects) != before, f"{op.name} succeeded but changed nothing"
        stats["succeeded"] += 1
    assert not journal_of_world(world).active, f"{op.name} left a transaction open"


def run_property(build: Callable[[], World], draw_op: Callable[[Any, World], Op], examples: int = 30,
                 steps: int = 20, shrink: bool = True) -> Counter:
    """Drive ``examples`` random sequences of up to ``steps`` calls into a fresh world each; return the counts.
    ``shrink=False`` reports the first failure as found (for mutants, where only detection matters)."""
    stats: Counter = Counter()
    phases = tuple(Phase) if shrink else (Phase.generate,)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, report_multiple_bugs=False,
              phases=phases, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def prop(data: Any) -> None:
        world = build()
        for _ in range(data.draw(st.integers(1, steps), label="steps")):
            check_call(world, draw_op(data, world), stats)

    prop()
    return stats


def assert_exercised(stats: Counter, min_reverted: int = 20, min_succeeded: int = 10) -> None:
    """The property was not vacuous: many calls failed and some succeeded."""
    assert stats["reverted"] >= min_reverted and stats["succeeded"] >= min_succeeded, dict(stats)
