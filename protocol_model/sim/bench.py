"""Risk-lab benchmark (``make bench``; ``python -m protocol_model.sim.bench``). Not a test: it prints.

Workload: scenarios/lab/eth_crash.yaml — 2,000 paths × 1,000 positions × 365 daily steps, three assets,
liquidations selling into constant-product pools (AMM feedback), oracle deviation rule. Measured in one run:

* the vectorized engine on every local core (the whole run: worker start-up included), and one chunk in
  this process (the per-core rate);
* the scalar reference on the same workload definition scaled down in paths only (same spec, book,
  market, steps; the first chunk's seed), after checking that the vectorized engine takes the same
  liquidations on that small run;
* the peak memory of one chunk at half and at all the steps (tracemalloc: numpy buffers included).

Every timed side is warmed up and timed ``--repeats`` times; the best wall time counts (the least disturbed
by other load). CPU seconds (this process and its workers) are printed too: on a shared machine the wall
rates move with the load, the per-CPU-second rates much less.

It prints results only; the engineering targets they are compared with (throughput, vectorized/scalar
ratio, flat memory) and where they stand are in docs/risk_lab.md ("Benchmark"), because whether a wall
ratio is reached depends on the machine's load, not on the code. The one check it makes is correctness:
the vectorized engine must take the reference's liquidations (exit code 1 otherwise).
"""

from __future__ import annotations

import argparse
import os
import resource
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np

from protocol_model.sim.bench_timing import best_of
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.reference import run_reference
from protocol_model.sim.run import Job, job_from_spec, run_chunk, run_job
from protocol_model.sim.spec import SimulationSpec, load_simulation

SPEC = Path(__file__).resolve().parents[2] / "scenarios" / "lab" / "eth_crash.yaml"


def _chunk_peak_mib(job: Job, steps: int) -> float:
    tracemalloc.start()
    run_chunk(replace(job, n_steps=steps), np.random.SeedSequence(1), job.paths_per_chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _same_liquidations(a: CascadeOutcome, b: CascadeOutcome) -> bool:
    return sorted(e[:3] for e in a.events) == sorted(e[:3] for e in b.events)


def multi_collateral_spec(spec: SimulationSpec, share: float = 0.3, per_position: int = 2) -> SimulationSpec:
    """``spec`` with a ``share`` of its synthetic book drawn as cross-collateral accounts of ``per_position``
    collaterals (``SyntheticBook.multi_collateral_share``); for the benchmark and its ``--compare`` mode.
    Raises ``ValueError`` for a spec whose book is not synthetic."""
    if spec.book.synthetic is None:
        raise ValueError("multi_collateral_spec: the simulation's book is not synthetic")
    syn = spec.book.synthetic.model_copy(update={"multi_collateral_share": share,
                                                 "collaterals_per_position": per_position})
    return spec.model_copy(update={"book": spec.book.model_copy(update={"synthetic": syn})})


def main(argv: list[str] | None = None) -> int:
    """The benchmark's command line (``--paths``, ``--steps``, ``--workers``, ...); prints the rates, the
    vectorized/scalar ratio and peak memory (targets: docs/risk_lab.md). Returns the exit code: 0, or 1 if
    the vectorized engine's liquidations differ from the scalar reference's.
    """
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--workers", type=int, default=None, help="default: every core")
    ap.add_argument("--reference-paths", type=int, default=8)
    ap.add_argument("--chunk", type=int, default=1000, help="paths per chunk (larger amortizes per-step overhead)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per side; the best counts")
    ap.add_argument("--compare", action="store_true",
                    help="the compare benchmark instead (issue #18; options: --compare --help)")
    known, _ = ap.parse_known_args(argv)
    if known.compare:
        from protocol_model.sim import bench_compare

        return bench_compare.main(argv)
    args = ap.parse_args(argv)
    spec = load_simulation(SPEC).model_copy(update={"steps": args.steps, "paths_per_chunk": args.chunk})
    job = job_from_spec(spec, paths=args.paths)
    n_pos, steps, reps = len(job.book), args.steps, args.repeats
    workers = args.workers or os.cpu_count() or 1
    load = os.getloadavg()[0]
    print(f"risk lab: {args.paths} paths × {n_pos} positions × {steps} steps ({SPEC.name}), AMM feedback; "
          f"{workers} worker process(es), {job.paths_per_chunk} paths per chunk; best of {reps}; "
          f"load average {load:.1f} on {os.cpu_count()} cores")

    run_job(replace(job, n_paths=job.paths_per_chunk, n_steps=5), workers=1)  # warm-up (imports, caches)
    vec = best_of(lambda: run_job(job, workers=workers), reps)
    size = args.paths * n_pos * steps
    rate, cpu_rate = size / vec.wall_s, size / vec.cpu_s
    liq = vec.result.per_path["liquidation_count"].mean()
    print(f"  vectorized, {workers} process(es): {vec.wall_s:.2f} s wall, {rate / 1e6:,.0f} M position-steps/s; "
          f"{vec.cpu_s:.2f} CPU-s, {cpu_rate / 1e6:,.0f} M per CPU-second; "
          f"mean {liq:,.0f} liquidations per path")
    seed0 = job.chunks()[0][1]
    one = best_of(lambda: run_chunk(job, seed0, job.paths_per_chunk), reps)
    one_size = job.paths_per_chunk * n_pos * steps
    print(f"  vectorized, one {job.paths_per_chunk}-path chunk in this process: {one.wall_s:.2f} s wall, "
          f"{one_size / one.wall_s / 1e6:,.0f} M position-steps/s ({one_size / one.cpu_s / 1e6:,.0f} M per CPU-second)")

    mc = job_from_spec(multi_collateral_spec(spec), paths=args.paths)  # the same book size, 30% cross-collateral
    multi = best_of(lambda: run_chunk(mc, seed0, mc.paths_per_chunk), reps)
    print(f"  with {len(mc.book.multi or ()):,} cross-collateral accounts of {len(mc.book):,}: one chunk "
          f"{multi.wall_s:.2f} s wall, {one_size / multi.wall_s / 1e6:,.0f} M position-steps/s "
          f"({one_size / multi.cpu_s / 1e6:,.0f} M per CPU-second); "
          f"{one.wall_s / multi.wall_s:.2f}× the pairs-only rate")

    accruing = replace(job, params=replace(job.params, interest=True))
    if accruing.params.accrues:  # the same chunk with interest along the paths (sim.interest)
        acc = best_of(lambda: run_chunk(accruing, seed0, job.paths_per_chunk), reps)
        print(f"  interest on, the same chunk: {acc.wall_s:.2f} s wall, {acc.cpu_s:.2f} CPU-s "
              f"({acc.wall_s / one.wall_s:.2f}× the wall time without interest, {acc.cpu_s / one.cpu_s:.2f}× CPU); "
              f"mean {acc.result.per_path['liquidation_count'].mean():,.0f} liquidations per path")

    rp = args.reference_paths
    small = job_from_spec(spec, paths=rp)
    _, small_seed, _ = small.chunks()[0]
    ref = best_of(lambda: run_reference(small.params, small.book, small.market, np.random.default_rng(small_seed),
                                        rp, steps), reps)
    check = run_cascade(small.params, small.book, small.market, np.random.default_rng(small_seed), rp, steps,
                        record_events=True)
    agree = _same_liquidations(check, ref.result)
    ref_size = rp * n_pos * steps
    ref_rate, ref_cpu_rate = ref_size / ref.wall_s, ref_size / ref.cpu_s
    print(f"  scalar reference, {rp} paths of the same spec (one process): {ref.wall_s:.2f} s wall, "
          f"{ref_rate / 1e6:,.2f} M position-steps/s ({ref_cpu_rate / 1e6:,.2f} M per CPU-second); mean "
          f"{ref.result.per_path['liquidation_count'].mean():,.0f} liquidations per path; vectorized engine on "
          f"these paths: {'same' if agree else 'DIFFERENT'} liquidations")
    ratio = rate / ref_rate
    print(f"  ratio vectorized/scalar: {ratio:,.0f}× wall; per core "
          f"{one_size / one.wall_s / ref_rate:,.0f}× wall, {one_size / one.cpu_s / ref_cpu_rate:,.0f}× per CPU-second")

    half = max(1, steps // 2)
    m_half, m_full = _chunk_peak_mib(job, half), _chunk_peak_mib(job, steps)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak memory of one {job.paths_per_chunk}-path chunk: {m_half:,.1f} MiB at {half} steps, "
          f"{m_full:,.1f} MiB at {steps} steps (ratio {m_full / m_half:.2f}); largest worker RSS {rss:,.0f} MiB")
    if not agree:
        print("  ERROR: the vectorized engine's liquidations differ from the scalar reference's")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
