"""Scale-out: chunks seeded by SeedSequence.spawn give identical results in one process, on local worker
processes, and on a Dask distributed cluster (a LocalCluster this test starts and stops)."""

from __future__ import annotations

import numpy as np

from protocol_model.sim.outcome import PATH_FIELDS
from protocol_model.sim.run import Job, run_job

from .cases import crash_book, crash_market, crash_params


def _job() -> Job:
    return Job(crash_params(), crash_market(), crash_book(40), n_paths=90, n_steps=30, seed=99, paths_per_chunk=20)


def _same(a, b) -> None:
    for f in PATH_FIELDS:
        assert np.array_equal(a.per_path[f], b.per_path[f]), f
    assert np.array_equal(a.bad_debt_tokens, b.bad_debt_tokens)
    assert a.per_asset.keys() == b.per_asset.keys() and a.per_asset
    for k in a.per_asset:
        assert np.array_equal(a.per_asset[k], b.per_asset[k]), k


def test_local_processes_match_single_process():
    job = _job()
    one = run_job(job, workers=1)
    two = run_job(job, workers=2)
    _same(one, two)
    assert one.n_paths == 90 and one.per_path["liquidation_count"].sum() > 0
    # chunks are really different streams: no two chunks repeat each other's first path
    firsts = one.per_path["min_health_factor"][::20]
    assert len(set(firsts.tolist())) == len(firsts)


def test_dask_local_cluster_matches_local_run():
    from distributed import LocalCluster

    job = _job()
    local = run_job(job, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_job(job, scheduler=cluster.scheduler_address)
    _same(local, remote)
