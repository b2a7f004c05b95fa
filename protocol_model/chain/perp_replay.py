"""Replay a perp story on chain and in the exact model, comparing every readable field every step."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol_model.chain.perp_adapter import PerpChainWorld
from protocol_model.scenario.perp import PerpScenario
from protocol_model.world.perp_world import PerpAction, PerpModelWorld, PerpSnapshot, resolve


@dataclass
class PerpStep:
    index: int
    action: PerpAction
    expected: str
    model: str
    chain: str
    mismatches: list[str]
    snapshot: PerpSnapshot

    @property
    def agrees(self) -> bool:
        return self.model == self.chain and not self.mismatches


@dataclass
class PerpReplay:
    scenario: PerpScenario
    chain: PerpChainWorld
    model: PerpModelWorld
    now: int
    results: list[PerpStep] = field(default_factory=list)

    @classmethod
    def start(cls, scenario: PerpScenario, chain_world: PerpChainWorld) -> PerpReplay:
        model = PerpModelWorld(scenario, chain_world.listed_at)
        replay = cls(scenario, chain_world, model, chain_world.now())
        initial = model.snapshot().diff(chain_world.snapshot())
        if initial:
            raise AssertionError(f"model and chain differ before the first step: {initial[:5]}")
        return replay

    def step(self, action: PerpAction, expected: str = "ok") -> PerpStep:
        self.now += action.seconds if action.kind == "warp" else 1
        model_out = self.model.apply(action, self.now)
        chain_out = self.chain.apply(action, self.now)
        snap = self.chain.snapshot()
        result = PerpStep(len(self.results), action, expected, model_out, chain_out,
                          self.model.snapshot().diff(snap), snap)
        self.results.append(result)
        return result

    def run(self) -> list[PerpStep]:
        for s in self.scenario.steps:
            self.step(resolve(s, self.scenario), s.expect)
        return self.results
