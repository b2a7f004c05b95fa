"""Run path chunks on local processes (default: every core) or on a Dask distributed cluster.

Chunks are fixed by the run (their size and their seeds from ``SeedSequence.spawn``), never by the
number of workers, so the results are identical whatever runs them; results come back in chunk order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from tqdm import tqdm


def map_chunks(fn: Callable, tasks: Sequence[tuple], *, workers: int | None = None, scheduler: str | None = None,
               progress: bool = False, label: str = "chunks") -> list:
    """``[fn(*task) for task in tasks]``, in order, computed in parallel.

    ``scheduler``: a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``; otherwise
    local processes, ``workers`` of them (default ``os.cpu_count()``; 1 = in this process).
    ``fn`` and the tasks must pickle for more than one worker; an exception in any task is re-raised here.
    """
    if scheduler is not None:
        return _dask(fn, tasks, scheduler, progress, label)
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(tasks), desc=label, disable=not progress, leave=False)
    if workers == 1 or len(tasks) == 1:
        out = []
        for t in tasks:
            out.append(fn(*t))
            bar.update()
        bar.close()
        return out
    results: list = [None] * len(tasks)
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = {pool.submit(fn, *t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            bar.update()
    bar.close()
    return results


def _dask(fn: Callable, tasks: Sequence[tuple], scheduler, progress: bool, label: str) -> list:
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = [client.submit(fn, *t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(tasks)
        bar = tqdm(total=len(tasks), desc=f"{label} (dask)", disable=not progress, leave=False)
        for fut in dask_completed(futures):
            results[index[fut.key]] = fut.result()
            bar.update()
        bar.close()
        return results
    finally:
        if client is not scheduler:
            client.close()
