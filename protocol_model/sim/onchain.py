"""Cross-check (3) support: pick lab paths (the worst and some at random) and turn them into scenarios
that ``protocol_model.chain.replay.Replay`` plays on a chain. Pure Python: no ape import here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from protocol_model.scenario.protocol import PROTOCOLS_DIR, load_protocol
from protocol_model.sim.books import Book, synthetic_book
from protocol_model.sim.cascade import quantize_oracle, run_cascade
from protocol_model.sim.config import AssetRisk, CascadeParams, OracleLag
from protocol_model.sim.exact import ExactRun, exact_keeper
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.paths import Gbm, JumpDiffusion, MarketModel
from protocol_model.sim.run import Job, job_from_spec
from protocol_model.sim.spec import LabSpecError, SimulationSpec

BORROWERS = ["alice", "bob", "carol", "dave", "erin", "frank"]
SUPPLIER, KEEPER = "grace", "heidi"


def pick_paths(outcome: CascadeOutcome, n_random: int, seed: int) -> list[int]:
    """The path with the most bad debt (ties: most liquidations), then ``n_random`` other paths.

    Path indices into ``outcome``; the random picks are drawn without replacement from ``seed``.
    """
    per = outcome.per_path
    worst = int(np.lexsort((per["liquidation_count"], per["bad_debt_usd"]))[-1])
    others = [i for i in range(outcome.n_paths) if i != worst]
    rng = np.random.default_rng(seed)
    return [worst, *map(int, rng.choice(others, size=min(n_random, len(others)), replace=False))]


@dataclass(frozen=True)
class LabReplayCase:
    """A lab run small enough to replay on chain: parameters, market, book, and its path count, step count
    and seed (cross-check (3), docs/risk_lab.md).
    """

    params: CascadeParams
    market: MarketModel
    book: Book
    n_paths: int
    n_steps: int
    seed: int
    paths_per_chunk: int | None = None
    """None: one generator seeded by ``seed`` (the default case); else the chunks of ``simulate``
    (``sim.run.Job.chunks``), so path numbers are the ones a ``simulate`` run of the same file reports."""
    names: tuple[str, ...] = tuple(BORROWERS)
    """the borrowers' account names, one per book position"""
    supplier: str = SUPPLIER
    keeper: str = KEEPER

    def run(self) -> CascadeOutcome:
        """Run the vectorized cascade with series and events recorded (the lab side of the cross-check)."""
        if self.paths_per_chunk is None:
            return run_cascade(self.params, self.book, self.market, np.random.default_rng(self.seed), self.n_paths,
                               self.n_steps, record_series=True, record_events=True)
        job = Job(self.params, self.market, self.book, self.n_paths, self.n_steps, self.seed, self.paths_per_chunk)
        return CascadeOutcome.concat([
            run_cascade(self.params, self.book, self.market, np.random.default_rng(ss), n, self.n_steps,
                        record_series=True, record_events=True) for _, ss, n in job.chunks()])

    def exact(self, outcome: CascadeOutcome, path: int) -> ExactRun:
        """Path ``path`` of ``outcome`` (its oracle series, shape (steps + 1, assets)) played by
        :func:`~protocol_model.sim.exact.exact_keeper` with the chain's named accounts.

        Raises ``ValueError`` as ``opening`` and ``AssertionError`` if the exact engine rejects a step.
        """
        return exact_keeper(self.params, self.book, outcome.series["oracle"][path], names=list(self.names),
                            supplier=self.supplier, keeper=self.keeper)

    @property
    def accounts(self) -> int:
        """Chain accounts a replay needs besides the deployer: every position, the supplier, the keeper."""
        return len(self.names) + 2


DEFAULT_PROTOCOL = PROTOCOLS_DIR / "generic.yaml"
POOL_DEPTH_USD = {"USDC": float("inf"), "WBTC": 3e5, "WETH": 2e5}
"""The default case's market: USD per side of the pools liquidators sell into (thin, so cascades happen)."""


def default_case(n_paths: int = 200, n_steps: int = 20, seed: int = 42,
                 protocol: str | Path = DEFAULT_PROTOCOL) -> LabReplayCase:
    """Six borrowers (the chain's named test accounts) on WETH/WBTC against USDC of ``protocol``, a violent
    daily market with thin pools, oracle on a 0.5% deviation rule: liquidations, full closes and bad debt
    are likely."""
    proto = load_protocol(protocol)
    assets = proto.asset_specs(list(POOL_DEPTH_USD))
    params = CascadeParams(tuple(AssetRisk.from_spec(a, POOL_DEPTH_USD[a.name]) for a in assets),
                           close_factor_bps=proto.pool.close_factor_bps,
                           full_close_hf_bps=proto.pool.full_close_hf_bps, oracle=OracleLag(0, 50, 1))
    market = MarketModel((Gbm(0.0), JumpDiffusion(1.0, 12.0, -0.12, 0.1), Gbm(1.5)),
                         ((1, 0, 0), (0, 1, 0.7), (0, 0.7, 1)))
    book = synthetic_book(np.random.default_rng(seed), params, len(BORROWERS),
                          collateral_weights={"WBTC": 1, "WETH": 2}, debt_asset="USDC",
                          utilization_beta=(8.0, 1.5)).quantized(params)
    return LabReplayCase(params, market, book, n_paths, n_steps, seed)


def simulation_case(spec: SimulationSpec, paths: int | None = None) -> LabReplayCase:
    """The user's simulation (``load_simulation``) as a replay case: its protocol's parameters, market model,
    book (rounded down to token units, as a chain holds it), steps and seed, and its paths numbered as
    ``simulate`` numbers them (``paths`` overrides the file's count). Each position's account is named
    after its book name (``p0``, ... or a story book's own names).

    Raises ``LabSpecError`` (one line) if an asset starts with protocol reserves (a chain pool starts with
    none) or a book name collides with the supplier or keeper.
    """
    reserved = [a.name for a in spec.assets if a.reserves_tokens]
    if reserved:
        raise LabSpecError(f"{spec.name}: assets.{reserved[0]}.reserves_tokens: a chain replay starts with zero "
                           "protocol reserves; set reserves_tokens to 0 to replay this simulation on chain")
    job = job_from_spec(spec, paths=paths)
    book = job.book.quantized(job.params)
    names = book.names or tuple(f"p{i}" for i in range(len(book)))
    supplier, keeper = "supplier", "keeper"
    if {supplier, keeper} & set(names):
        raise LabSpecError(f"{spec.name}: book: the account names 'supplier' and 'keeper' are the replay's own")
    return LabReplayCase(job.params, job.market, book, job.n_paths, job.n_steps, job.seed, job.paths_per_chunk,
                         tuple(names), supplier, keeper)


BAD_DEBT_REL, BAD_DEBT_UNITS = 1e-9, 4
"""Lab (float64) vs chain (integer units) bad debt per asset agree within ``BAD_DEBT_REL`` of the chain's
amount plus ``BAD_DEBT_UNITS`` token units per liquidation (tests/lab/test_engine_vs_exact.py), in the debt
asset and, converted at the starting prices, in the collateral asset (``bad_debt_tolerance``)."""


def bad_debt_tolerance(params: CascadeParams, debt: str, on_chain: int, n_events: int) -> float:
    """How far the lab's bad debt in ``debt`` (float) may sit from the chain's ``on_chain`` (token units).

    The chain rounds every repaid amount to a unit of the debt asset and every seized amount to a unit of
    the collateral; a seize-all leaves as bad debt whatever the rounded collateral did not cover, so each of
    the ``n_events`` liquidations (at least one) may move it by ``BAD_DEBT_UNITS`` debt units plus
    ``BAD_DEBT_UNITS`` units of the coarsest collateral valued in debt units at the starting prices (one
    satoshi of WBTC is about 600 units of USDC at 60,000 USD); plus ``BAD_DEBT_REL`` of the amount for
    float64. Returns debt-asset units.
    """
    d = params.index(debt)
    prices, dd = params.initial_prices, params.assets[d].decimals
    coarsest = max(prices[k] / 10**a.decimals for k, a in enumerate(params.assets) if k != d) if len(
        params.assets) > 1 else 0.0
    per_event = BAD_DEBT_UNITS * (1 + coarsest / prices[d] * 10**dd)
    return BAD_DEBT_REL * on_chain + per_event * max(1, n_events)


@dataclass(frozen=True)
class PathCheck:
    """One lab path replayed on chain: what the lab said next to what the chain did."""

    path: int
    steps: int
    lab_liquidations: int
    chain_liquidations: int
    bad_debt_lab: dict[str, float]
    """asset -> bad debt in the lab (whole tokens)"""
    bad_debt_chain: dict[str, float]
    """asset -> bad debt on chain (whole tokens)"""
    failures: tuple[str, ...]
    """every disagreement: model vs chain, an unexpected outcome, or lab vs chain"""

    @property
    def ok(self) -> bool:
        """Model == chain on every step and field, and the chain shows the lab's numbers."""
        return not self.failures


def check_path(case: LabReplayCase, lab: CascadeOutcome, path: int, results: list[Any]) -> PathCheck:
    """Compare path ``path`` of ``lab`` with its chain replay ``results`` (``chain.replay.StepResult`` list,
    snapshots kept): model == chain and as expected on every step; the chain's liquidation count equals
    the lab's; the chain's bad debt per asset (``asset.bad_debt``, token units) equals the lab's within
    :func:`bad_debt_tolerance`."""
    n_events = sum(e[0] == path for e in lab.events)
    lab_bad = {a.name: float(lab.bad_debt_tokens[path][k]) for k, a in enumerate(case.params.assets)}
    return check_replay(case.params, path, results, int(lab.per_path["liquidation_count"][path]), lab_bad, n_events)


def check_replay(params: CascadeParams, path: int, results: list[Any], lab_liquidations: int,
                 lab_bad_debt: dict[str, float], n_events: int) -> PathCheck:
    """Compare a chain replay ``results`` (``chain.replay.StepResult`` list, snapshots kept) with what the lab
    said: model == chain and as expected on every step, the chain's liquidation count equals
    ``lab_liquidations``, and its bad debt per asset (``asset.bad_debt``, token units) equals
    ``lab_bad_debt`` (asset -> whole tokens) within :func:`bad_debt_tolerance` for ``n_events`` lab
    liquidation events."""
    failures = [f"step {r.index} {r.action.describe()}: model {r.model}, chain {r.chain}, expected {r.expected} "
                f"{r.mismatches[:3]}" for r in results if r.model != r.chain or r.mismatches or r.model != r.expected]
    chain_liqs = sum(r.action.kind == "liquidate" and r.chain == "ok" for r in results)
    if chain_liqs != lab_liquidations:
        failures.append(f"liquidations: lab {lab_liquidations}, chain {chain_liqs}")
    final = results[-1].after() if results else None
    lab_bad, chain_bad = {}, {}
    for a in params.assets:
        on_chain = final.field("asset", a.name, "bad_debt") if final is not None else 0
        in_lab = lab_bad_debt.get(a.name, 0.0) * 10**a.decimals
        lab_bad[a.name], chain_bad[a.name] = in_lab / 10**a.decimals, on_chain / 10**a.decimals
        if abs(on_chain - in_lab) > bad_debt_tolerance(params, a.name, on_chain, n_events):
            failures.append(f"{a.name} bad debt: lab {in_lab:.0f}, chain {on_chain} units")
    return PathCheck(path, len(results), lab_liquidations, chain_liqs, lab_bad, chain_bad, tuple(failures))


REPLAY_POSITIONS = 6
"""Positions of a compare path replayed on chain: a chain replay holds one account per position (plus a
supplier and a keeper), and the in-process chain funds nine besides its deployer."""


@dataclass(frozen=True)
class PathReplay:
    """One path of a compare side cut down to the positions that matter on it, ready to replay on chain.

    Given the lab's oracle prices, a position's fate depends only on those prices and its own amounts (the
    liquidation selling that moved the prices is already in the oracle series), so replaying a subset of the
    book with the lab's oracle path checks those positions exactly as the whole book would.
    """

    side: str
    path: int
    positions: tuple[str, ...]
    """the replayed positions' names in the book: the most bad debt, then the most repaid, then the
    largest untouched debts"""
    params: CascadeParams
    """the side's parameters with zero starting reserves (a fresh pool has none; reserves only decide who
    absorbs bad debt, not how much there is)"""
    scenario: Any
    """the exact keeper's scenario (``sim.exact.exact_keeper``)"""
    lab_liquidations: int
    lab_bad_debt: dict[str, float]
    """asset -> the lab's bad debt on these positions (whole tokens)"""
    n_events: int


def path_replay(side: str, params: CascadeParams, market: MarketModel, book: Book, n_paths: int, n_steps: int,
                seed: int, paths_per_chunk: int, path: int, positions: int = REPLAY_POSITIONS) -> PathReplay:
    """Path ``path`` of a lab run (``sim.run.Job`` numbering: chunks of ``paths_per_chunk`` from ``seed``) on
    ``book`` rounded down to token units (debts capped at the pool's LTV line, ``Book.borrowable``), re-run
    alone with its series and events, cut down to ``positions`` positions and turned into an exact-keeper
    scenario. A position may be a cross-collateral account (``Book.multi``): it counts as one position (one chain
    account), its debts are capped as ``LendingPool``'s borrow check computes it (``MultiPositions.borrowable``),
    the exact keeper liquidates it with the project keeper's choice, and the lab's bad debt on it is attributed to
    the debt assets the engine chose (:func:`event_debt_assets`); its write-off events count as events but not
    as liquidations (the chain makes one ``liquidate`` call for them).

    Raises ``ValueError`` if ``path`` is not one of the ``n_paths`` or ``positions`` is not in 1..
    ``REPLAY_POSITIONS``, if interest accrues and the book has more borrowers than ``positions`` (a cut-down book
    would change the utilization, hence every index), for a preset's rules (``params.rules``: the contracts
    replayed are the generic pool's; a preset's replay is ``sim.onchain_presets.preset_path_replay``), and as
    :func:`~protocol_model.sim.exact.exact_keeper`; ``AssertionError`` if the bad debt attributed to the events'
    debt assets does not add up to the engine's.
    """
    if params.rules != "generic":
        raise ValueError(f"rules: the on-chain replay plays the generic pool's contracts, not rules {params.rules}")
    if not 0 <= path < n_paths:
        raise ValueError(f"path {path}: the run has paths 0..{n_paths - 1}")
    if not 1 <= positions <= REPLAY_POSITIONS:
        raise ValueError(f"positions: 1..{REPLAY_POSITIONS} positions replay on chain, got {positions}")
    params = replace(params, assets=tuple(replace(a, reserves_tokens=0.0) for a in params.assets))
    qbook = book.quantized(params).borrowable(params, quantize_oracle(np.array(params.initial_prices)))
    job = Job(params, market, qbook, n_paths, n_steps, seed, paths_per_chunk)
    start = 0
    chunks = job.chunks()
    for _, ss, n in chunks:  # noqa: B007 (the chunk holding ``path`` is used after the loop)
        if path < start + n:
            break
        start += n
    lab = run_cascade(params, qbook, market, np.random.default_rng(ss), n, n_steps, record_series=True,
                      record_events=True)
    local = path - start
    events = [e for e in lab.events if e[0] == local]
    bad = np.zeros(len(qbook))
    repaid = np.zeros(len(qbook))
    for _, _, q, rep, _, _, b in events:
        bad[q] += b
        repaid[q] += rep
    coll, debt = qbook.dense(len(params.assets))
    debt_usd = debt @ np.array(params.initial_prices)
    order = np.lexsort((-debt_usd, -repaid, -bad))
    chosen = sorted(int(i) for i in order[:positions] if debt_usd[i] > 0)
    borrowers = int((debt_usd > 0).sum())
    if params.accrues and len(chosen) < borrowers:
        raise ValueError(f"interest: path {path} needs all {borrowers} borrowers replayed "
                         f"(interest depends on every borrower's debt through utilization), at most {positions}")
    sub = qbook.subset(chosen)
    run = exact_keeper(params, sub, lab.series["oracle"][local], names=list(sub.all_names))
    index = lab.series["borrow_index"][local] if params.accrues else None
    legs = event_debt_assets(qbook, events, lab.series["oracle"][local], index)
    lab_bad = {a.name: 0.0 for a in params.assets}
    every = np.zeros(len(params.assets))
    for e, d in zip(events, legs, strict=True):
        every[d] += e[6]
        if e[2] in set(chosen):
            lab_bad[params.assets[d].name] += e[6]
    if not np.allclose(every, lab.bad_debt_tokens[local], rtol=1e-9, atol=1e-12):
        raise AssertionError(f"path {path}: bad debt by the events' debt assets {every.tolist()} differs from the "
                             f"engine's {lab.bad_debt_tokens[local].tolist()}")
    mine = [e for e in events if e[2] in set(chosen)]
    liquidations = len({(e[1], e[2]) for e in mine})  # a write-off event shares its liquidation's (step, position)
    return PathReplay(side, path, sub.all_names, params, run.scenario, liquidations, lab_bad, len(mine))


def event_debt_assets(book: Book, events: list, oracle: np.ndarray, borrow_index: np.ndarray | None = None
                      ) -> list[int]:
    """The debt asset of each lab event of one path (``events`` in the engine's order, ``(path, step, position,
    repaid, seized, fee, bad)``): a pair's own; for a cross-collateral account, as ``sim.multi_collateral``
    chose it — the liquidation (the account's first event of a step) repays the debt with the largest value at
    ``oracle[step]`` ((steps + 1, assets) USD; ties: the first listed), and the write-off events after it take the
    account's other remaining debts in asset order. The account's debts are tracked from the book through the
    events with the engine's own float operations (scaled by ``borrow_index[step]``, (steps + 1, assets), when
    interest accrues), so the choice is the engine's. Returns asset indices, one per event.
    """
    K = oracle.shape[1]
    owed: dict[int, np.ndarray] = {}
    pending: list[int] = []
    out, last = [], None
    for _, t, q, rep, _, _, b in events:
        if q < book.n_pairs:
            out.append(int(book.debt_asset[q]))
            continue
        assert book.multi is not None
        row = owed.setdefault(q, book.multi.debt[q - book.n_pairs].copy())
        bidx = borrow_index[t] if borrow_index is not None else np.ones(K)
        if (t, q) == last:  # a write-off of another debt (the account has no collateral left)
            k = pending.pop(0)
            row[k] = 0.0
            out.append(k)
            continue
        last = (t, q)
        amount = row * bidx
        d = int(np.argmax(amount * oracle[t]))
        row[d] = (amount[d] - rep) / bidx[d]
        pending = [k for k in range(K) if k != d and amount[k] > 0]
        if b > 0:
            row[d] = 0.0
        out.append(d)
    return out
