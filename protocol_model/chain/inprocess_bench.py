"""Cross-checked operations per second: in process (revm) against anvil's JSON-RPC, on the same operations.

One operation = the model's step + the chain's call (ok or the same named revert) + the full-state comparison
(every field of ``PoolLens.snapshot`` against ``ModelWorld.snapshot``, to the wei). ``bench_inprocess`` runs
the loop on the in-process chain; ``bench_anvil`` runs the very same loop through ``ChainWorld`` on the
connected ape network (anvil: raw JSON-RPC), so ``scripts/bench_inprocess.py`` measures both in one run.
Wall time and this process's CPU time are both reported: on a machine shared with other jobs the CPU time
is the stable figure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol_model.scenario.story import Scenario, load_scenario
from protocol_model.world.action import Action
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.snapshot import Snapshot

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"
KINDS = ("supply", "withdraw", "borrow", "repay", "liquidate", "price", "warp")


@dataclass
class BenchResult:
    """One backend's run: operations, mismatches (model != chain, outcome or any field), wall and CPU seconds."""

    backend: str
    operations: int
    wall_seconds: float
    cpu_seconds: float
    mismatches: int
    outcomes: dict[str, int] = field(default_factory=dict)
    """'ok' or revert name -> count"""

    @property
    def ops_per_second(self) -> float:
        """Cross-checked operations per wall-clock second."""
        return self.operations / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def ops_per_cpu_second(self) -> float:
        """Cross-checked operations per second of this process's CPU time."""
        return self.operations / self.cpu_seconds if self.cpu_seconds else 0.0

    def line(self) -> str:
        """One report line."""
        return (f"{self.backend:>10}: {self.operations} ops, {self.ops_per_second:,.0f} ops/s wall, "
                f"{self.ops_per_cpu_second:,.0f} ops/s CPU, {self.mismatches} mismatches")


def random_actions(scenario: Scenario, count: int, seed: int) -> list[Action]:
    """``count`` lending actions over the scenario's accounts and assets, amounts spread over 10^0..10^22
    units and prices over 50%..150% of the listed ones: a mix of passing calls and every common revert."""
    rng = random.Random(seed)
    assets = [a.name for a in scenario.assets]
    accounts = [a.name for a in scenario.accounts]
    answers = {a.name: a.answer() for a in scenario.assets}
    out = []
    for _ in range(count):
        kind, asset, who = rng.choice(KINDS), rng.choice(assets), rng.choice(accounts)
        amount = rng.randint(1, 9) * 10 ** rng.randint(0, 22)
        if kind == "warp":
            out.append(Action(kind, seconds=rng.randint(1, 86_400)))
        elif kind == "price":
            out.append(Action(kind, asset=asset, answer=max(1, answers[asset] * rng.randint(50, 150) // 100)))
        elif kind == "liquidate":
            out.append(Action(kind, who, amount=amount, borrower=rng.choice(accounts), collateral=asset,
                              debt=rng.choice(assets)))
        else:
            out.append(Action(kind, who, asset, amount, who if kind in ("supply", "repay") else ""))
    return out


def crosscheck_loop(model: ModelWorld, apply: Callable[[Action, int], str], snapshot: Callable[[], Snapshot],
                    actions: Sequence[Action], start: int, backend: str) -> BenchResult:
    """Run ``actions`` on the model and a chain (``apply``/``snapshot``), one second apart (warps as
    written), comparing outcome and full state after each; returns the timing and the mismatch count."""
    now, mismatches = start, 0
    outcomes: dict[str, int] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    for action in actions:
        now += action.seconds if action.kind == "warp" else 1
        expected = model.apply(action, now)
        got = apply(action, now)
        if expected != got or model.snapshot() != snapshot():
            mismatches += 1
        outcomes[got] = outcomes.get(got, 0) + 1
    return BenchResult(backend, len(actions), time.perf_counter() - wall, time.process_time() - cpu, mismatches,
                       outcomes)


def bench_inprocess(count: int = 2_000, seed: int = 1, scenario_path: Path = DEFAULT_SCENARIO) -> BenchResult:
    """The cross-check loop on a fresh in-process deployment of the scenario (default: scenarios/default.yaml)."""
    from protocol_model.chain.inprocess_world import deploy_in_process

    scenario = load_scenario(scenario_path)
    world = deploy_in_process(scenario)
    return _run(scenario, world, count, seed, "in-process")


def bench_anvil(project: Any, deployer: Any, signers: dict[str, Any], count: int = 200, seed: int = 1,
                scenario_path: Path = DEFAULT_SCENARIO) -> BenchResult:
    """The same loop through ``ChainWorld`` on the connected ape network, on the fuzzers' path (anvil: raw
    JSON-RPC calls and one ``PoolLens.snapshot`` eth_call per step; ``connect(project, via_ape=False)``).
    ``signers``: scenario account name -> ape account."""
    from protocol_model.chain.adapter import ChainWorld
    from protocol_model.chain.driver import connect

    scenario = load_scenario(scenario_path)
    world = ChainWorld.deploy(scenario, project, deployer, signers, connect(project, via_ape=False))
    return _run(scenario, world, count, seed, "anvil")


def _run(scenario: Scenario, world: Any, count: int, seed: int, backend: str) -> BenchResult:
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    start = world.now()
    model.view_now = start
    initial = model.snapshot().diff(world.snapshot())
    if initial:
        raise AssertionError(f"{backend}: model and chain differ before the first step: {initial[:5]}")
    return crosscheck_loop(model, world.apply, world.snapshot, random_actions(scenario, count, seed), start,
                           backend)
