"""Helpers shared by the differential fuzzers: the seed rule, state-machine settings and start, and the timing
line each in-process suite prints."""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from tests.crosscheck.conftest import CrosscheckStats


def fixed_seed() -> bool:
    """Hypothesis runs derandomized (the same sequences every run) unless FUZZ_SEED or FUZZ_RANDOM is set."""
    return os.environ.get("FUZZ_SEED") is None and not os.environ.get("FUZZ_RANDOM")


@contextmanager
def timed(suite: str, stats: CrosscheckStats, capsys) -> Iterator[None]:
    """Run the body, then print ``suite: N operations in W s wall (R ops/s), C s CPU (R ops/s)`` (the CPU
    time is ``time.process_time``, the honest figure on a shared machine)."""
    start, cpu, ops = time.perf_counter(), time.process_time(), stats.operations
    yield
    wall, cpu, ops = time.perf_counter() - start, time.process_time() - cpu, stats.operations - ops
    with capsys.disabled():
        print(f"\n{suite}: {ops} operations in {wall:.1f} s wall ({ops / max(wall, 1e-9):.0f} ops/s), "
              f"{cpu:.1f} s CPU ({ops / max(cpu, 1e-9):.0f} ops/s)")


def machine_settings(examples: int, steps: int, shrink: bool = True) -> settings:
    """Hypothesis settings of a differential state machine: ``examples`` sequences of ``steps`` rules, no
    deadline, every health check off, shrinking unless ``shrink`` is False, seeded as ``fixed_seed`` says."""
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    derandomize=fixed_seed())


def begin_sequence(machine: Any, world: Any, base_model: Any, stats: CrosscheckStats) -> None:
    """A state machine's first step: snapshot the chain (``machine.snap_id``, for its teardown), take a fresh
    copy of ``base_model`` (``machine.model``) and the clock (``machine.now``), count the sequence."""
    machine.snap_id = world.driver.snapshot()
    machine.model = copy.deepcopy(base_model)
    machine.now = world.now()
    stats.sequences += 1
