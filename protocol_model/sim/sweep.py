"""Parameter sweeps: a grid of one or two axes over a base simulation, every cell on the same seed
(common random numbers: cells differ by their parameters, not by their luck).

The book a sweep holds is its ``book:`` field: ``fixed`` (default: the base simulation's book in every
cell, the question "what does this change do to today's borrowers") or ``rebuilt`` (each cell draws its
book at its own parameters: "a new market at these parameters"). Every report prints which."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from protocol_model.exact import errors
from protocol_model.sim.config import OracleLag
from protocol_model.sim.metrics import summarize
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.parallel import map_chunks
from protocol_model.sim.run import Job, build_book, run_chunk
from protocol_model.sim.spec import AssetOverrides, Axis, LabSpecError, SimulationSpec, SweepSpec

if TYPE_CHECKING:
    import pandas as pd

PER_ASSET = {"liquidation_threshold_bps", "ltv_bps", "liquidation_bonus_bps", "amm_depth_usd"}


@dataclass
class SweepResult:
    """A finished sweep: the spec, one row per grid cell (axis values then ``metrics.summarize`` of its paths), the
    fan-chart run of the base simulation (per-step series; None when ``fan_chart_paths`` is 0), the base simulation
    and the number of positions in the base book."""
    sweep: SweepSpec
    rows: list[dict[str, float]]
    """one per cell: the axis values, then ``metrics.summarize``"""
    fan: CascadeOutcome | None
    """the base simulation with per-step series, for fan charts"""
    base: SimulationSpec | None = None
    """the base simulation (for the report's method paragraph)"""
    positions: int = 0
    """positions of the base book"""

    def to_frame(self, *, raw: bool = False) -> pd.DataFrame:
        """One row per cell as a pandas DataFrame: the axis values, then the cell's metrics. Columns in human
        units (``"liquidation threshold (%)"``, ``"bad debt var99 (USD)"``; :mod:`protocol_model.sim.frames`),
        or the names and values as computed (bps, fractions) with ``raw=True``."""
        from protocol_model.sim.frames import records_frame

        return records_frame(self.rows, raw=raw)


def _targets(axis: Axis, spec: SimulationSpec, book) -> list[str]:
    if axis.assets:
        return axis.assets
    return sorted({spec.assets[int(i)].name for i in np.unique(book.coll_asset)})


def cell_job(sweep: SweepSpec, spec: SimulationSpec, values: tuple[float, ...], record_series=False) -> Job:
    """The job of one grid cell: the base simulation with the axes' values applied, on the base book
    (``sweep.book == "fixed"``) or on a book drawn at the cell's parameters (``"rebuilt"``).

    Raises ``LabSpecError`` naming the cell when its parameters are not a valid configuration."""
    base_params = spec.params()
    base_book = build_book(spec, base_params)
    overrides: dict[str, AssetOverrides] = {}
    close_factor_bps: int | None = None
    oracle: OracleLag | None = None
    vol = 1.0
    for axis, v in zip(sweep.axes, values, strict=True):
        p = axis.parameter
        if p in PER_ASSET:
            for name in _targets(axis, spec, base_book):
                o = overrides.setdefault(name, {})
                a = next(x for x in spec.assets if x.name == name)
                if p == "liquidation_threshold_bps":
                    o["liquidation_threshold_bps"] = int(v)
                    o.setdefault("ltv_bps", max(0, int(v) - (a.liquidation_threshold_bps - a.ltv_bps)))
                elif p == "ltv_bps":
                    o["ltv_bps"] = int(v)
                elif p == "liquidation_bonus_bps":
                    o["liquidation_bonus_bps"] = int(v)
                else:
                    o["amm_depth_usd"] = float(v)
        elif p == "close_factor_bps":
            close_factor_bps = int(v)
        elif p == "oracle_delay_steps":
            oracle = replace(spec.params().oracle, delay_steps=int(v))
        elif p == "volatility_scale":
            vol = float(v)
    try:
        params = spec.params(overrides, close_factor_bps=close_factor_bps, oracle=oracle)
    except (errors.PoolError, ValueError) as err:
        cell = ", ".join(f"{a.parameter}={v:g}" for a, v in zip(sweep.axes, values, strict=True))
        raise LabSpecError(f"axes: the cell {cell} is not a valid configuration: {err!r}") from None
    paths = sweep.paths or spec.paths
    book = base_book if sweep.book == "fixed" else build_book(spec, params)
    return Job(params, spec.market(vol), book, paths, spec.steps, spec.seed, spec.paths_per_chunk, record_series)


def run_sweep(sweep: SweepSpec, spec: SimulationSpec, *, workers: int | None = None, scheduler=None,
              progress: bool = False) -> SweepResult:
    """Runs every cell of ``sweep``'s grid (the product of its axes' values) over the base simulation ``spec`` on the
    same seed (common random numbers), plus ``fan_chart_paths`` paths of the base with per-step series, all chunks
    through ``parallel.map_chunks`` (``workers`` processes or a Dask ``scheduler``). Returns a ``SweepResult`` with one
    row per cell in grid order.

    Raises LabSpecError naming the first invalid cell before any work is done (``cell_job``)."""
    grid = list(itertools.product(*[a.values for a in sweep.axes]))
    jobs = [cell_job(sweep, spec, cell) for cell in grid]  # validates every cell before any work
    tasks, owner = [], []
    for i, job in enumerate(jobs):
        for t in job.chunks():
            tasks.append(t)
            owner.append(i)
    if sweep.fan_chart_paths:
        fan_job = replace(Job(spec.params(), spec.market(), build_book(spec, spec.params()), sweep.fan_chart_paths,
                              spec.steps, spec.seed, spec.paths_per_chunk), record_series=True)
        for t in fan_job.chunks():
            tasks.append(t)
            owner.append(-1)
    parts = map_chunks(run_chunk, tasks, workers=workers, scheduler=scheduler, progress=progress,
                       label=f"sweep {sweep.name}")
    rows: list[dict[str, float]] = []
    for i, cell in enumerate(grid):
        outcome = CascadeOutcome.concat([p for p, o in zip(parts, owner, strict=True) if o == i])
        row: dict[str, float] = {a.parameter: v for a, v in zip(sweep.axes, cell, strict=True)}
        row.update(summarize(outcome.per_path))
        rows.append(row)
    fan_parts = [p for p, o in zip(parts, owner, strict=True) if o == -1]
    return SweepResult(sweep, rows, CascadeOutcome.concat(fan_parts) if fan_parts else None, spec,
                       len(jobs[0].book) if sweep.book == "fixed" else len(build_book(spec, spec.params())))
