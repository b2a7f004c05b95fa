"""Risk-lab benchmark (``make bench``; ``python -m protocol_model.sim.bench``). Not a test: it prints.

Workload: scenarios/lab/eth_crash.yaml — 2,000 paths × 1,000 positions × 365 daily steps, three assets,
liquidations selling into constant-product pools (AMM feedback), oracle deviation rule. Reports
position-steps per second on every local core, the peak memory of one chunk at 182 and at 365 steps
(tracemalloc: numpy buffers included), and the scalar reference's speed on a smaller size of the same
workload, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from .reference import run_reference
from .run import job_from_spec, run_chunk, run_job
from .spec import load_simulation

SPEC = Path(__file__).resolve().parents[2] / "scenarios" / "lab" / "eth_crash.yaml"
TARGET_RATE, TARGET_RATIO = 20e6, 500


def _chunk_peak_mib(job, steps: int) -> float:
    from dataclasses import replace

    j = replace(job, n_steps=steps)
    tracemalloc.start()
    run_chunk(j, np.random.SeedSequence(1), job.paths_per_chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--reference-paths", type=int, default=6)
    ap.add_argument("--chunk", type=int, default=1000, help="paths per chunk (larger amortizes per-step overhead)")
    args = ap.parse_args(argv)
    spec = load_simulation(SPEC).model_copy(update={"steps": args.steps, "paths_per_chunk": args.chunk})
    job = job_from_spec(spec, paths=args.paths)
    n_pos = len(job.book)
    workers = args.workers or os.cpu_count() or 1
    print(f"risk lab: {args.paths} paths × {n_pos} positions × {args.steps} steps, AMM feedback, "
          f"{workers} worker process(es), {job.paths_per_chunk} paths per chunk")
    run_job(job.__class__(**{**job.__dict__, "n_paths": job.paths_per_chunk, "n_steps": 5}), workers=1)  # warm-up
    t = time.perf_counter()
    out = run_job(job, workers=workers)
    wall = time.perf_counter() - t
    rate = args.paths * n_pos * args.steps / wall
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    liq = out.per_path["liquidation_count"].mean()
    print(f"  vectorized: {wall:.2f} s wall, {rate / 1e6:,.1f} M position-steps/s "
          f"(target ≥ {TARGET_RATE / 1e6:.0f} M); mean {liq:,.0f} liquidations per path")
    half = max(1, args.steps // 2)
    m_half, m_full = _chunk_peak_mib(job, half), _chunk_peak_mib(job, args.steps)
    print(f"  peak memory of one {job.paths_per_chunk}-path chunk: {m_half:,.1f} MiB at {half} steps, "
          f"{m_full:,.1f} MiB at {args.steps} steps (ratio {m_full / m_half:.2f}); "
          f"largest worker RSS {rss_children:,.0f} MiB")
    rp = args.reference_paths
    t = time.perf_counter()
    run_reference(job.params, job.book, job.market, np.random.default_rng(0), rp, args.steps)
    ref_wall = time.perf_counter() - t
    ref_rate = rp * n_pos * args.steps / ref_wall
    ratio = rate / ref_rate
    print(f"  scalar reference ({rp} paths, same book/market/steps, one process): {ref_wall:.2f} s, "
          f"{ref_rate / 1e6:,.2f} M position-steps/s")
    print(f"  ratio vectorized/scalar: {ratio:,.0f}× (target ≥ {TARGET_RATIO}×)")
    ok = rate >= TARGET_RATE and ratio >= TARGET_RATIO and m_full <= 1.1 * m_half
    print(f"  targets: {'met' if ok else 'NOT all met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
