"""Cross-checked operations per second: in process (revm), over anvil's JSON-RPC and through ape, on the same
seeded operations.

One operation = the model's step + the chain's call (ok or the same named revert) + the full-state comparison
(every field of ``ModelWorld.snapshot`` against the chain's snapshot, to the wei). ``bench_inprocess`` runs
the loop on the in-process chain (``InProcessWorld.snapshot``: stored fields from revm storage on every
operation, the computed fields from the lenses whenever the chain's state moved); ``bench_anvil`` runs the very
same loop through ``ChainWorld`` on the connected anvil with raw JSON-RPC (``AnvilDriver``) and ``bench_ape``
through ape's own call and transaction path (``ApeDriver``), so ``scripts/bench_inprocess.py`` measures all
three in one run.

``bench_inprocess_sampled`` is a different, labelled, mode: every stored field (storage) after every operation,
the full comparison only every ``full_every`` operations and after the last one. Its rate is never reported as
the full cross-check's.

Wall time and this process's CPU time are both reported: on a machine shared with other jobs the CPU time
is the stable figure (for anvil it leaves out the node's own CPU).
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
FULL_EVERY = 50
"""The sampled mode's default: a full comparison every this many operations (and after the last)."""


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
    node_cpu_seconds: float | None = None
    """CPU seconds of the node process (anvil) during the run, when it could be read; None in process."""

    @property
    def ops_per_second(self) -> float:
        """Cross-checked operations per wall-clock second."""
        return self.operations / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def ops_per_cpu_second(self) -> float:
        """Cross-checked operations per second of this process's CPU time."""
        return self.operations / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def ops_per_total_cpu_second(self) -> float:
        """Operations per second of CPU of this process plus the node's (when read; else this process's)."""
        total = self.cpu_seconds + (self.node_cpu_seconds or 0.0)
        return self.operations / total if total else 0.0

    def line(self) -> str:
        """One report line (the node's CPU added in brackets when it was read)."""
        node = "" if self.node_cpu_seconds is None else f" ({self.ops_per_total_cpu_second:,.0f} with the node's CPU)"
        return (f"{self.backend:>34}: {self.operations:>6} ops, {self.ops_per_second:>8,.0f} ops/s wall, "
                f"{self.ops_per_cpu_second:>8,.0f} ops/s CPU{node}, {self.mismatches} mismatches")

    def ratio(self, other: BenchResult) -> str:
        """'N x wall, M x CPU (self / other)'."""
        wall = self.ops_per_second / other.ops_per_second if other.ops_per_second else float("inf")
        cpu = self.ops_per_total_cpu_second / other.ops_per_total_cpu_second \
            if other.ops_per_total_cpu_second else float("inf")
        return f"{wall:,.1f}x wall, {cpu:,.1f}x CPU incl. any node ({self.backend} / {other.backend})"


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


def crosscheck_loop(model: ModelWorld, apply: Callable[[Action, int], str], snapshot: Callable[[], Any],
                    actions: Sequence[Action], start: int, backend: str,
                    model_snapshot: Callable[[], Any] | None = None,
                    final: Callable[[], bool] | None = None,
                    node_cpu: Callable[[], float] | None = None) -> BenchResult:
    """Run ``actions`` on the model and a chain (``apply``/``snapshot``), one second apart (warps as
    written), comparing outcome and state (``model_snapshot()`` == ``snapshot()``; default the model's full
    ``snapshot``) after each; ``final`` (optional) is one more check after the last step, False counting as
    a mismatch; ``node_cpu`` (optional) reads the node's CPU seconds. Returns the timing and the mismatch
    count."""
    now, mismatches = start, 0
    outcomes: dict[str, int] = {}
    model_side = model_snapshot or model.snapshot
    node = node_cpu() if node_cpu is not None else 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    for action in actions:
        now += action.seconds if action.kind == "warp" else 1
        expected = model.apply(action, now)
        got = apply(action, now)
        if expected != got or model_side() != snapshot():
            mismatches += 1
        outcomes[got] = outcomes.get(got, 0) + 1
    if final is not None and not final():
        mismatches += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return BenchResult(backend, len(actions), wall, cpu, mismatches, outcomes,
                       None if node_cpu is None else node_cpu() - node)


def node_cpu_reader() -> Callable[[], float] | None:
    """A function returning the CPU seconds (user + system) the connected ape provider's node process has
    used, or None when there is no such local process (or psutil is missing)."""
    try:
        import psutil
        from ape import chain

        proc = psutil.Process(chain.provider.process.pid)
    except Exception:  # noqa: BLE001 - any provider without a local process: no node CPU figure
        return None

    def read() -> float:
        times = proc.cpu_times()
        return float(times.user + times.system)

    return read


def bench_inprocess(count: int = 2_000, seed: int = 1, scenario_path: Path = DEFAULT_SCENARIO) -> BenchResult:
    """The full cross-check loop on a fresh in-process deployment of the scenario (default:
    scenarios/default.yaml): every field after every operation."""
    from protocol_model.chain.inprocess_world import deploy_in_process

    scenario = load_scenario(scenario_path)
    world = deploy_in_process(scenario)
    return _run(scenario, world, count, seed, "in-process (full, every op)")


def bench_inprocess_sampled(count: int = 2_000, seed: int = 1, full_every: int = FULL_EVERY,
                            scenario_path: Path = DEFAULT_SCENARIO) -> BenchResult:
    """The SAMPLED mode (not the full cross-check): after every operation the outcome and every stored field
    (asset state words, scaled balances, token balances: ``inprocess_world.stored_fields``), read from revm
    storage; the full comparison every ``full_every`` operations and after the last one."""
    from protocol_model.chain.inprocess_world import deploy_in_process, model_stored_fields

    scenario = load_scenario(scenario_path)
    world = deploy_in_process(scenario)
    model = _twin(scenario, world, "in-process (sampled)")
    step = [0]

    def chain_side() -> Any:
        step[0] += 1
        return world.snapshot() if step[0] % full_every == 0 else world.stored_values()

    def model_side() -> Any:
        return model.snapshot() if (step[0] + 1) % full_every == 0 else model_stored_fields(model)

    return crosscheck_loop(model, world.apply, chain_side, random_actions(scenario, count, seed), world.now(),
                           f"in-process (sampled, full 1/{full_every})", model_side,
                           final=lambda: model.snapshot() == world.snapshot())


def bench_anvil(project: Any, deployer: Any, signers: dict[str, Any], count: int = 200, seed: int = 1,
                scenario_path: Path = DEFAULT_SCENARIO) -> BenchResult:
    """The same loop through ``ChainWorld`` on the connected anvil (``AnvilDriver``: raw JSON-RPC calls and one
    ``PoolLens.snapshot`` eth_call per step). ``signers``: scenario account name -> ape account."""
    from protocol_model.chain.adapter import ChainWorld
    from protocol_model.chain.driver import AnvilDriver

    scenario = load_scenario(scenario_path)
    world = ChainWorld.deploy(scenario, project, deployer, signers, driver=AnvilDriver(project))
    return _run(scenario, world, count, seed, "anvil JSON-RPC (full, every op)", node_cpu_reader())


def bench_ape(project: Any, deployer: Any, signers: dict[str, Any], count: int = 50, seed: int = 1,
              scenario_path: Path = DEFAULT_SCENARIO) -> BenchResult:
    """The same loop through ape's provider (``ApeDriver``: ape's pending-block call decides, ape sends the
    transaction, views are ape contract calls) on the connected network."""
    from protocol_model.chain.adapter import ChainWorld
    from protocol_model.chain.driver import ApeDriver

    scenario = load_scenario(scenario_path)
    world = ChainWorld.deploy(scenario, project, deployer, signers, driver=ApeDriver(project))
    return _run(scenario, world, count, seed, "ape (full, every op)", node_cpu_reader())


def _twin(scenario: Scenario, world: Any, backend: str) -> ModelWorld:
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    model.view_now = world.now()
    initial = model.snapshot().diff(world.snapshot())
    if initial:
        raise AssertionError(f"{backend}: model and chain differ before the first step: {initial[:5]}")
    return model


def _run(scenario: Scenario, world: Any, count: int, seed: int, backend: str,
         node_cpu: Callable[[], float] | None = None) -> BenchResult:
    model = _twin(scenario, world, backend)
    snapshot: Callable[[], Snapshot] = world.snapshot
    return crosscheck_loop(model, world.apply, snapshot, random_actions(scenario, count, seed), world.now(),
                           backend, node_cpu=node_cpu)
