"""Reproducibility of lab runs: the seed alone decides the numbers.

* the same job twice gives bit-identical outcomes (every per-path and per-asset field, bad debt per asset),
  whatever the process-wide RNGs (``numpy.random``'s legacy global state, ``random``) hold, and a run leaves them
  untouched (no global RNG state is read or advanced);
* a different seed gives different paths;
* partial and resumed runs: a run of fewer paths is the first paths of a longer one (chunk seeds are spawned by
  index, so chunk ``i`` is the same whatever the path count), and any chunk run alone equals its slice of the
  whole run, with a chunk size that does not divide the path count.

One and two local processes and a Dask cluster are compared in ``test_parallel.py``.
"""

from __future__ import annotations

import random

import numpy as np

from protocol_model.sim.outcome import PATH_FIELDS, CascadeOutcome
from protocol_model.sim.run import Job, run_chunk, run_job

from .cases import crash_book, crash_market, crash_params


def _job(n_paths: int = 70, seed: int = 7) -> Job:
    return Job(crash_params(), crash_market(), crash_book(30), n_paths=n_paths, n_steps=20, seed=seed,
               paths_per_chunk=15)


def _fields(o: CascadeOutcome, rows: slice = slice(None)) -> dict[str, np.ndarray]:
    out = {f: o.per_path[f][rows] for f in PATH_FIELDS}
    out |= {f"per_asset.{k}": v[rows] for k, v in o.per_asset.items()}
    out["bad_debt_tokens"] = o.bad_debt_tokens[rows]
    return out


def assert_identical(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    """Same fields, bit for bit (NaN never appears; ``array_equal`` would call NaN unequal)."""
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].shape == b[k].shape and a[k].tobytes() == b[k].tobytes(), k


def test_same_seed_is_bit_identical_and_global_rngs_are_neither_read_nor_moved():
    job = _job()
    np.random.seed(1)
    random.seed(1)
    first = run_job(job, workers=1)
    np.random.seed(2)
    random.seed(2)
    before = (np.random.get_state()[1].tobytes(), np.random.get_state()[2], random.getstate())
    second = run_job(job, workers=1)
    after = (np.random.get_state()[1].tobytes(), np.random.get_state()[2], random.getstate())
    assert before == after
    assert_identical(_fields(first), _fields(second))
    assert first.per_path["liquidation_count"].sum() > 0 and first.per_asset


def test_a_different_seed_gives_different_paths():
    a, b = run_job(_job(seed=7), workers=1), run_job(_job(seed=8), workers=1)
    assert not np.array_equal(a.per_asset["min_fundamental_rel"], b.per_asset["min_fundamental_rel"])
    assert not np.array_equal(a.per_path["min_health_factor"], b.per_path["min_health_factor"])


def test_partial_and_resumed_runs_equal_their_slice_of_the_whole_run():
    whole_job = _job(70)  # chunks of 15: 15, 15, 15, 15, 10
    whole = run_job(whole_job, workers=1)
    assert [n for _, _, n in whole_job.chunks()] == [15, 15, 15, 15, 10]
    shorter = run_job(_job(45), workers=1)  # the first three chunks
    assert_identical(_fields(shorter), _fields(whole, slice(0, 45)))
    for i, task in enumerate(whole_job.chunks()):  # each chunk alone, as a resumed run would compute it
        start = 15 * i
        assert_identical(_fields(run_chunk(*task)), _fields(whole, slice(start, start + task[2])))
