"""Run a simulation: the book, the chunks (seeded by ``SeedSequence.spawn``), parallel execution, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from protocol_model.sim.books import Book, synthetic_book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.metrics import summarize
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.parallel import map_chunks
from protocol_model.sim.paths import MarketModel
from protocol_model.sim.spec import LabSpecError, SimulationSpec

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Job:
    """Everything one cell of a run needs (picklable, sent to workers)."""

    params: CascadeParams
    market: MarketModel
    book: Book
    n_paths: int
    n_steps: int
    seed: int
    paths_per_chunk: int = 500
    record_series: bool = False
    chart_series: tuple[str, ...] = ()
    """with ``record_series``: keep only these series, as float32 (a chart's data: its memory stays small)"""

    def chunks(self) -> list[tuple]:
        """``(job, seed, n_paths)`` per chunk of at most ``paths_per_chunk`` paths, seeds from
        ``SeedSequence(seed).spawn(2)[1].spawn(n_chunks)``: fixed by the job, never by the number of workers.
        """
        sizes = [min(self.paths_per_chunk, self.n_paths - s) for s in range(0, self.n_paths, self.paths_per_chunk)]
        seeds = np.random.SeedSequence(self.seed).spawn(2)[1].spawn(len(sizes))
        return [(self, ss, n) for ss, n in zip(seeds, sizes, strict=True)]


def run_chunk(job: Job, seed: np.random.SeedSequence, n_paths: int) -> CascadeOutcome:
    """One chunk of ``job`` (``n_paths`` paths from ``seed``) on the vectorized engine (series trimmed to
    ``job.chart_series`` in float32 when it names some)."""
    out = run_cascade(job.params, job.book, job.market, np.random.default_rng(seed), n_paths, job.n_steps,
                      record_series=job.record_series)
    if job.chart_series:
        out.series = {k: out.series[k].astype(np.float32) for k in job.chart_series}
    return out


@dataclass
class SimulationResult:
    """A finished simulation: the job, its outcome (all chunks, in order), the definition's name and extras."""

    job: Job
    outcome: CascadeOutcome
    name: str = ""
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """The run's tail metrics (:func:`~protocol_model.sim.metrics.summarize`; USD and fractions)."""
        return summarize(self.outcome.per_path)

    def to_frame(self, table: str = "paths", *, raw: bool = False) -> pd.DataFrame:
        """The run as a pandas DataFrame: ``paths`` (one row per path: every metric, bad debt per asset in
        whole tokens), ``series`` (one row per path and step, when run with ``record_series=True``) or
        ``summary`` (one row: :meth:`summary`). Columns in human units (``"bad debt (USD)"``, fractions in
        %; :mod:`protocol_model.sim.frames`), or the metric names and values as computed with ``raw=True``.

        Raises ``KeyError`` for another table and ``ValueError`` for ``series`` of a run without series.
        """
        from protocol_model.sim import frames

        assets = [a.name for a in self.job.params.assets]
        if table == "paths":
            return frames.paths_frame(self.outcome, assets, raw=raw)
        if table == "series":
            return frames.series_frame(self.outcome, assets, raw=raw)
        if table == "summary":
            return frames.records_frame([self.summary()], raw=raw)
        raise KeyError(f"no table '{table}' (tables: paths, series, summary)")


def run_job(job: Job, *, workers: int | None = None, scheduler=None, progress: bool = False) -> CascadeOutcome:
    """Every chunk of ``job`` via :func:`~protocol_model.sim.parallel.map_chunks` (local processes, or Dask
    given ``scheduler``), concatenated in chunk order: identical results whatever runs them.
    """
    parts = map_chunks(run_chunk, job.chunks(), workers=workers, scheduler=scheduler, progress=progress,
                       label="path chunks")
    return CascadeOutcome.concat(parts)


def build_book(spec: SimulationSpec, params: CascadeParams) -> Book:
    """The book a simulation definition asks for: synthetic (drawn from ``spec.book_rng()``), imported from a
    scenario file (:func:`~protocol_model.sim.importer.book_from_scenario`), or read from a book file
    (:func:`~protocol_model.sim.book_file.read_book`).

    Raises ``LabSpecError`` when none is given or the scenario cannot become a book; ``ScenarioError`` (file,
    line, column) for a bad book file.
    """
    s, scenario = spec.book.synthetic, spec.book.scenario
    if s is not None:
        try:
            return synthetic_book(spec.book_rng(), params, s.positions, collateral_weights=s.collateral_weights,
                                  debt_asset=s.debt_asset, size_median_usd=s.size_median_usd,
                                  size_sigma_log=s.size_sigma_log, utilization_beta=s.utilization_beta,
                                  loop_share=s.loop_share, loop_leverage=s.loop_leverage,
                                  multi_collateral_share=s.multi_collateral_share,
                                  collaterals_per_position=s.collaterals_per_position,
                                  multi_debt_weights=s.multi_debt_weights)
        except ValueError as err:
            raise LabSpecError(f"book.synthetic: {err}") from None
    if spec.book.file is not None:
        from protocol_model.sim.book_file import read_book

        return read_book(spec.book.file, params)
    if scenario is None:  # BookSpec validates that exactly one is given
        raise LabSpecError("book: give exactly one of 'synthetic', 'scenario' or 'file'")
    from protocol_model.sim.importer import book_from_scenario

    try:
        return book_from_scenario(scenario, params)
    except ValueError as err:
        raise LabSpecError(f"book.scenario: {err}") from None


def job_from_spec(spec: SimulationSpec, *, paths: int | None = None, record_series: bool = False) -> Job:
    """The :class:`Job` of a validated definition (``paths`` overrides its path count).

    Raises ``LabSpecError`` as :func:`build_book`.
    """
    params = spec.params()
    return Job(params, spec.market(), build_book(spec, params), paths or spec.paths, spec.steps, spec.seed,
               spec.paths_per_chunk, record_series)


def simulate(spec: SimulationSpec, *, paths: int | None = None, workers: int | None = None, scheduler=None,
             progress: bool = False, record_series: bool = False) -> SimulationResult:
    """Run a validated simulation definition (``load_simulation``) on every local core, or on Dask.

    Raises ``LabSpecError`` as :func:`build_book`.
    """
    job = job_from_spec(spec, paths=paths, record_series=record_series)
    return SimulationResult(job, run_job(job, workers=workers, scheduler=scheduler, progress=progress), spec.name)
