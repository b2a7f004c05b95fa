"""Replay a scenario on chain and in the exact model, comparing the full observable state every step."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol_model.chain.adapter import ChainWorld
from protocol_model.scenario.story import Scenario
from protocol_model.world.model_world import Action, ModelWorld, resolve
from protocol_model.world.snapshot import Snapshot


@dataclass
class StepResult:
    index: int
    action: Action
    expected: str
    model: str
    chain: str
    mismatches: list[str] = field(default_factory=list)
    snapshot: Snapshot | None = None

    @property
    def agrees(self) -> bool:
        return self.model == self.chain and not self.mismatches

    @property
    def as_expected(self) -> bool:
        return self.model == self.expected


@dataclass
class Replay:
    scenario: Scenario
    chain: ChainWorld
    model: ModelWorld
    now: int
    results: list[StepResult] = field(default_factory=list)

    @classmethod
    def start(cls, scenario: Scenario, chain_world: ChainWorld) -> Replay:
        model = ModelWorld(scenario, chain_world.listed_at, chain_world.feed_times)
        replay = cls(scenario, chain_world, model, chain_world.now())
        model.view_now = replay.now
        initial = replay.model.snapshot().diff(chain_world.snapshot())
        if initial:
            raise AssertionError(f"model and chain differ before the first step: {initial[:5]}")
        return replay

    def step(self, action: Action, expected: str = "ok") -> StepResult:
        """Apply ``action`` on both sides at the same block time and compare every field."""
        if action.kind == "warp":
            self.now += action.seconds
        else:
            self.now += 1
        model_outcome = self.model.apply(action, self.now)
        chain_outcome = self.chain.apply(action, self.now)
        snap = self.chain.snapshot()
        result = StepResult(len(self.results), action, expected, model_outcome, chain_outcome,
                            self.model.snapshot().diff(snap), snap)
        self.results.append(result)
        return result

    def run(self) -> list[StepResult]:
        for step in self.scenario.steps:
            self.step(resolve(step, self.scenario), step.expect)
        return self.results

    @property
    def mismatches(self) -> int:
        return sum(not r.agrees for r in self.results)
