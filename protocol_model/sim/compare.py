"""The designer's question: current vs proposed parameters, for today's borrowers (issue #18).

``compare CURRENT PROPOSED --simulation SIM [--book BOOK]`` runs one simulation's market model under two
protocol files on

* **the same book, held fixed**: generated once from CURRENT's parameters (or read from a book file, e.g.
  the ``book.csv`` a previous compare wrote), so the proposal is judged on the borrowers the market has
  today, not on a new market drawn at the proposed LTV (which is what a ``book: rebuilt`` sweep answers);
* **the same price paths** (common random numbers: both runs use the simulation's seed and chunks), so the
  difference between the two columns is the parameters', not the luck's.

Reported per collateral asset and in total, each with a paired percentile-bootstrap confidence interval
(the same resampled paths for both configurations) and the path count: VaR/CVaR of bad debt at 95/99%,
liquidations at risk, P(bad debt), the largest price drop and its liquidation-induced part; and, exact for
the book (no sampling): positions made liquidatable at once by the change and the debt they carry, and
borrowing capacity gained or lost. The parameter diff lists every changed field and says which ones the
lab models.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.protocol import PROTOCOLS_DIR, ProtocolFile, load_protocol
from protocol_model.sim.book_file import BOOK_COLUMNS
from protocol_model.sim.book_file import read_book as read_book  # re-exported: compare --book reads book files
from protocol_model.sim.books import Book
from protocol_model.sim.cascade import quantize_oracle
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.metrics import shortfall, tail_count
from protocol_model.sim.outcome import CascadeOutcome, liquidation_induced_drop
from protocol_model.sim.parallel import map_chunks
from protocol_model.sim.run import Job, build_book, run_chunk
from protocol_model.sim.spec import SimulationSpec, resolve_simulation

if TYPE_CHECKING:
    import pandas as pd

LAB_FIELDS = ("price_usd", "decimals", "ltv_bps", "liquidation_threshold_bps", "liquidation_bonus_bps",
              "liquidation_protocol_fee_bps", "close_factor_bps", "full_close_hf_bps", "lltv_bps", "price")
"""Protocol fields the lab's cascade reads; a change to any other field is listed but not modelled."""

CONFIDENCE = 0.95
"""Two-sided level of the bootstrap intervals."""

WORST_PATHS = 3
"""Worst paths per configuration listed for an on-chain replay (``--verify-on-chain``)."""

FAN_SERIES = ("bad_debt_usd", "market", "fundamental")
"""The per-step series the report's fan charts draw (``report_compare``), the only ones the fan-chart paths keep,
in float32 (the charts' percentile bands do not move visibly; the compare's memory stays nearly flat in steps)."""


def protocol_file(ref: str | Path) -> Path:
    """The file of a protocol reference: a path, or a bare name looked up in ``protocols/``.

    Raises ScenarioError if there is no such file.
    """
    text = str(ref)
    path = Path(text) if ("/" in text or text.endswith((".yaml", ".yml"))) else PROTOCOLS_DIR / f"{text}.yaml"
    if not path.is_file():
        raise ScenarioError(f"{ref}: no such protocol file ({path})")
    return path.resolve()


@dataclass(frozen=True)
class Side:
    """One configuration: its protocol file, the protocol, and the simulation resolved against it."""

    label: str
    """'current' or 'proposed'"""
    source: str
    protocol: ProtocolFile
    spec: SimulationSpec

    @property
    def params(self) -> CascadeParams:
        """The cascade parameters of this configuration."""
        return self.spec.params()


def load_sides(current: str | Path, proposed: str | Path, simulation: str | Path) -> tuple[Side, Side, list[str]]:
    """Resolve ``simulation`` against each protocol (its own ``protocol:`` and ``overrides:`` are replaced).

    Returns (current, proposed, notes). Raises ScenarioError naming the file and field for a bad protocol,
    a bad simulation, or a simulated asset a protocol does not list.
    """
    _, data = read_kind(simulation, "simulation")
    notes = []
    if data.get("overrides"):
        notes.append(f"{simulation}: its overrides ({', '.join(map(str, data['overrides']))}) are not applied: "
                     f"the parameters come from CURRENT and PROPOSED only")
    sides = []
    for label, ref in (("current", current), ("proposed", proposed)):
        path = protocol_file(ref)
        protocol = load_protocol(path)
        spec = resolve_simulation({**data, "protocol": str(path), "overrides": {}}, simulation)
        sides.append(Side(label, str(ref), protocol, spec))
    return sides[0], sides[1], notes


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def parameter_diff(current: ProtocolFile, proposed: ProtocolFile, simulated: list[str]) -> list[dict[str, Any]]:
    """Every protocol field that differs: ``{"field", "asset", "name", "current", "proposed", "modelled"}``.

    ``field`` is the full path (``assets.WETH.liquidation_threshold_bps``), ``asset`` the asset (or
    ``"pool"``), ``name`` the last part; ``modelled`` says whether the lab's cascade reads it (``LAB_FIELDS``
    of a simulated asset or of the pool). Values in the models' units (bps for shares, Decimal USD).
    """
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    for proto, flat in ((current, a), (proposed, b)):
        _flat("", proto.model_dump(include={"pool", "assets", "perp", "aave_v3", "morpho"}), flat)
    rows = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        parts = key.split(".")
        preset = parts[0] in ("aave_v3", "morpho") and len(parts) == 4  # aave_v3.reserves.X.f, morpho.markets.M.f
        asset = parts[2] if preset else parts[1] if parts[0] == "assets" else parts[0]
        tokens = _market_tokens(current, proposed, asset) if parts[0] == "morpho" else {asset}
        modelled = parts[-1] in LAB_FIELDS and (asset == "pool" or tokens <= set(simulated))
        rows.append({"field": key, "asset": asset, "name": parts[-1], "current": a.get(key), "proposed": b.get(key),
                     "modelled": modelled})
    return rows


def _market_tokens(current: ProtocolFile, proposed: ProtocolFile, market: str) -> set[str]:
    """The loan and collateral tokens of a Morpho market of either protocol (the lab models a market whose two
    tokens it simulates)."""
    for proto in (current, proposed):
        m = proto.morpho.markets.get(market) if proto.morpho else None
        if m is not None:
            return {m.loan_token, m.collateral_token}
    return {market}


def write_book(book: Book, params: CascadeParams, path: Path) -> Path:
    """Write ``book`` as a book file (``BOOK_COLUMNS``; floats in full precision); returns ``path``."""
    names = [a.name for a in params.assets]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(BOOK_COLUMNS)
        for i in range(book.n_pairs):
            w.writerow([book.names[i] if book.names else f"p{i}", names[book.coll_asset[i]],
                        names[book.debt_asset[i]], repr(float(book.coll_tokens[i])), repr(float(book.debt_tokens[i]))])
        if book.multi is not None:  # one row per collateral/debt leg, the name repeated (read back as one account)
            for name, coll, debt in zip(book.all_names[book.n_pairs:], book.multi.coll, book.multi.debt, strict=True):
                held, owed = list(np.flatnonzero(coll)), list(np.flatnonzero(debt))
                for j in range(max(len(held), len(owed), 2)):
                    c, d = held[min(j, len(held) - 1)], owed[min(j, len(owed) - 1)] if owed else held[0]
                    w.writerow([name, names[c], names[d], repr(float(coll[c]) if j < len(held) else 0.0),
                                repr(float(debt[d]) if j < len(owed) else 0.0)])
    return path


# --- statistics -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statistic:
    """A statistic of per-path samples: ``stat(x)`` maps a (rows, paths) array to one value per row; ``resampled``
    gives the same statistic of bootstrap resamples stated as draw counts (no resampled copy of the sample).

    ``kind``: ``mean``, ``probability`` (share of paths > 0), or ``tail`` (VaR, or CVaR with ``tail_mean``, at
    ``level``, as ``metrics.var_cvar``: VaR the ``⌈(1 − level)·n⌉``-th largest, CVaR the mean of the worst
    ``(1 − level)·n`` paths' worth, the VaR counted with its fractional weight; Acerbi & Tasche 2002).
    """

    kind: str
    level: float = 0.0
    tail_mean: bool = False

    def tail_size(self, n: int) -> int:
        """How many of ``n`` paths the tail touches (at least 1; ``metrics.tail_count``)."""
        return tail_count(n, self.level)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "mean":
            return x.mean(axis=1)
        if self.kind == "probability":
            return (x > 0).mean(axis=1)
        k = self.tail_size(x.shape[1])
        top = -np.partition(-x, k - 1, axis=1)[:, :k]  # the k largest, unordered; the k-th largest is their min
        var = top.min(axis=1)
        if not self.tail_mean:
            return var
        return shortfall(var, (top - var[:, None]).sum(axis=1), x.shape[1], self.level)

    def resampled(self, x: np.ndarray, counts: np.ndarray, order: np.ndarray) -> np.ndarray:
        """The statistic of every resample of ``x`` ((paths,)): ``counts`` (resamples, paths) says how many times
        each path is drawn (each row sums to paths); ``order`` is ``x``'s indices from the largest value down.

        Equal to ``self(x[idx])`` for the resamples ``idx`` the counts describe: exactly for the probability and
        VaR, to rounding (the sums' order) for the mean and CVaR. A tail statistic reads only the largest values
        a resample holds: it walks the paths from the largest down until a resample has drawn ``k`` of them."""
        n = x.size
        if self.kind == "mean":
            return counts @ x / n
        if self.kind == "probability":
            return counts @ (x > 0).astype(float) / n
        k = self.tail_size(n)
        m = min(n, 2 * k + 64)
        while True:
            c = counts[:, order[:m]]
            seen = np.cumsum(c, axis=1)
            if m == n or seen[:, -1].min() >= k:
                break
            m = min(n, 2 * m)
        j = np.argmax(seen >= k, axis=1)  # the resample's k-th largest draw is the path order[j]
        v = x[order[:m]]
        if not self.tail_mean:
            return v[j]
        excess = np.where(np.arange(m) < j[:, None], c * (v - v[j][:, None]), 0.0).sum(axis=1)
        return shortfall(v[j], excess, n, self.level)


STATS: dict[str, Statistic] = {
    "mean": Statistic("mean"), "probability": Statistic("probability"),
    "var95": Statistic("tail", 0.95), "cvar95": Statistic("tail", 0.95, True),
    "var99": Statistic("tail", 0.99), "cvar99": Statistic("tail", 0.99, True),
}
"""Statistic name -> :class:`Statistic` (a function of a (rows, paths) array giving one value per row)."""

METRICS: tuple[tuple[str, str, str, str, str], ...] = (
    # key, plain-language label, per-path series, statistic, unit
    ("bad_debt_probability", "Chance of any bad debt", "bad_debt", "probability", "share"),
    ("bad_debt_mean_usd", "Average bad debt", "bad_debt", "mean", "usd"),
    ("bad_debt_var95_usd", "Bad debt exceeded on 5% of paths (VaR 95%)", "bad_debt", "var95", "usd"),
    ("bad_debt_cvar95_usd", "Average bad debt on the worst 5% of paths (CVaR 95%)", "bad_debt", "cvar95", "usd"),
    ("bad_debt_var99_usd", "Bad debt exceeded on 1% of paths (VaR 99%)", "bad_debt", "var99", "usd"),
    ("bad_debt_cvar99_usd", "Average bad debt on the worst 1% of paths (CVaR 99%)", "bad_debt", "cvar99", "usd"),
    ("liquidations_at_risk95_usd", "Liquidations exceeded on 5% of paths (LaR 95%)", "liquidations", "var95",
     "usd"),
    ("liquidations_at_risk99_usd", "Liquidations exceeded on 1% of paths (LaR 99%)", "liquidations", "var99",
     "usd"),
    ("liquidation_volume_mean_usd", "Average liquidated debt", "liquidations", "mean", "usd"),
    ("price_drop_var99", "Largest price drop, exceeded on 1% of paths", "drop", "var99", "share"),
    ("induced_drop_mean", "Part of the largest drop caused by liquidation selling (average)", "induced", "mean",
     "share"),
    ("induced_drop_var99", "Part of the largest drop caused by liquidation selling, exceeded on 1% of paths",
     "induced", "var99", "share"),
)
"""The sampled metrics of a compare, in report order."""


def bootstrap(current: np.ndarray, proposed: np.ndarray, stat: Callable[[np.ndarray], np.ndarray],
              rng: np.random.Generator, resamples: int, confidence: float = CONFIDENCE,
              block: int = 200) -> dict[str, float]:
    """Point values and paired percentile-bootstrap intervals of ``stat`` for two per-path samples.

    ``current``/``proposed``: (paths,) on the same paths (common random numbers); every resample draws the
    same path indices for both, so the interval of the change is the change's own. ``stat`` maps a
    (rows, paths) array to (rows,); a :class:`Statistic` is evaluated on the resamples' draw counts
    (:meth:`Statistic.resampled`: the same resamples, no resampled copies). Returns current, proposed, change
    and ``*_lo``/``*_hi`` of each. Raises ``ValueError`` for empty, unequal or non-finite samples or ``resamples < 1``.
    """
    return bootstrap_many([(current, proposed, stat)], rng, resamples, confidence, block)[0]


def bootstrap_many(samples: Sequence[tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]],
                   rng: np.random.Generator, resamples: int, confidence: float = CONFIDENCE,
                   block: int = 200) -> list[dict[str, float]]:
    """:func:`bootstrap` of several (current, proposed, statistic) triples of the same paths on one set of
    resamples: each block of ``block`` resamples is drawn once (the draws of a single triple are
    :func:`bootstrap`'s) and every statistic is evaluated on it. One dict per triple, in order.

    Raises ``ValueError`` for no triples, empty, unequal or non-finite samples, or ``resamples < 1``.
    """
    n = samples[0][0].size if samples else 0
    if n == 0 or resamples < 1 or any(a.size != n or b.size != n for a, b, _ in samples):
        raise ValueError("bootstrap: need two non-empty samples of the same paths and resamples >= 1")
    if not all(np.isfinite(a).all() and np.isfinite(b).all() for a, b, _ in samples):
        raise ValueError("bootstrap: every per-path value must be finite (a NaN or infinity has no tail)")
    draws = np.empty((len(samples), resamples, 2))
    orders = [[np.argsort(-x, kind="stable") for x in (a, b)] if isinstance(stat, Statistic) else []
              for a, b, stat in samples]
    for s in range(0, resamples, block):
        idx = rng.integers(0, n, (min(block, resamples - s), n))
        rows = slice(s, s + idx.shape[0])
        counts = None
        for i, (a, b, stat) in enumerate(samples):
            if not isinstance(stat, Statistic):
                draws[i, rows, 0], draws[i, rows, 1] = stat(a[idx]), stat(b[idx])
                continue
            if counts is None:  # how many times each resample draws each path
                flat = idx + (np.arange(idx.shape[0]) * n)[:, None]
                counts = np.bincount(flat.ravel(), minlength=flat.size).reshape(flat.shape).astype(float)
            for side, (x, order) in enumerate(zip((a, b), orders[i], strict=True)):
                draws[i, rows, side] = stat.resampled(x, counts, order)
    tail = (1.0 - confidence) / 2 * 100
    out = []
    for (a, b, stat), d in zip(samples, draws, strict=True):
        point = stat(np.stack([a, b]))
        row = {"current": float(point[0]), "proposed": float(point[1]), "change": float(point[1] - point[0])}
        for name, col in (("current", d[:, 0]), ("proposed", d[:, 1]), ("change", d[:, 1] - d[:, 0])):
            lo, hi = np.percentile(col, [tail, 100 - tail])
            row[f"{name}_lo"], row[f"{name}_hi"] = float(lo), float(hi)
        out.append(row)
    return out


def _series(outcome: CascadeOutcome, scope: int | None) -> dict[str, np.ndarray]:
    """The per-path series of one scope: the whole book (``None``) or one collateral asset's positions."""
    pa = outcome.per_asset
    if scope is None:
        drop = 1.0 - pa["min_market_rel"]
        induced = liquidation_induced_drop(pa)
        worst = np.argmax(drop, axis=1)  # the asset that fell most on each path
        rows = np.arange(drop.shape[0])
        per = outcome.per_path
        return {"bad_debt": per["bad_debt_usd"], "liquidations": per["liquidation_volume_usd"],
                "drop": drop[rows, worst], "induced": induced[rows, worst]}
    return {"bad_debt": pa["bad_debt_by_collateral_usd"][:, scope],
            "liquidations": pa["liquidation_volume_by_collateral_usd"][:, scope],
            "drop": 1.0 - pa["min_market_rel"][:, scope], "induced": liquidation_induced_drop(pa)[:, scope]}


def book_effects(book: Book, current: CascadeParams, proposed: CascadeParams, scope: int | None) -> list[dict]:
    """What the change does to the fixed book at the starting oracle prices (exact for the book, no paths).

    Rows: positions liquidatable (HF < 1) under each and their debt (USD); positions made liquidatable at
    once (HF < 1 under PROPOSED, >= 1 under CURRENT; ``current`` is None, ``change`` the count) and the debt
    they carry, positions no longer liquidatable; and borrowing capacity (collateral value × LTV, USD) and
    headroom (capacity − debt where positive, USD) under both. ``scope``: a collateral asset index, or None
    for the whole book.
    """
    prices = quantize_oracle(np.array(current.initial_prices))
    coll, debt = book.dense(len(prices))  # cross-collateral accounts count in every scope of their collaterals
    sel = np.ones(len(book), dtype=bool) if scope is None else coll[:, scope] > 0
    indebted = sel & (debt.sum(axis=1) > 0)
    hf_a, hf_b = book.health_factors(current, prices), book.health_factors(proposed, prices)
    newly = indebted & (hf_b < 1.0) & (hf_a >= 1.0)
    cured = indebted & (hf_a < 1.0) & (hf_b >= 1.0)
    debt_usd = (debt * prices).sum(axis=1)
    coll_usd = coll * prices

    def capacity(p: CascadeParams) -> tuple[float, float]:
        cap = (coll_usd * np.array([a.ltv_bps for a in p.assets]) / 1e4).sum(axis=1)
        return float(cap[sel].sum()), float(np.maximum(cap - debt_usd, 0.0)[sel].sum())

    (cap_a, head_a), (cap_b, head_b) = capacity(current), capacity(proposed)
    liq_a, liq_b = indebted & (hf_a < 1.0), indebted & (hf_b < 1.0)
    rows = [("positions_liquidatable", "Positions liquidatable at the starting prices",
             float(liq_a.sum()), float(liq_b.sum()), "count"),
            ("debt_liquidatable_usd", "Debt of positions liquidatable at the starting prices",
             float(debt_usd[liq_a].sum()), float(debt_usd[liq_b].sum()), "usd"),
            ("positions_liquidatable_at_once", "Positions made liquidatable at once by the change", None,
             float(newly.sum()), "count"),
            ("debt_liquidatable_at_once_usd", "Debt of those positions", None, float(debt_usd[newly].sum()), "usd"),
            ("positions_no_longer_liquidatable", "Positions no longer liquidatable after the change", None,
             float(cured.sum()), "count"),
            ("borrowing_capacity_usd", "Borrowing capacity (collateral value × LTV)", cap_a, cap_b, "usd"),
            ("borrowing_headroom_usd", "Borrowing headroom (capacity − debt, where positive)", head_a, head_b, "usd")]
    return [{"key": k, "label": label, "unit": unit, "current": a, "proposed": b,
             "change": b if a is None else b - a, "exact": True} for k, label, a, b, unit in rows]


# --- the run ----------------------------------------------------------------------------------------------------

@dataclass
class CompareResult:
    """A finished compare: both sides, the fixed book, the outcomes on the same paths and the tables."""

    current: Side
    proposed: Side
    book: Book
    book_source: str
    """'generated once from CURRENT (...)' or the book file"""
    outcomes: dict[str, CascadeOutcome]
    """'current'/'proposed' -> all paths; 'current_fan'/'proposed_fan' -> the first paths with series"""
    paths: int
    diff: list[dict[str, Any]]
    scopes: dict[str, list[dict[str, Any]]]
    """'Total' and each collateral asset -> metric rows (sampled with intervals, then exact book rows)"""
    notes: list[str] = field(default_factory=list)
    resamples: int = 0
    on_chain: list[dict[str, Any]] = field(default_factory=list)
    """``--verify-on-chain``: one row per replayed worst path (``chain.lab_verify.VerifiedPath.row``)"""

    def to_frame(self, table: str = "metrics", *, raw: bool = False) -> pd.DataFrame:
        """The compare as a pandas DataFrame: ``metrics`` (one row per scope — ``Total``, then each collateral
        asset — and metric: label, unit, current, proposed, change and the bootstrap interval bounds
        ``* low``/``* high``; the book's exact effects have no interval), ``parameters`` (one row per protocol
        field that differs) or ``paths`` (one row per side and path: :meth:`SimulationResult.to_frame`'s
        columns). Human units unless ``raw``: a ``share`` metric in % (x 100, unit ``%``), ``usd`` as ``USD``;
        ``raw=True`` keeps the keys and the values as computed (fractions).

        Raises ``KeyError`` for another table."""
        import pandas as pd

        from protocol_model.sim import frames

        if table == "metrics":
            rows = [{"scope": scope, **row} for scope, scope_rows in self.scopes.items() for row in scope_rows]
            return frames.compare_metrics_frame(rows, raw=raw)
        if table == "parameters":
            return pd.DataFrame(self.diff, columns=["field", "asset", "name", "current", "proposed", "modelled"])
        if table == "paths":
            assets = [a.name for a in self.current.params.assets]
            return pd.concat({side: frames.paths_frame(self.outcomes[side], assets, raw=raw)
                              for side in ("current", "proposed")}, names=["side"])
        raise KeyError(f"no table '{table}' (tables: metrics, parameters, paths)")

    def worst_paths(self, n: int = WORST_PATHS) -> dict[str, list[int]]:
        """Per side, the ``n`` paths with the most bad debt (then liquidation volume): the paths to replay."""
        out = {}
        for side in ("current", "proposed"):
            pp = self.outcomes[side].per_path
            order = np.lexsort((-pp["liquidation_volume_usd"], -pp["bad_debt_usd"]))
            out[side] = [int(i) for i in order[:n]]
        return out


def collateral_scopes(book: Book, params: CascadeParams) -> dict[str, int | None]:
    """'Total' -> None, then each collateral asset of the book (name -> asset index), in asset order."""
    scopes: dict[str, int | None] = {"Total": None}
    held = set() if book.multi is None else {int(k) for k in np.flatnonzero(book.multi.coll.sum(axis=0))}
    for i in sorted({int(c) for c in np.unique(book.coll_asset)} | held):
        scopes[params.assets[i].name] = i
    return scopes


def compare(current: Side, proposed: Side, *, book: Book | None = None, book_source: str = "",
            paths: int | None = None, fan_paths: int = 200, resamples: int = 1_000, workers: int | None = None,
            scheduler=None, progress: bool = False, notes: list[str] | None = None) -> CompareResult:
    """Run both configurations on one fixed book and the same paths; tabulate the change.

    ``book``: the book held fixed (default: generated once from CURRENT's parameters by the simulation's
    book rule). Both jobs use CURRENT's simulation seed, path count (or ``paths``), steps and chunks, so
    path ``i`` has the same prices in both runs until liquidations differ. ``fan_paths`` paths of each
    side are run again with the charts' per-step series (``FAN_SERIES``, float32). Raises ``LabSpecError`` as
    ``build_book``.
    """
    spec = current.spec
    if book is None:
        book = build_book(spec, current.params)
        book_source = book_source or (f"read from {spec.book.file}" if spec.book.file else
                                      f"generated once from CURRENT ({current.source}) by the simulation's book rule")
    n = paths or spec.paths
    jobs = {side.label: Job(side.params, side.spec.market(), book, n, spec.steps, spec.seed, spec.paths_per_chunk)
            for side in (current, proposed)}
    fan_n = min(fan_paths, n)
    if fan_n:
        for side in (current, proposed):
            jobs[f"{side.label}_fan"] = Job(side.params, side.spec.market(), book, fan_n, spec.steps, spec.seed,
                                            spec.paths_per_chunk, record_series=True, chart_series=FAN_SERIES)
    tasks, owner = [], []
    for name, job in jobs.items():
        for t in job.chunks():
            tasks.append(t)
            owner.append(name)
    parts = map_chunks(run_chunk, tasks, workers=workers, scheduler=scheduler, progress=progress,
                       label="compare")
    outcomes = {name: CascadeOutcome.concat([p for p, o in zip(parts, owner, strict=True) if o == name])
                for name in jobs}
    simulated = [a.name for a in spec.assets]
    result = CompareResult(current, proposed, book, book_source, outcomes, n,
                           parameter_diff(current.protocol, proposed.protocol, simulated), {}, list(notes or []),
                           resamples)
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 18]))
    scopes = collateral_scopes(book, current.params)
    samples = []
    for scope in scopes.values():
        a, b = _series(outcomes["current"], scope), _series(outcomes["proposed"], scope)
        samples += [(a[series], b[series], STATS[stat]) for _, _, series, stat, _ in METRICS]
    intervals = iter(bootstrap_many(samples, rng, resamples))  # one set of resamples for every metric and scope
    for name, scope in scopes.items():
        rows = [{"key": key, "label": label, "unit": unit, "exact": False, **next(intervals)}
                for key, label, _, _, unit in METRICS]
        rows += book_effects(book, current.params, proposed.params, scope)
        result.scopes[name] = rows
    return result
