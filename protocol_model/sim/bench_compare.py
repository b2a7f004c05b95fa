"""Compare benchmark (issue #18, "Performance"; ``python -m protocol_model.sim.bench --compare``, in ``make bench``).

Workload: ``compare generic scenarios/lab/weth_lt80_bonus8.yaml --simulation scenarios/lab/eth_crash_multi.yaml``
(1,000 positions, 30% of them cross-collateral accounts holding WETH and WBTC) with interest on — 2 configurations
× 10,000 paths × 1,000 positions × 365 daily steps on one fixed book, common random numbers, the compare's
bootstrap intervals (1,000 resamples) and fan-chart paths included (the report's files are not written). Measured
in one run and printed against the issue's targets (``TARGETS``), with "missed by N×" where missed:

* the whole compare on every local core: wall and CPU seconds (this process and its workers), position-steps per
  second (2 × paths × positions × steps over the wall time);
* the scalar reference on a few paths of the same spec (same book, market, steps, interest, the first chunk's
  seed), both configurations, after checking that the vectorized engine takes exactly the same liquidations on
  those paths; the ratio of the compare's rate to the reference's (wall, and per CPU-second);
* peak memory (tracemalloc, numpy buffers included) of one compare chunk task — both configurations on the same
  paths, the engine's whole working set — at half and at all the steps, and of the compare's own process (the
  outcomes, the fan-chart paths, the bootstrap) at both step counts.

The machine may be shared: the wall figures move with its load (printed), the per-CPU-second figures much less.
Exit code 1 only if the engine's liquidations differ from the reference's (a correctness check, not a timing one).

The book both configurations hold is built by :func:`bench_book`, the one place to point at another book rule
(e.g. a multi-collateral synthetic book).
"""

from __future__ import annotations

import argparse
import os
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from protocol_model.sim.bench_timing import best_of
from protocol_model.sim.books import Book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.compare import Side, compare, load_sides
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.reference import run_reference
from protocol_model.sim.run import Job, build_book, run_chunk
from protocol_model.sim.spec import SimulationSpec

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"
SIMULATION = LAB / "eth_crash_multi.yaml"
CURRENT = "generic"
PROPOSED = LAB / "weth_lt80_bonus8.yaml"

TARGETS = {"wall_s": 60.0, "rate": 20e6, "ratio": 500.0, "memory_ratio": 1.1}
"""Issue #18: the compare under 60 s on 2 cores, >= 20 M position-steps/s, >= 500× the scalar reference, peak
memory at all the steps <= 1.1 × at half of them."""


def bench_book(spec: SimulationSpec, params: CascadeParams) -> Book:
    """The book both configurations hold fixed: the simulation's own book rule at CURRENT's parameters (the
    synthetic book of ``eth_crash_multi.yaml``: 1,000 positions borrowing USDC, 70% single-collateral pairs on
    WETH or WBTC, 30% cross-collateral accounts holding both).

    The one place the benchmark builds its book (another book rule goes here).
    Raises ``LabSpecError`` as :func:`~protocol_model.sim.run.build_book`.
    """
    return build_book(spec, params)


def bench_sides(steps: int, chunk: int) -> tuple[Side, Side]:
    """CURRENT and PROPOSED resolved against the simulation, with interest on, ``steps`` steps and ``chunk`` paths
    per chunk."""
    cur, prop, _ = load_sides(CURRENT, PROPOSED, SIMULATION)
    update = {"interest": True, "steps": steps, "paths_per_chunk": chunk}
    return tuple(Side(s.label, s.source, s.protocol, s.spec.model_copy(update=update))  # type: ignore[return-value]
                 for s in (cur, prop))


def verdict(value: float, target: float, *, at_most: bool) -> str:
    """``target …: met`` or ``target …: missed by N×`` (N = how far the value is from the target, as a factor)."""
    met = value <= target if at_most else value >= target
    if met:
        return "met"
    return f"missed by {value / target if at_most else target / value:,.2f}×"


def _same_liquidations(a: CascadeOutcome, b: CascadeOutcome) -> bool:
    return sorted(e[:3] for e in a.events) == sorted(e[:3] for e in b.events)


def _peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _chunk_task(sides: tuple[Side, Side], book: Book, paths: int) -> Callable[[], object]:
    """One compare chunk task (both configurations on the first chunk's paths), as ``compare`` runs it."""
    jobs = [Job(s.params, s.spec.market(), book, paths, s.spec.steps, s.spec.seed, s.spec.paths_per_chunk)
            for s in sides]
    (_, seed, n), *_ = jobs[0].chunks()
    return lambda: [run_chunk(j, seed, n) for j in jobs]


def main(argv: list[str] | None = None) -> int:
    """The compare benchmark's command line (``--paths``, ``--steps``, ``--workers``, ``--chunk``, ...): prints the
    figures against issue #18's targets. Returns the exit code: 0, or 1 if the vectorized engine's liquidations
    differ from the scalar reference's.
    """
    ap = argparse.ArgumentParser(prog="python -m protocol_model.sim.bench --compare", description=__doc__)
    ap.add_argument("--compare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--workers", type=int, default=None, help="default: every core")
    ap.add_argument("--chunk", type=int, default=1000, help="paths per chunk")
    ap.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of the compare")
    ap.add_argument("--reference-paths", type=int, default=4, help="paths of the scalar reference, per configuration")
    ap.add_argument("--repeats", type=int, default=1, help="timed runs of the compare; the best counts")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    args = ap.parse_args(argv)
    steps, n = args.steps, args.paths
    workers = args.workers or os.cpu_count() or 1
    sides = bench_sides(steps, args.chunk)
    book = bench_book(sides[0].spec, sides[0].params)
    size = 2 * n * len(book) * steps
    print(f"compare benchmark: 2 configurations ({CURRENT} vs {PROPOSED.name}) × {n:,} paths × {len(book):,} "
          f"positions ({book.n_pairs:,} single-pair, {len(book) - book.n_pairs:,} cross-collateral) × {steps} steps "
          f"({SIMULATION.name}), interest on, fixed book, common random numbers, "
          f"{args.resamples:,} bootstrap resamples; {workers} worker process(es), {args.chunk} paths per chunk; "
          f"best of {args.repeats}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    small = bench_sides(5, args.chunk)
    compare(*small, book=book, paths=min(n, 50), fan_paths=10, resamples=10, workers=1)  # warm-up (imports)
    run = best_of(lambda: compare(*sides, book=book, paths=n, resamples=args.resamples, workers=workers), args.repeats)
    rate, cpu_rate = size / run.wall_s, size / run.cpu_s
    liq = {k: run.result.outcomes[k].per_path["liquidation_count"].mean() for k in ("current", "proposed")}
    print(f"  compare, {workers} process(es): {run.wall_s:,.2f} s wall (target < {TARGETS['wall_s']:.0f} s: "
          f"{verdict(run.wall_s, TARGETS['wall_s'], at_most=True)}), {run.cpu_s:,.2f} CPU-s; mean liquidations per "
          f"path {liq['current']:,.0f} current, {liq['proposed']:,.0f} proposed")
    print(f"  throughput: {rate / 1e6:,.0f} M position-steps/s wall (target >= {TARGETS['rate'] / 1e6:.0f} M: "
          f"{verdict(rate, TARGETS['rate'], at_most=False)}); {cpu_rate / 1e6:,.0f} M per CPU-second")

    rp = args.reference_paths
    ref_wall = ref_cpu = 0.0
    agree = True
    for s in sides:
        job = Job(s.params, s.spec.market(), book, rp, steps, s.spec.seed, args.chunk)
        (_, seed, _), *_ = job.chunks()
        ref = best_of(partial(run_reference, job.params, book, job.market, np.random.default_rng(seed), rp, steps), 1)
        vec = run_cascade(job.params, book, job.market, np.random.default_rng(seed), rp, steps, record_events=True)
        same = _same_liquidations(vec, ref.result)
        agree &= same
        ref_wall += ref.wall_s
        ref_cpu += ref.cpu_s
        print(f"  scalar reference, {s.label}: {rp} paths, {ref.wall_s:,.2f} s wall, {ref.cpu_s:,.2f} CPU-s, "
              f"{len(ref.result.events):,} liquidations; vectorized engine on these paths: "
              f"{'same' if same else 'DIFFERENT'} liquidations")
    ref_size = 2 * rp * len(book) * steps
    ratio, cpu_ratio = rate / (ref_size / ref_wall), cpu_rate / (ref_size / ref_cpu)
    print(f"  scalar reference: {ref_size / ref_wall / 1e6:,.2f} M position-steps/s wall, "
          f"{ref_size / ref_cpu / 1e6:,.2f} M per CPU-second (one process)")
    print(f"  ratio compare/scalar reference: {ratio:,.0f}× wall (target >= {TARGETS['ratio']:.0f}×: "
          f"{verdict(ratio, TARGETS['ratio'], at_most=False)}); {cpu_ratio:,.0f}× per CPU-second")

    if not args.no_memory:
        half = max(1, steps // 2)
        chunk = [_peak_mib(_chunk_task(bench_sides(t, args.chunk), book, n)) for t in (half, steps)]
        print(f"  peak memory of one compare chunk task (both configurations, {args.chunk} paths): "
              f"{chunk[0]:,.1f} MiB at {half} steps, {chunk[1]:,.1f} MiB at {steps} steps (ratio "
              f"{chunk[1] / chunk[0]:.2f}, target <= {TARGETS['memory_ratio']}: "
              f"{verdict(chunk[1] / chunk[0], TARGETS['memory_ratio'], at_most=True)})")
        whole = [_peak_mib(partial(compare, *bench_sides(t, args.chunk), book=book, paths=n,
                                   resamples=args.resamples, workers=workers)) for t in (half, steps)]
        print(f"  peak memory of the compare's own process (outcomes, fan-chart paths, bootstrap; workers apart): "
              f"{whole[0]:,.1f} MiB at {half} steps, {whole[1]:,.1f} MiB at {steps} steps (ratio "
              f"{whole[1] / whole[0]:.2f}, target <= {TARGETS['memory_ratio']}: "
              f"{verdict(whole[1] / whole[0], TARGETS['memory_ratio'], at_most=True)})")
    if not agree:
        print("  ERROR: the vectorized engine's liquidations differ from the scalar reference's")
    return 0 if agree else 1
