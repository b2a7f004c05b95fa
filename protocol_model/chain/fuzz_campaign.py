"""A long differential fuzz campaign on the in-process chain: millions of operations, seeded, resumable, shrinking.

Each **sequence** is a run of random rules (``world/lending_rules.RULES``, plus blind calls from
``inprocess_bench.random_actions``) on a fresh copy of the model and the chain reverted to its deployment
snapshot. After every operation both twins must agree (outcome and every field of the snapshot, to the wei) and
every step property must hold (``world/lending_properties.LendingProperties``). Sequence ``n`` of campaign seed
``s`` draws from ``random.Random(f"{s}:{n}")``: it is the same sequence whichever worker runs it, in whichever run.

Sequences are grouped in **chunks**; worker processes (one in-process chain each) run chunks, and the parent
records each finished chunk and the totals in a JSON **state file** (written atomically), so a rerun with the same
state file continues where the last one stopped. ``max_ops`` (total over all runs) and ``time_budget_s`` (this
run) stop the campaign after the chunks in flight.

A sequence that fails (a mismatch or a property violation) is **shrunk** (delta debugging: drop chunks of
operations, then single ones, then halve amounts and warps, while the same failure persists) and written as a
story file (``kind: story`` on the fuzz protocol, each step with the chain's outcome as its ``expect``) under the
regressions directory, with a comment header naming the seed, the sequence and the failure.

Other worlds plug in through ``CampaignTarget``: ``fuzz`` (one seeded sequence), ``replay`` (given actions),
``smaller`` (simpler variants of an action) and ``story`` (the file's data). ``TARGETS`` maps names to factories.
"""

from __future__ import annotations

import copy
import json
import multiprocessing as mp
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.fuzz import FUZZ_PROTOCOL, fuzz_scenario
from protocol_model.scenario.story import Scenario, load_scenario
from protocol_model.sim.output import atomic_file
from protocol_model.world.action import Action
from protocol_model.world.lending_properties import LendingProperties, PropertyViolation
from protocol_model.world.lending_rules import RULES, draw_rule
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.story_steps import story_steps

ROOT = Path(__file__).resolve().parents[2]
REGRESSIONS_DIR = ROOT / "scenarios" / "regressions"
DEFAULT_STATE = ROOT / "out" / "fuzz" / "campaign.json"
STATE_VERSION = 1
MAX_SHRINK_REPLAYS = 3_000
"""Replays one shrink may spend (each replays a candidate sequence on both twins)."""


@dataclass(frozen=True)
class Failure:
    """What went wrong at operation ``step`` of a sequence: ``kind`` is 'mismatch' (outcome or a field differs)
    or a property id (``P-POOL-01``...); ``message`` says what was seen."""

    kind: str
    step: int
    action_kind: str
    message: str

    @property
    def signature(self) -> tuple[str, str]:
        """What must stay the same while shrinking: the failure kind and the kind of the failing operation."""
        return self.kind, self.action_kind


@dataclass
class SequenceRun:
    """The operations a sequence ran, the chain's outcome of each, and its failure (None: all agreed)."""

    actions: list[Any]
    outcomes: list[str]
    failure: Failure | None = None


class CampaignTarget(Protocol):
    """A world the campaign fuzzes (one instance per worker process, owning its chain)."""

    name: str

    def fuzz(self, rng: random.Random, steps: int) -> SequenceRun:
        """Run ``steps`` random rules drawn from ``rng`` from the deployment state; stop at the first failure."""

    def replay(self, actions: Sequence[Any]) -> SequenceRun:
        """Run exactly ``actions`` from the deployment state; stop at the first failure."""

    def smaller(self, action: Any) -> list[Any]:
        """Simpler variants of ``action`` for shrinking (e.g. half the amount); empty when there are none."""

    def story(self, run: SequenceRun, name: str) -> dict[str, Any]:
        """The story file's data replaying ``run``'s actions, each expecting the chain's outcome."""


class LendingTarget:
    """The lending pool of the fuzz protocol (protocols/fuzz.yaml, five accounts) on an in-process chain."""

    name = "lending"

    def __init__(self, scenario: Scenario | None = None, protocol: str = FUZZ_PROTOCOL.stem):
        from protocol_model.chain.inprocess_world import deploy_in_process

        self.scenario = scenario or fuzz_scenario()
        self.protocol = protocol
        self.world = deploy_in_process(self.scenario)
        self.start = self.world.now()
        """Every sequence starts at this block time (the deployment's), whatever ran before it."""
        self.base_model = ModelWorld(self.scenario, self.world.listed_at, self.world.feed_times)
        self.base_model.view_now = self.start

    def _run(self, next_actions: Callable[[ModelWorld], list[Action] | None]) -> SequenceRun:
        """Drive both twins with the actions ``next_actions(model)`` returns until it returns None or a step
        fails; the chain is reverted to its deployment snapshot afterwards."""
        world, snap = self.world, self.world.driver.snapshot()
        model = copy.deepcopy(self.base_model)
        now = self.start
        properties = LendingProperties()
        run = SequenceRun([], [])
        try:
            while (batch := next_actions(model)) is not None:
                for action in batch:
                    now += action.seconds if action.kind == "warp" else 1
                    properties.before(model, action)
                    expected, got = model.apply(action, now), world.apply(action, now)
                    run.actions.append(action)
                    run.outcomes.append(got)
                    run.failure = self._check(model, action, expected, got, properties, len(run.actions) - 1)
                    if run.failure is not None:
                        return run
        finally:
            world.driver.restore(snap)
            world.last_time = self.start  # the adapter's clock too: the next sequence starts where this one did
        return run

    def _check(self, model: ModelWorld, action: Action, expected: str, got: str, properties: LendingProperties,
               step: int) -> Failure | None:
        if expected != got:
            return Failure("mismatch", step, action.kind, f"{action.describe()}: model {expected}, chain {got}")
        model_snap, chain_snap = model.snapshot(), self.world.snapshot()
        if model_snap != chain_snap:
            return Failure("mismatch", step, action.kind, f"{action.describe()}: {model_snap.diff(chain_snap)[:6]}")
        try:
            properties.after(model, action, got)
        except PropertyViolation as v:
            return Failure(v.property_id, step, action.kind, f"{action.describe()}: {v}")
        return None

    def fuzz(self, rng: random.Random, steps: int) -> SequenceRun:
        """``steps`` rules: a supply of each asset and a borrow within the headroom to open, then each a lending
        rule (``lending_rules.draw_rule``: weighted towards positions) or, one time in ``len(RULES) + 1``, a
        blind call of ``inprocess_bench.random_actions`` (amounts over 10^0..10^22 units)."""
        from protocol_model.chain.inprocess_bench import random_actions

        assets, done = self.base_model.asset_names, [0]

        def next_actions(model: ModelWorld) -> list[Action] | None:
            i = done[0]
            done[0] += 1
            if i >= steps:
                return None
            if i < len(assets):
                return draw_rule(model, rng, "supply", asset=assets[i])[1]
            if i == len(assets):
                return draw_rule(model, rng, "borrow_within")[1]
            if rng.randrange(len(RULES) + 1) == 0:
                return random_actions(self.scenario, 1, rng.getrandbits(64))
            return draw_rule(model, rng)[1]

        return self._run(next_actions)

    def replay(self, actions: Sequence[Any]) -> SequenceRun:
        """Exactly ``actions``, one second apart (warps as written)."""
        pending = [list(actions)]
        return self._run(lambda _model: pending.pop() if pending else None)

    def smaller(self, action: Any) -> list[Any]:
        """Half the amount (not below 1; ``max`` stays) or half the warp."""
        if action.kind == "warp" and action.seconds > 1:
            return [replace(action, seconds=action.seconds // 2)]
        if action.amount > 1 and action.amount != UINT256_MAX and action.kind != "feed_round":
            return [replace(action, amount=action.amount // 2)]
        return []

    def story(self, run: SequenceRun, name: str) -> dict[str, Any]:
        """A ``kind: story`` on the fuzz protocol with the fuzz accounts and one step per action."""
        accounts = [{"name": a.name, "balances": {k: str(v) for k, v in a.balances.items()}}
                    for a in self.scenario.accounts]
        return {"kind": "story", "name": name, "protocol": self.protocol,
                "description": "A fuzz campaign regression (see the header): model and chain must agree on every step.",
                "accounts": accounts, "steps": story_steps(run.actions, run.outcomes, self.scenario)}


TARGETS: dict[str, Callable[[], CampaignTarget]] = {"lending": LendingTarget}
"""Campaign targets by name (more worlds plug in here)."""


def sequence_rng(seed: int, number: int) -> random.Random:
    """The generator of sequence ``number`` of campaign ``seed`` (the same in every worker and run)."""
    return random.Random(f"{seed}:{number}")


# ------------------------------------------------------------------ shrinking and writing regressions

def shrink(target: CampaignTarget, run: SequenceRun, budget: int = MAX_SHRINK_REPLAYS) -> SequenceRun:
    """A shorter, simpler sequence with the same failure signature as ``run`` (delta debugging): cut after the
    failing operation, drop chunks of operations (halving the chunk size down to one), then replace actions by
    ``target.smaller`` variants while the failure persists, and again from the drops while that changed anything
    (within ``budget`` replays). Returns ``run`` itself when nothing smaller fails."""
    assert run.failure is not None
    signature, spent = run.failure.signature, [0]

    def failing(actions: Sequence[Any]) -> SequenceRun | None:
        if spent[0] >= budget or not actions:
            return None
        spent[0] += 1
        got = target.replay(actions)
        if got.failure is None or got.failure.signature != signature:
            return None
        cut = got.failure.step + 1
        return SequenceRun(got.actions[:cut], got.outcomes[:cut], got.failure)

    def dropped(best: SequenceRun) -> SequenceRun:
        chunk = max(len(best.actions) // 2, 1)
        while True:
            i, changed = 0, False
            while i < len(best.actions):
                candidate = failing(best.actions[:i] + best.actions[i + chunk:])
                if candidate is not None:
                    best, changed = candidate, True
                else:
                    i += chunk
            if chunk == 1 and not changed:
                return best
            chunk = max(chunk // 2, 1)

    def simpler(best: SequenceRun) -> SequenceRun:
        for i in range(len(best.actions)):
            variants = target.smaller(best.actions[i]) if i < len(best.actions) else []
            while variants:
                candidate = failing(best.actions[:i] + variants[:1] + best.actions[i + 1:])
                if candidate is None or len(candidate.actions) <= i:
                    break
                best = candidate
                variants = target.smaller(best.actions[i])
        return best

    best = failing(run.actions[:run.failure.step + 1]) or run
    while True:  # smaller amounts can make more operations unnecessary: drop again until nothing changes
        shrunk = simpler(dropped(best))
        if shrunk.actions == best.actions:
            return best
        best = shrunk


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (folders created) through a temporary file and ``os.replace``
    (``sim.output.atomic_file``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_file(path, text)


def write_regression(target: CampaignTarget, run: SequenceRun, original: SequenceRun, seed: int, number: int,
                     out_dir: Path, note: str = "") -> Path:
    """Write the shrunk ``run`` as ``<out_dir>/<target>-s<seed>-n<number>.yaml`` (atomically), a comment header
    naming the campaign seed, the sequence number, the failure, the shrink and ``note``; returns the path."""
    assert run.failure is not None and original.failure is not None
    name = f"{target.name}-s{seed}-n{number}"
    header = [f"Regression written by the fuzz campaign (protocol_model/chain/fuzz_campaign.py), target {target.name}.",
              f"campaign seed: {seed}, sequence: {number} (random.Random('{seed}:{number}'))",
              f"failure: {run.failure.kind} at step {run.failure.step}: {run.failure.message}",
              f"found at step {original.failure.step} of {len(original.actions)} operations; shrunk to "
              f"{len(run.actions)} operations.",
              "Replayed model vs chain by tests/crosscheck/test_regressions.py (make test)."] + ([note] if note else [])
    text = "".join(f"# {line}\n" for line in header)
    text += yaml.safe_dump(target.story(run, name), sort_keys=False, width=120)
    path = out_dir / f"{name}.yaml"
    atomic_write(path, text)
    return path


def replay_story(path: Path) -> tuple[int, Failure | None]:
    """Replay a regression story model vs a fresh in-process chain with the step properties; returns (steps
    run, the first failure or None). A step whose outcome differs from its ``expect`` is a failure too."""
    scenario = load_scenario(path)
    target = LendingTarget(scenario)
    actions = [target.world.resolve(s) for s in scenario.steps]
    run = target.replay(actions)
    if run.failure is None:
        for i, (step, outcome) in enumerate(zip(scenario.steps, run.outcomes, strict=True)):
            if step.expect != outcome:
                return len(run.actions), Failure("expect", i, actions[i].kind, f"expected {step.expect}, got {outcome}")
    return len(run.actions), run.failure


# ------------------------------------------------------------------ chunks, workers and the state file

@dataclass(frozen=True)
class CampaignConfig:
    """A campaign: ``seed``, ``steps`` rules per sequence, ``chunk`` sequences per unit of work, the ``target``
    name, where regressions go and where the state file lives."""

    seed: int
    steps: int = 40
    chunk: int = 10
    target: str = "lending"
    regressions: Path = REGRESSIONS_DIR
    state_path: Path = DEFAULT_STATE
    note: str = ""
    """A line for every regression's header (e.g. the fault a test injected)."""


@dataclass
class ChunkResult:
    """One chunk's counts: operations, sequences, failures (dicts: seq, kind, message, file), worker CPU seconds."""

    index: int
    operations: int = 0
    sequences: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    cpu_seconds: float = 0.0


def run_chunk(target: CampaignTarget, config: CampaignConfig, index: int) -> ChunkResult:
    """Run sequences ``index·chunk .. (index+1)·chunk − 1``; shrink and write the chunk's first failure (later
    ones are counted, with an empty ``file``: a broken build fails everywhere and would spend the run shrinking)."""
    cpu = time.process_time()
    result = ChunkResult(index)
    for number in range(index * config.chunk, (index + 1) * config.chunk):
        run = target.fuzz(sequence_rng(config.seed, number), config.steps)
        result.operations += len(run.actions)
        result.sequences += 1
        if run.failure is not None and result.failures:
            result.failures.append({"sequence": number, "kind": run.failure.kind, "message": run.failure.message,
                                    "operations": len(run.actions), "file": ""})  # one shrink per chunk
        elif run.failure is not None:
            small = shrink(target, run)
            path = write_regression(target, small, run, config.seed, number, config.regressions, config.note)
            assert small.failure is not None
            result.failures.append({"sequence": number, "kind": small.failure.kind, "message": small.failure.message,
                                    "operations": len(small.actions), "file": str(path)})
    result.cpu_seconds = time.process_time() - cpu
    return result


def _worker(config: CampaignConfig, tasks: Any, results: Any) -> None:
    """A worker process: its own target (one in-process chain), chunks from ``tasks`` until None."""
    target = TARGETS[config.target]()
    while (index := tasks.get()) is not None:
        results.put(run_chunk(target, config, index))


@dataclass
class CampaignState:
    """What the state file records: the configuration it belongs to, the chunks done, the totals."""

    seed: int
    steps: int
    chunk: int
    target: str
    done_below: int = 0
    """Every chunk below this index is done."""
    done: list[int] = field(default_factory=list)
    """Chunks at or above ``done_below`` that are done."""
    operations: int = 0
    sequences: int = 0
    mismatches: int = 0
    property_failures: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    version: int = STATE_VERSION

    def record(self, result: ChunkResult) -> None:
        """Count ``result`` and mark its chunk done."""
        self.operations += result.operations
        self.sequences += result.sequences
        self.cpu_seconds += result.cpu_seconds
        for f in result.failures:
            if f["kind"] == "mismatch":
                self.mismatches += 1
            else:
                self.property_failures += 1
            self.failures.append(f)
        done = set(self.done) | {result.index}
        while self.done_below in done:
            done.discard(self.done_below)
            self.done_below += 1
        self.done = sorted(done)

    def pending(self) -> Any:
        """Chunk indexes not done yet, in order (endless)."""
        index, done = self.done_below, set(self.done)
        while True:
            if index not in done:
                yield index
            index += 1

    def save(self, path: Path) -> None:
        """Write the state as JSON, atomically."""
        atomic_write(path, json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> CampaignState:
        """Read a state file; ``ValueError`` naming the file for another version or a malformed file."""
        try:
            data = json.loads(path.read_text())
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"version {data.get('version')} is not {STATE_VERSION}")
            return cls(**data)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: not a fuzz campaign state file ({err}); remove it or pass --fresh") from None


def open_state(config: CampaignConfig, fresh: bool, seed_given: bool) -> CampaignState:
    """The state to continue (the file's, when it exists and ``fresh`` is false) or a new one. Raises
    ``ValueError`` naming the file and the field when the file belongs to another seed, step count, chunk size
    or target."""
    path = config.state_path
    if fresh or not path.exists():
        return CampaignState(config.seed, config.steps, config.chunk, config.target)
    state = CampaignState.load(path)
    for name in ("seed", "steps", "chunk", "target"):
        if (name != "seed" or seed_given) and getattr(state, name) != getattr(config, name):
            raise ValueError(f"{path}: {name} is {getattr(state, name)}, this run asks for {getattr(config, name)}; "
                             f"pass --fresh to start over or another --state")
    return state


@dataclass
class CampaignReport:
    """This run's counts (and the campaign's totals in ``state``)."""

    state: CampaignState
    operations: int
    sequences: int
    failures: list[dict[str, Any]]
    wall_seconds: float
    cpu_seconds: float

    def line(self) -> str:
        """The summary line."""
        s = self.state
        rate = self.operations / self.wall_seconds if self.wall_seconds else 0.0
        cpu_rate = self.operations / self.cpu_seconds if self.cpu_seconds else 0.0
        return (f"fuzz campaign [{s.target}] seed {s.seed}: {self.operations:,} operations, {self.sequences:,} "
                f"sequences this run ({rate:,.0f} ops/s wall, {cpu_rate:,.0f} ops/s per worker CPU); total "
                f"{s.operations:,} operations, {s.sequences:,} sequences, {s.mismatches} mismatches, "
                f"{s.property_failures} property failures")


def run_campaign(config: CampaignConfig, max_ops: int, time_budget_s: float | None = None, workers: int = 2,
                 fresh: bool = False, seed_given: bool = True, progress: bool = True,
                 say: Callable[[str], None] = print, max_failures: int = 10) -> CampaignReport:
    """Run chunks until the campaign's total reaches ``max_ops`` operations, this run has used ``time_budget_s``
    or found ``max_failures`` failing sequences; ``workers`` processes (1: in this process), the state saved
    after every chunk."""
    state = open_state(config, fresh, seed_given)
    config = replace(config, seed=state.seed)
    say(f"fuzz campaign [{config.target}]: seed {state.seed}, {config.steps} rules per sequence, sequence n draws "
        f"from random.Random('{state.seed}:n'); state {config.state_path}"
        + (f" (resuming: {state.operations:,} operations, {state.sequences:,} sequences done)" if state.sequences
           else ""))
    start, pending = time.perf_counter(), state.pending()
    before_ops, before_seq, before_cpu, before_failures = (state.operations, state.sequences, state.cpu_seconds,
                                                           len(state.failures))
    before_wall = state.wall_seconds

    def more() -> bool:
        over_time = time_budget_s is not None and time.perf_counter() - start >= time_budget_s
        return state.operations < max_ops and not over_time and len(state.failures) - before_failures < max_failures

    def done(result: ChunkResult) -> None:
        state.record(result)
        state.wall_seconds = before_wall + time.perf_counter() - start  # kept by a run that is interrupted
        state.save(config.state_path)
        for f in result.failures:
            say(f"FAILURE sequence {f['sequence']} (seed {state.seed}): {f['kind']}: {f['message']} -> {f['file']}")

    with _progress(progress, max_ops, state.operations) as bar:
        if workers <= 1:
            target = TARGETS[config.target]()
            while more():
                result = run_chunk(target, config, next(pending))
                done(result)
                bar(state)
        else:
            _run_parallel(config, workers, pending, more, done, lambda: bar(state), say)
    wall = time.perf_counter() - start
    state.wall_seconds = before_wall + wall
    state.save(config.state_path)
    report = CampaignReport(state, state.operations - before_ops, state.sequences - before_seq,
                            state.failures[before_failures:], wall, state.cpu_seconds - before_cpu)
    say(report.line())
    return report


def _run_parallel(config: CampaignConfig, workers: int, pending: Any, more: Callable[[], bool],
                  done: Callable[[ChunkResult], None], tick: Callable[[], None], say: Callable[[str], None]) -> None:
    ctx: Any = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(config, tasks, results), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    say(f"workers: {', '.join(str(p.pid) for p in procs)} (one in-process chain each)")
    in_flight = 0
    try:
        for _ in range(2 * workers):
            tasks.put(next(pending))
            in_flight += 1
        while in_flight:
            result = results.get()
            in_flight -= 1
            done(result)
            tick()
            if more():
                tasks.put(next(pending))
                in_flight += 1
        for _ in procs:
            tasks.put(None)
        for p in procs:
            p.join(timeout=60)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()


class _progress:
    """A rich progress bar over operations (or nothing); calling it with the state updates it."""

    def __init__(self, show: bool, total: int, completed: int):
        self.show, self.total, self.completed = show, total, completed
        self._bar: Any = None

    def __enter__(self) -> Callable[[CampaignState], None]:
        if self.show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn())
            self._bar.start()
            self._task = self._bar.add_task("fuzz", total=self.total, completed=self.completed)
        return self.update

    def update(self, state: CampaignState) -> None:
        """Show ``state``'s totals."""
        if self._bar is not None:
            self._bar.update(self._task, completed=state.operations,
                             description=f"fuzz: {state.sequences:,} seq, {state.mismatches} mismatches, "
                                         f"{state.property_failures} property failures")

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()


# ------------------------------------------------------------------ command line (protocol-model fuzz)

def add_arguments(p: Any) -> None:
    """The ``protocol-model fuzz`` options on the argparse parser ``p``."""
    p.add_argument("--max-ops", type=int, default=10_000_000, help="stop once the campaign (all runs of this state "
                   "file) has cross-checked this many operations")
    p.add_argument("--time-budget", type=float, metavar="SECONDS", help="stop this run after this many seconds "
                   "(the chunks in flight finish; a rerun continues)")
    p.add_argument("--seed", type=int, help="campaign seed (default: the state file's, else a random one)")
    p.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 2), help="worker processes, one "
                   "in-process chain each (1: run in this process)")
    p.add_argument("--steps", type=int, default=40, help="rules per sequence (about 1.2 operations each)")
    p.add_argument("--chunk", type=int, default=10, help="sequences per unit of work (saved to the state file "
                   "when done)")
    p.add_argument("--target", choices=sorted(TARGETS), default="lending", help="the world to fuzz")
    p.add_argument("--state", type=Path, default=DEFAULT_STATE, help="state file: completed chunks and totals")
    p.add_argument("--regressions", type=Path, default=REGRESSIONS_DIR, help="where shrunk failures are written")
    p.add_argument("--max-failures", type=int, default=10, help="stop this run after this many failing sequences")
    p.add_argument("--fresh", action="store_true", help="ignore an existing state file and start over")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def main(args: Any) -> int:
    """Run the campaign from parsed ``args``; 0 when no sequence failed in this run, else 1."""
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    config = CampaignConfig(seed, args.steps, args.chunk, args.target, args.regressions, args.state)
    try:
        report = run_campaign(config, args.max_ops, args.time_budget, args.workers, args.fresh,
                              seed_given=args.seed is not None, progress=not args.no_progress,
                              max_failures=args.max_failures)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    return 1 if report.failures else 0
