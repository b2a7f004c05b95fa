"""Timing for the lab's benchmarks: the best of several runs, with wall and CPU seconds (workers included)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing(Generic[T]):
    """The best of several timed runs of one callable, with its result."""

    wall_s: float
    """best wall time of the repeats"""
    cpu_s: float
    """CPU seconds (this process + finished child processes) of that repeat"""
    result: T


def cpu_s() -> float:
    """CPU seconds so far of this process and its finished (waited-for) child processes."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best_of(fn: Callable[[], T], repeats: int) -> Timing[T]:
    """Run ``fn`` ``repeats`` times; the fastest wall time, its CPU time and its result."""
    best: Timing[T] | None = None
    for _ in range(max(1, repeats)):
        c, t = cpu_s(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - t, cpu_s() - c
        if best is None or wall < best.wall_s:
            best = Timing(wall, cpu, result)
    assert best is not None
    return best
