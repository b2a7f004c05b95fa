"""One replay for every story kind: each step on chain and in the exact model at the same block time,
then every readable field compared.

``Replay.start(scenario, chain_world)`` works for any chain-side world that builds its own model twin and
resolves its own steps (``ChainWorld``: lending, oracle, AMM and loop stories; ``PerpChainWorld``: perp
stories). Each step advances the clock by one second (a ``warp`` by its seconds), runs on both twins, and
records both outcomes ('ok' or the revert's name) and the snapshot difference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    import pandas as pd

S = TypeVar("S", bound="Comparable")
"""A snapshot type (world.snapshot.Snapshot, PerpSnapshot)."""
S_co = TypeVar("S_co", bound="Comparable", covariant=True)


class Comparable(Protocol):
    """A snapshot: ``diff`` lists every field that differs from another one (empty when equal)."""

    def diff(self, other: Any) -> list[str]:
        """``'<where>.<field>: <mine> != <theirs>'`` per differing field."""

    def frames(self, *, raw: bool = False) -> dict[str, Any]:
        """Every table of the snapshot as a pandas DataFrame, by name (human units unless ``raw``)."""


class ModelTwin(Protocol[S_co]):
    """The exact model of a world: applies actions and snapshots every readable field."""

    def apply(self, action: Any, now: int) -> str:
        """Run ``action`` at block time ``now``; 'ok' or the error name (state unchanged then)."""

    def snapshot(self) -> S_co:
        """Every field the chain side reads, in the same shape."""


class ChainTwin(Protocol[S_co]):
    """A world deployed on a chain (see ``ChainWorld`` / ``PerpChainWorld``)."""

    def apply(self, action: Any, now: int) -> str:
        """Send ``action`` in a block at time ``now``; 'ok' or the revert's name."""

    def snapshot(self) -> S_co:
        """Every readable field, read from chain."""

    def now(self) -> int:
        """The time to continue from (seconds)."""

    def model_twin(self) -> ModelTwin[S_co]:
        """A fresh exact model of this world as deployed (same listing times, feed times)."""

    def resolve(self, step: Any) -> Any:
        """A scenario step -> the action both twins run."""

    def scenario_steps(self) -> list[Any]:
        """The scenario's steps, in order."""


class StepObserver(Protocol):
    """Measures a story as it runs (e.g. world.oracle_outcome.OutcomeTracker)."""

    def before(self, model: Any, action: Any) -> None:
        """Called before ``action`` runs on both twins."""

    def after(self, model: Any, action: Any, outcome: str) -> None:
        """Called after it, with the model's outcome."""


@dataclass
class StepResult(Generic[S]):
    """One step: the model's and the chain's outcome, what the story expected, the differing fields and the
    chain's snapshot after it."""

    index: int
    action: Any
    expected: str
    model: str
    chain: str
    mismatches: list[str] = field(default_factory=list)
    snapshot: S | None = None

    @property
    def agrees(self) -> bool:
        """Same outcome on both twins and every field equal."""
        return self.model == self.chain and not self.mismatches

    @property
    def as_expected(self) -> bool:
        """The model's outcome is what the story file states."""
        return self.model == self.expected

    def after(self) -> S:
        """The chain's snapshot after this step."""
        if self.snapshot is None:
            raise ValueError(f"step {self.index} kept no snapshot")
        return self.snapshot


@dataclass
class Replay(Generic[S]):
    """A chain world and its model twin, stepped together; ``results`` holds every step so far."""

    scenario: Any
    chain: ChainTwin[S]
    model: Any
    """The model twin (world.model_world.ModelWorld, world.perp_world.PerpModelWorld)."""
    now: int
    results: list[StepResult[S]] = field(default_factory=list)

    @classmethod
    def start(cls, scenario: Any, chain_world: ChainTwin[S]) -> Replay[S]:
        """Build the model twin of ``chain_world``; raises AssertionError if the two differ before any step."""
        model = chain_world.model_twin()
        replay = cls(scenario, chain_world, model, chain_world.now())
        initial = model.snapshot().diff(chain_world.snapshot())
        if initial:
            raise AssertionError(f"model and chain differ before the first step: {initial[:5]}")
        return replay

    def step(self, action: Any, expected: str = "ok") -> StepResult[S]:
        """Apply ``action`` on both sides at the same block time (one second on, or the warp's seconds) and
        compare every field."""
        self.now += action.seconds if action.kind == "warp" else 1
        model_outcome = self.model.apply(action, self.now)
        chain_outcome = self.chain.apply(action, self.now)
        snap = self.chain.snapshot()
        result = StepResult(len(self.results), action, expected, model_outcome, chain_outcome,
                            self.model.snapshot().diff(snap), snap)
        self.results.append(result)
        return result

    def run(self, observers: Iterable[StepObserver] = ()) -> list[StepResult[S]]:
        """Every step of the scenario in order, each with its stated outcome; ``observers`` see each step."""
        watching = list(observers)
        for step in self.chain.scenario_steps():
            action = self.chain.resolve(step)
            for o in watching:
                o.before(self.model, action)
            result = self.step(action, step.expect)
            for o in watching:
                o.after(self.model, action, result.model)
        return self.results

    @property
    def mismatches(self) -> int:
        """Steps whose outcome or fields differ between the twins."""
        return sum(not r.agrees for r in self.results)

    def to_frame(self, *, raw: bool = False) -> pd.DataFrame:
        """The cross-check as a pandas DataFrame, one row per step (index ``step``): ``action`` (its
        ``describe()``), ``expect``, the ``model`` and ``chain`` outcomes, ``agrees``, ``differing fields`` (how
        many fields differ between the twins after it), then every field of the chain's snapshot after the step
        as ``StoryRun.to_frame`` names them (``"accounts alice: health factor"``; human units unless ``raw``,
        which keeps the field names and the exact integers). A chain snapshot holds integers only: the units it
        is read in (token decimals) are the model's, whose snapshot carries them."""
        import pandas as pd

        from protocol_model.world.frames import flatten

        units = self.model.snapshot() if self.results else None
        rows = [{"step": r.index, "action": r.action.describe(), "expect": r.expected, "model": r.model,
                 "chain": r.chain, "agrees": r.agrees, "differing fields": len(r.mismatches),
                 **({} if r.snapshot is None else flatten(with_units(r.snapshot, units).frames(raw=raw)))}
                for r in self.results]
        first = ["step", "action", "expect", "model", "chain", "agrees", "differing fields"]
        return pd.DataFrame(rows, columns=None if rows else first).set_index("step")


def with_units(snapshot: S, labelled: Any) -> S:
    """``snapshot`` with the fields a snapshot does not compare (its units: token decimals, a pair's tokens)
    taken from ``labelled``, a snapshot of the same world that carries them (the model's); ``snapshot`` itself
    when either is not a dataclass snapshot."""
    if not (dataclasses.is_dataclass(snapshot) and dataclasses.is_dataclass(labelled)):
        return snapshot
    units = {f.name: getattr(labelled, f.name) for f in dataclasses.fields(snapshot) if not f.compare}
    return dataclasses.replace(snapshot, **units)  # type: ignore[type-var]
