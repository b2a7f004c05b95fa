"""Helpers shared by the differential fuzzers: the seed rule and the timing line each in-process suite prints."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
