"""Play a story in the exact model, keeping the state after every step (a cadCAD-style per-step frame)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from protocol_model.api.load import START, load
from protocol_model.scenario.perp import PerpScenario
from protocol_model.scenario.story import Scenario
from protocol_model.world import model_world, perp_world
from protocol_model.world.frames import flatten
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.perp_world import PerpModelWorld, PerpSnapshot
from protocol_model.world.snapshot import Snapshot

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class StoryRun:
    """A story played in the exact model: each step's outcome (``ok`` or the revert's error name), its block
    time and the snapshot after it; ``initial`` is the state before the first step.

    ``world`` is the model after the last step (keep calling ``world.apply`` to go on).
    """

    scenario: Scenario | PerpScenario
    world: ModelWorld | PerpModelWorld
    start: int
    """block time the world was built at (every asset listed)"""
    outcomes: tuple[str, ...]
    times: tuple[int, ...]
    """block time of each step (one second per step, warps as written: as ``run_model``)"""
    initial: Snapshot | PerpSnapshot
    snapshots: tuple[Snapshot | PerpSnapshot, ...]

    @property
    def mismatches(self) -> list[tuple[int, str, str]]:
        """(step index, outcome, what the file expects) of every step whose outcome is not the expected one."""
        return [(i, got, step.expect) for i, (step, got) in enumerate(zip(self.scenario.steps, self.outcomes,
                                                                          strict=True)) if got != step.expect]

    def to_frame(self, *, raw: bool = False) -> pd.DataFrame:
        """One row per state as a pandas DataFrame: row ``0`` is the state before the first step, row ``i`` the
        state after step ``i`` (``step``, ``op``, ``expect``, ``outcome``, ``time (s)``), then every field of
        every snapshot table as ``"<table> <key>: <field (unit)>"`` (``"accounts alice: health factor"``,
        ``"assets WETH: reserves (tokens)"``, tuple keys joined with ``/``).

        Human units as ``Snapshot.to_frame``; ``raw=True`` keeps the field names and the exact integers.
        """
        import pandas as pd

        rows: list[dict[str, Any]] = [{"step": 0, "op": "start", "expect": "ok", "outcome": "ok",
                                       "time (s)": self.start,
                                       **flatten(self.initial.frames(raw=raw))}]
        for i, (step, got, t, snap) in enumerate(zip(self.scenario.steps, self.outcomes, self.times, self.snapshots,
                                                     strict=True), 1):
            rows.append({"step": i, "op": step.op, "expect": step.expect, "outcome": got, "time (s)": t,
                         **flatten(snap.frames(raw=raw))})
        return pd.DataFrame(rows).set_index("step")


def play(story: str | Path | Union[Scenario, PerpScenario], start: int = START) -> StoryRun:
    """Play a story (file path, bundled name such as ``stories/bad_debt``, or a loaded ``Scenario`` /
    ``PerpScenario``) in the exact model, one second per step and warps as written (the same times as
    ``run_model``), and keep the snapshot after every step.

    Raises ``FileNotFoundError``, ``ScenarioError`` (a bad file), ``TypeError`` (a file of another kind) and
    ``ValueError`` from a step the model cannot resolve.
    """
    obj: Any = load(story) if isinstance(story, (str, Path)) else story
    world: ModelWorld | PerpModelWorld
    resolve: Any  # model_world.resolve (-> Action) or perp_world.resolve (-> PerpAction)
    if isinstance(obj, Scenario):
        world, resolve = ModelWorld(obj, {a.name: start for a in obj.assets}), model_world.resolve
    elif isinstance(obj, PerpScenario):
        world, resolve = PerpModelWorld(obj, [start] * len(obj.markets)), perp_world.resolve
    else:
        raise TypeError(f"{story}: a {type(obj).__name__} is not a story: give a story or perp story")
    initial = world.snapshot()
    now, outcomes, times, snapshots = start, [], [], []
    for step in obj.steps:
        action: Any = resolve(step, obj)
        now += action.seconds if action.kind == "warp" else 1
        outcomes.append(world.apply(action, now))
        times.append(now)
        snapshots.append(world.snapshot())
    return StoryRun(obj, world, start, tuple(outcomes), tuple(times), initial, tuple(snapshots))
