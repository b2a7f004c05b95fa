"""Recommendations: which parameters for an asset, under a risk budget (issue #18, ``protocol-model optimise``).

An optimisation file (``kind: optimisation``) names a simulation (market model, book rule, paths), one
collateral asset, the parameters to search (LTV, liquidation threshold, liquidation bonus, each within a range,
on a grid of ``step`` basis points), the risk measure and three risk budgets (conservative, moderate,
aggressive). For each budget, ``scipy.optimize.differential_evolution`` (integer grid, deterministic seed, the
population evaluated in one parallel batch per generation) maximises the **borrowing capacity** of the book
(collateral value × LTV at the starting prices) subject to the risk measure staying within the budget; the
risk constraint is a penalty (any infeasible point scores worse than every feasible one).

Every candidate runs on the same paths (the simulation's seed: common random numbers), and the book is
``rebuilt`` at the candidate's parameters by default (borrowers use the capacity the parameters give, so a
higher LTV carries more debt: the question "which parameters for this market") or held ``fixed`` (today's
borrowers: LTV then changes capacity but not risk). Every evaluated point is kept: the **frontier** is the set
of points no other point beats on both capacity and risk, and each profile's recommendation is the evaluated
point with the most capacity within its budget (ties: less risk, then a smaller bonus). Its metrics against the
current parameters come with paired bootstrap intervals, as in ``compare``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy.optimize import differential_evolution

from protocol_model.exact import errors
from protocol_model.scenario.units import Bps, format_bps
from protocol_model.sim.books import Book
from protocol_model.sim.cascade import quantize_oracle
from protocol_model.sim.compare import METRICS, STATS, bootstrap
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.parallel import map_chunks
from protocol_model.sim.run import Job, build_book, run_chunk
from protocol_model.sim.spec import AssetOverrides, LabSpecError, LabStrict, SimulationSpec, load_with_simulation

PARAMETERS = {"ltv": "ltv_bps", "liquidation_threshold": "liquidation_threshold_bps",
              "liquidation_bonus": "liquidation_bonus_bps"}
"""Searchable parameter (file name) -> the asset field it sets (basis points)."""
PROFILES = ("conservative", "moderate", "aggressive")
"""The three recommendation tables, tightest budget first."""
SERIES = {"bad_debt": "bad_debt_usd", "liquidations": "liquidation_volume_usd"}
"""A metric's per-path series (``compare.METRICS``) -> the lab's per-path field."""
RiskMeasure = Literal["bad_debt_probability", "bad_debt_mean_usd", "bad_debt_var95_usd", "bad_debt_cvar95_usd",
                      "bad_debt_var99_usd", "bad_debt_cvar99_usd", "liquidations_at_risk95_usd",
                      "liquidations_at_risk99_usd", "liquidation_volume_mean_usd"]
"""Risk measures an optimisation may budget: the bad-debt and liquidation metrics of ``compare.METRICS``
(every metric whose per-path series is in ``SERIES``; a test keeps the two lists equal)."""
REPORTED = ("bad_debt_probability", "bad_debt_mean_usd", "bad_debt_var95_usd", "bad_debt_var99_usd",
            "bad_debt_cvar99_usd", "liquidations_at_risk99_usd")
"""Sampled metrics of each recommendation table (with the budgeted measure)."""


class Range(LabStrict):
    """A searched parameter's range, both ends included (``"75%"``, ``"7500 bps"`` or 7500)."""

    low: Bps = Field(ge=0, le=10_000)
    high: Bps = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({format_bps(self.low)}) is above high ({format_bps(self.high)})")
        return self


class Budgets(LabStrict):
    """The risk budget of each profile, in the risk measure's unit (USD, or a probability in [0, 1])."""

    conservative: float = Field(gt=0)
    moderate: float = Field(gt=0)
    aggressive: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Budgets:
        if not self.conservative <= self.moderate <= self.aggressive:
            raise ValueError("budgets must not decrease: conservative <= moderate <= aggressive")
        return self


class OptimisationSpec(LabStrict):
    """An optimisation file: which asset's parameters to search, where, under which risk budgets."""

    kind: Literal["optimisation"]
    name: str
    description: str = ""
    simulation: str
    """the simulation file (relative to this file): market model, book rule, paths, and the current protocol"""
    asset: str
    """the collateral asset whose parameters are searched"""
    search: dict[Literal["ltv", "liquidation_threshold", "liquidation_bonus"], Range] = Field(min_length=1)
    """parameters searched and their ranges; the others keep the protocol's values"""
    step: Bps = Field(default=25, ge=1, le=1_000)
    """grid of the search: every searched value is a multiple of this many basis points"""
    min_gap: Bps = Field(default=100, ge=0, le=10_000)
    """liquidation threshold − LTV must be at least this (a borrower at the LTV line is not liquidatable at once)"""
    risk: RiskMeasure = "bad_debt_var99_usd"
    """the budgeted risk measure (a metric of ``compare``)"""
    budgets: Budgets
    book: Literal["rebuilt", "fixed"] = "rebuilt"
    """``rebuilt``: the book is drawn at each candidate's parameters (borrowers use the capacity given);
    ``fixed``: the simulation's book at the current parameters for every candidate"""
    paths: int | None = Field(default=None, ge=1, le=1_000_000)
    """override the simulation's path count for every candidate"""
    generations: int = Field(default=6, ge=1, le=200)
    """differential-evolution generations per budget"""
    population: int = Field(default=5, ge=2, le=50)
    """population size multiplier (scipy's ``popsize``: population = this × searched parameters)"""
    seed: int = Field(default=1, ge=0)
    """seed of the optimiser (the paths use the simulation's seed)"""
    verify_paths: int = Field(default=1, ge=0, le=5)
    """worst paths of each recommendation replayed through the contracts (0: none)"""


@dataclass(frozen=True)
class Evaluation:
    """One candidate: its parameters (bps), whether the protocol accepts them, capacity and risk."""

    point: tuple[tuple[str, int], ...]
    """(parameter, bps) for every searched parameter, in the file's order"""
    valid: bool
    reason: str = ""
    """why the protocol refuses the point (when not valid)"""
    capacity_usd: float = 0.0
    """the book's borrowing capacity: collateral value × LTV at the starting oracle prices, USD"""
    risk: float = math.inf
    series: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    """per-path ``bad_debt`` and ``liquidations`` (USD), shape (paths,)"""

    @property
    def values(self) -> dict[str, int]:
        """parameter -> bps."""
        return dict(self.point)


@dataclass
class OptimisationResult:
    """A finished optimisation: the spec, the simulation, every evaluation, the current point and the choices."""

    spec: OptimisationSpec
    simulation: SimulationSpec
    current: Evaluation
    evaluations: list[Evaluation]
    chosen: dict[str, Evaluation | None]
    """profile -> the recommended point (None: no evaluated point meets the budget)"""
    paths: int
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """profile -> metric rows: current vs recommended with paired bootstrap intervals"""
    on_chain: list[dict[str, Any]] = field(default_factory=list)
    """rows of the chosen points' worst paths replayed on chain (``chain.lab_verify``)"""

    def frontier(self) -> list[Evaluation]:
        """The valid evaluations no other beats on both capacity (higher) and risk (lower), by risk."""
        pts = sorted((e for e in self.evaluations if e.valid), key=lambda e: (e.risk, -e.capacity_usd))
        out: list[Evaluation] = []
        for e in pts:
            if not out or e.capacity_usd > out[-1].capacity_usd:
                out.append(e)
        return out


def load_optimisation(path: str | Path) -> tuple[OptimisationSpec, SimulationSpec]:
    """Read an optimisation file and the simulation it names (relative to it).

    Raises ScenarioError (one line naming the file and field): bad fields, a missing simulation, an asset the
    simulation does not simulate or that is its book's debt asset, current parameters closer than ``min_gap``
    (a Morpho Blue market's LTV is its LLTV: use ``min_gap: 0``), or searched ranges that leave no point
    with threshold − LTV >= ``min_gap``.
    """
    path = Path(path)
    spec, sim = load_with_simulation(path, "optimisation", OptimisationSpec)
    names = [a.name for a in sim.assets]
    if spec.asset not in names:
        raise LabSpecError(f"{path}: asset: '{spec.asset}' is not simulated by {spec.simulation} (known: {names})")
    syn = sim.book.synthetic
    if syn is not None and spec.asset == syn.debt_asset:
        raise LabSpecError(f"{path}: asset: '{spec.asset}' is the book's debt asset; search a collateral asset")
    base = next(a for a in sim.assets if a.name == spec.asset)
    if (gap := base.liquidation_threshold_bps - base.ltv_bps) < spec.min_gap:
        raise LabSpecError(f"{path}: min_gap: the current {spec.asset} parameters (liquidation threshold "
                           f"{format_bps(base.liquidation_threshold_bps)}, LTV {format_bps(base.ltv_bps)}) are "
                           f"{format_bps(gap)} apart, below min_gap ({format_bps(spec.min_gap)}): the current point "
                           f"must be valid to compare with; set min_gap to at most {format_bps(gap)}")
    lo = {p: spec.search[p].low if p in spec.search else getattr(base, PARAMETERS[p]) for p in PARAMETERS}
    hi = {p: spec.search[p].high if p in spec.search else getattr(base, PARAMETERS[p]) for p in PARAMETERS}
    if hi["liquidation_threshold"] - lo["ltv"] < spec.min_gap:
        raise LabSpecError(f"{path}: search: no point has liquidation threshold − LTV >= min_gap "
                           f"({format_bps(spec.min_gap)}): the highest threshold is "
                           f"{format_bps(hi['liquidation_threshold'])}, the lowest LTV {format_bps(lo['ltv'])}")
    for p, r in spec.search.items():
        if math.floor(r.high / spec.step) < math.ceil(r.low / spec.step):
            raise LabSpecError(f"{path}: search.{p}: no multiple of step ({format_bps(spec.step)}) lies in "
                               f"[{format_bps(r.low)}, {format_bps(r.high)}]")
    return spec, sim


class _Evaluator:
    """Runs candidates on the simulation's paths, batching a population's chunks in one parallel call, and
    keeps every evaluation (the cache is keyed by the grid point)."""

    def __init__(self, spec: OptimisationSpec, sim: SimulationSpec, map_fn: Callable[[Sequence[tuple]], list]):
        self.spec, self.sim, self.map_fn = spec, sim, map_fn
        self.paths = spec.paths or sim.paths
        self.base_params = sim.params()
        self.base_book = build_book(sim, self.base_params)
        self.prices = quantize_oracle(np.array(self.base_params.initial_prices))
        self.market = sim.market()
        self.cache: dict[tuple[tuple[str, int], ...], Evaluation] = {}

    def setup(self, point: tuple[tuple[str, int], ...]) -> tuple[CascadeParams, Book] | str:
        """The candidate's parameters and book, or why the protocol refuses it."""
        values = dict(point)
        base = next(a for a in self.sim.assets if a.name == self.spec.asset)
        full = {p: values.get(p, getattr(base, PARAMETERS[p])) for p in PARAMETERS}
        if full["liquidation_threshold"] - full["ltv"] < self.spec.min_gap:
            return f"liquidation threshold − LTV below min_gap ({format_bps(self.spec.min_gap)})"
        over: AssetOverrides = {"ltv_bps": full["ltv"], "liquidation_threshold_bps": full["liquidation_threshold"],
                                "liquidation_bonus_bps": full["liquidation_bonus"]}
        try:
            params = self.sim.params({self.spec.asset: over})
        except (errors.PoolError, ValueError) as err:
            return f"the pool refuses it: {err}"
        book = self.base_book if self.spec.book == "fixed" else build_book(self.sim, params)
        return params, book

    def job(self, params: CascadeParams, book: Book) -> Job:
        """The candidate's lab job: the simulation's paths, steps, seed and chunks."""
        return Job(params, self.market, book, self.paths, self.sim.steps, self.sim.seed, self.sim.paths_per_chunk)

    def capacity(self, params: CascadeParams, book: Book) -> float:
        """Borrowing capacity of ``book``: collateral value × LTV at the starting oracle prices, USD."""
        ltv = np.array([a.ltv_bps for a in params.assets])[book.coll_asset] / 1e4
        return float((book.coll_tokens * self.prices[book.coll_asset] * ltv).sum())

    def evaluate(self, points: Iterable[tuple[tuple[str, int], ...]]) -> list[Evaluation]:
        """Every point's evaluation (cached ones reused; the rest run in one ``map_fn`` call)."""
        points = list(points)
        todo: dict[tuple[tuple[str, int], ...], tuple[CascadeParams, Book, Job]] = {}
        for pt in points:
            if pt in self.cache or pt in todo:
                continue
            made = self.setup(pt)
            if isinstance(made, str):
                self.cache[pt] = Evaluation(pt, False, made)
            else:
                todo[pt] = (*made, self.job(*made))
        tasks, owner = [], []
        for pt, (_, _, job) in todo.items():
            for t in job.chunks():
                tasks.append(t)
                owner.append(pt)
        parts = self.map_fn(tasks) if tasks else []
        for pt, (params, book, _) in todo.items():
            outcome = CascadeOutcome.concat([p for p, o in zip(parts, owner, strict=True) if o == pt])
            series = {k: outcome.per_path[v] for k, v in SERIES.items()}
            self.cache[pt] = Evaluation(pt, True, "", self.capacity(params, book), measure(self.spec.risk, series),
                                        series)
        return [self.cache[pt] for pt in points]


def measure(key: str, series: dict[str, np.ndarray]) -> float:
    """The value of metric ``key`` (a ``compare.METRICS`` key) on per-path ``series``."""
    _, _, name, stat, _ = next(m for m in METRICS if m[0] == key)
    return float(STATS[stat](series[name][None, :])[0])


def _score(e: Evaluation, budget: float, cap_scale: float) -> float:
    """Differential evolution minimises: −capacity (normalised) plus a small risk tie-break when within the
    budget; above it (or refused) a penalty worse than any feasible point, growing with the excess."""
    if not e.valid:
        return 10.0
    if e.risk <= budget:
        return -e.capacity_usd / cap_scale + 1e-3 * e.risk / budget
    return 2.0 + min(e.risk / budget, 1e6) * 1e-6


def best_within(evaluations: Iterable[Evaluation], budget: float) -> Evaluation | None:
    """The valid evaluation within ``budget`` with the most capacity (ties: less risk, then smaller values)."""
    ok = [e for e in evaluations if e.valid and e.risk <= budget]
    if not ok:
        return None
    return min(ok, key=lambda e: (-e.capacity_usd, e.risk, tuple(v for _, v in e.point)))


def optimise(spec: OptimisationSpec, sim: SimulationSpec, *, workers: int | None = None, scheduler=None,
             progress: bool = False, resamples: int = 1_000) -> OptimisationResult:
    """Search ``spec``'s parameters for each budget (module docstring) and tabulate the recommendations.

    ``workers``/``scheduler``: where a generation's chunks run (``parallel.map_chunks``: local processes or a
    Dask cluster; identical numbers either way). Returns every evaluation, the current point (the protocol's
    values) and per profile the recommended point with its metric rows. Raises ``LabSpecError`` as
    ``build_book``.
    """
    def map_fn(tasks: Sequence[tuple]) -> list:
        return map_chunks(run_chunk, tasks, workers=workers, scheduler=scheduler, progress=progress,
                          label=f"optimise {spec.name}")

    ev = _Evaluator(spec, sim, map_fn)
    names = list(spec.search)
    base = next(a for a in sim.assets if a.name == spec.asset)
    current = ev.evaluate([tuple((p, getattr(base, PARAMETERS[p])) for p in names)])[0]
    bounds = [(math.ceil(spec.search[p].low / spec.step), math.floor(spec.search[p].high / spec.step)) for p in names]

    def point(x: np.ndarray) -> tuple[tuple[str, int], ...]:
        return tuple((p, int(round(v)) * spec.step) for p, v in zip(names, x, strict=True))

    cap_scale = max(current.capacity_usd, 1.0)
    for profile in PROFILES:
        budget = getattr(spec.budgets, profile)
        scores = {pt: _score(e, budget, cap_scale) for pt, e in ev.cache.items()}

        def batch(_func: Any, xs: Iterable[np.ndarray], budget: float = budget,
                  scores: dict = scores) -> list[float]:
            pts = [point(x) for x in xs]
            for e in ev.evaluate(pts):
                scores[e.point] = _score(e, budget, cap_scale)
            return [scores[pt] for pt in pts]

        differential_evolution(lambda x: 0.0, bounds, integrality=[True] * len(names), maxiter=spec.generations,
                               popsize=spec.population, seed=spec.seed, polish=False, init="sobol",
                               updating="deferred", workers=batch, tol=0.0)
    evaluations = list(ev.cache.values())
    chosen = {p: best_within(evaluations, getattr(spec.budgets, p)) for p in PROFILES}
    result = OptimisationResult(spec, sim, current, evaluations, chosen, ev.paths)
    rng = np.random.default_rng(np.random.SeedSequence([sim.seed, 18, spec.seed]))
    for profile, e in chosen.items():
        if e is None:
            continue
        rows = []
        for key, label, series, stat, unit in METRICS:
            if key in REPORTED or key == spec.risk:
                row = bootstrap(current.series[series], e.series[series], STATS[stat], rng, resamples)
                rows.append({"key": key, "label": label, "unit": unit, "exact": False, **row})
        rows.append({"key": "borrowing_capacity_usd", "label": "Borrowing capacity (collateral value × LTV)",
                     "unit": "usd", "exact": True, "current": current.capacity_usd, "proposed": e.capacity_usd,
                     "change": e.capacity_usd - current.capacity_usd})
        result.tables[profile] = rows
    return result


def chosen_case(result: OptimisationResult, e: Evaluation) -> tuple[CascadeParams, Book, Job]:
    """The lab job of an evaluated point (its parameters, its book, the simulation's paths): what an on-chain
    replay of its worst paths re-runs. Raises ``ValueError`` if the point is not valid."""
    ev = _Evaluator(result.spec, result.simulation, lambda tasks: [])
    made = ev.setup(e.point)
    if isinstance(made, str):
        raise ValueError(made)
    return made[0], made[1], ev.job(*made)


def worst_paths(e: Evaluation, n: int) -> list[int]:
    """The ``n`` paths of ``e`` with the most bad debt (then liquidated debt)."""
    order = np.lexsort((-e.series["liquidations"], -e.series["bad_debt"]))
    return [int(i) for i in order[:n]]

