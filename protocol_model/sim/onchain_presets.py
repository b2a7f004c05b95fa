"""Lab paths of a preset simulation (``rules: aave-v3`` / ``morpho-blue``) cut down for a replay on the real protocol.

The counterpart of ``sim.onchain.path_replay`` for presets: the path is re-run alone in the lab with its series and
events, the positions that matter on it are kept (the most bad debt, then the most repaid, then the largest
debts), and the lab's oracle prices drive the exact preset twin (``sim.exact_presets.preset_keeper``): its calls
are what ``chain.lab_verify_presets`` replays on Aave V3 1.19.3 or Morpho Blue 1.0.0 bytecode, with a fresh twin
beside the chain. :func:`check_preset_replay` then judges a replay three ways:

* twin == chain: the same outcome for every call and every observable equal to the wei after every call;
* the chain's own numbers == the twin's: liquidations made and bad debt per asset, to the unit;
* the lab == the twin within the lab's documented tolerance: the same liquidations (step, position) in the same
  order, and the bad debt per asset within ``sim.onchain.bad_debt_tolerance`` (docs/risk_lab.md).

With the lab's oracle prices given, a position's fate depends only on those prices and its own amounts (no
interest: the preset rules refuse it; no keeper economics), so a subset of the book replays exactly as the book.
Pure Python: no chain import here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.protocol import ProtocolFile, referred_protocol
from protocol_model.sim.books import Book
from protocol_model.sim.cascade import quantize_oracle, run_cascade
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.exact_presets import PresetRun, preset_keeper
from protocol_model.sim.onchain import REPLAY_POSITIONS, PathCheck, bad_debt_tolerance
from protocol_model.sim.paths import MarketModel
from protocol_model.sim.run import Job


@dataclass(frozen=True)
class PresetReplay:
    """One path of a preset simulation cut down to the positions that matter on it, played in the exact twin,
    ready to replay on the real protocol (``chain.lab_verify_presets.verify_preset``)."""

    side: str
    path: int
    positions: tuple[str, ...]
    """the replayed positions' names in the book"""
    params: CascadeParams
    protocol: ProtocolFile
    """the protocol with the lab's risk parameters written in (:func:`preset_protocol`)"""
    run: PresetRun
    """the exact twin's play of the path: its calls, liquidations and bad debt"""
    lab_events: tuple[tuple[int, int], ...]
    """the lab's liquidations on these positions in order: (step, index among ``positions``)"""
    lab_liquidations: int
    lab_bad_debt: dict[str, float]
    """asset -> the lab's bad debt on these positions (whole tokens)"""
    n_events: int

    @property
    def rules(self) -> str:
        """``aave-v3`` or ``morpho-blue``."""
        return self.protocol.rules


def check_replayable(params: CascadeParams) -> None:
    """Raise ValueError (one line naming the field) when a preset simulation's paths cannot replay on the real
    protocol: keeper economics (``liquidators``: gas, minimum profit, capital) are not replayed by the preset
    keeper. A generic simulation passes (its replay is ``sim.onchain.path_replay``)."""
    if params.rules != "generic" and (params.liquidators.filters_profit or params.liquidators.limited):
        raise ValueError(f"liquidators: rules {params.rules} replay on chain with a keeper that takes every "
                         f"liquidation; remove the gas / minimum profit / capital settings to replay this simulation")


def simulation_protocol(simulation: str | Path) -> ProtocolFile:
    """The protocol a simulation file names, with the file's ``overrides`` applied (what its lab run used).
    Raises ScenarioError as ``scenario.protocol.referred_protocol``."""
    _, data = read_kind(simulation, "simulation")
    return referred_protocol(data, simulation)


def preset_protocol(protocol: ProtocolFile, params: CascadeParams) -> ProtocolFile:
    """``protocol`` with the lab's risk parameters of each simulated asset written in (what an optimiser's point or
    a sweep cell changes): Aave V3 reserves get the asset's LTV, liquidation threshold, bonus and protocol fee;
    a Morpho Blue market lending a simulated asset against a simulated collateral gets the collateral's threshold
    as its LLTV. Fields the lab does not read are the protocol's. Raises ValueError for a generic protocol."""
    by_name = {a.name: a for a in params.assets}
    if protocol.aave_v3 is not None:
        reserves = dict(protocol.aave_v3.reserves)
        for n, a in by_name.items():
            reserves[n] = reserves[n].model_copy(update={
                "ltv_bps": a.ltv_bps, "liquidation_threshold_bps": a.liquidation_threshold_bps,
                "liquidation_bonus_bps": a.liquidation_bonus_bps,
                "liquidation_protocol_fee_bps": a.liquidation_protocol_fee_bps})
        return protocol.model_copy(update={"aave_v3": protocol.aave_v3.model_copy(update={"reserves": reserves})})
    if protocol.morpho is not None:
        markets = {name: m.model_copy(update={"lltv_bps": by_name[m.collateral_token].liquidation_threshold_bps})
                   if m.collateral_token in by_name and m.loan_token in by_name else m
                   for name, m in protocol.morpho.markets.items()}
        return protocol.model_copy(update={"morpho": protocol.morpho.model_copy(update={"markets": markets})})
    raise ValueError(f"rules: {protocol.name} is a generic protocol (its replay is sim.onchain.path_replay)")


def _lab_path(params: CascadeParams, market: MarketModel, book: Book, n_steps: int, job: Job, path: int):
    """Path ``path`` of ``job`` re-run alone (its chunk's generator): the outcome and the path's index in it."""
    sizes = [n for _, _, n in job.chunks()]
    k = int(np.searchsorted(np.cumsum(sizes), path, side="right"))
    _, ss, n = job.chunks()[k]
    lab = run_cascade(params, book, market, np.random.default_rng(ss), n, n_steps, record_series=True,
                      record_events=True)
    return lab, path - sum(sizes[:k])


def preset_path_replay(side: str, protocol: ProtocolFile, params: CascadeParams, market: MarketModel, book: Book,
                       n_paths: int, n_steps: int, seed: int, paths_per_chunk: int, path: int,
                       positions: int = REPLAY_POSITIONS) -> PresetReplay:
    """Path ``path`` of a preset lab run (``sim.run.Job`` numbering) on ``book`` rounded down to token units (debts
    capped at the LTV line, ``Book.borrowable``), re-run alone, cut down to ``positions`` positions and played in
    the exact twin of ``protocol`` (with ``params``' risk parameters, :func:`preset_protocol`).

    Raises ``ValueError`` if ``params.rules`` is generic or not the protocol's, ``path`` is not one of the
    ``n_paths``, ``positions`` is not in 1..``REPLAY_POSITIONS``, the book has cross-collateral accounts, and as
    :func:`~protocol_model.sim.exact_presets.preset_keeper` (keeper economics are not replayed);
    ``AssertionError`` if the twin refuses a call the keeper chose.
    """
    if params.rules == "generic" or params.rules != protocol.rules:
        raise ValueError(f"rules: a preset replay needs the protocol's preset rules (protocol {protocol.rules}, "
                         f"lab {params.rules}); a generic simulation replays through sim.onchain.path_replay")
    if not 0 <= path < n_paths:
        raise ValueError(f"path {path}: the run has paths 0..{n_paths - 1}")
    if not 1 <= positions <= REPLAY_POSITIONS:
        raise ValueError(f"positions: 1..{REPLAY_POSITIONS} positions replay on chain, got {positions}")
    qbook = book.quantized(params).borrowable(params, quantize_oracle(np.array(params.initial_prices)))
    lab, local = _lab_path(params, market, qbook, n_steps, Job(params, market, qbook, n_paths, n_steps, seed,
                                                                paths_per_chunk), path)
    events = [e for e in lab.events if e[0] == local]
    bad, repaid = np.zeros(len(qbook)), np.zeros(len(qbook))
    for e in events:
        bad[e[2]] += e[6]
        repaid[e[2]] += e[3]
    debt_usd = qbook.debt_tokens * np.array(params.initial_prices)[qbook.debt_asset]
    chosen = sorted(int(i) for i in np.lexsort((-debt_usd, -repaid, -bad))[:positions] if debt_usd[i] > 0)
    names = qbook.names or tuple(f"p{i}" for i in range(len(qbook)))
    sub = Book.sorted(qbook.coll_asset[chosen], qbook.debt_asset[chosen], qbook.coll_tokens[chosen],
                      qbook.debt_tokens[chosen], tuple(names[i] for i in chosen))
    proto = preset_protocol(protocol, params)
    run = preset_keeper(proto, params, sub, lab.series["oracle"][local])
    at = {q: j for j, q in enumerate(chosen)}
    mine = [e for e in events if e[2] in at]
    lab_bad = {a.name: 0.0 for a in params.assets}
    for e in mine:
        lab_bad[params.assets[int(qbook.debt_asset[e[2]])].name] += e[6]
    return PresetReplay(side, path, sub.names, params, proto, run, tuple((int(e[1]), at[e[2]]) for e in mine),
                        len(mine), lab_bad, len(mine))


def check_preset_replay(replay: PresetReplay, steps: list[tuple[str, str, str, str, tuple]], chain_liquidations: int,
                        chain_bad_units: dict[str, int]) -> PathCheck:
    """Judge a chain replay of ``replay`` (module docstring). ``steps``: per call (description, twin outcome, chain
    outcome, the keeper's twin outcome, the observables that differ); ``chain_liquidations``: liquidations that
    passed on chain; ``chain_bad_units``: asset -> bad debt read from the chain (token units). Returns the
    ``PathCheck`` (lab and chain bad debt in whole tokens) listing every disagreement."""
    run, params = replay.run, replay.params
    failures = [f"step {i} {what}: model {model}, chain {chain}, expected {expected} {list(diff)[:3]}"
                for i, (what, model, chain, expected, diff) in enumerate(steps)
                if model != chain or diff or model != expected]
    if len(steps) != len(run.calls):
        failures.append(f"calls: the twin made {len(run.calls)}, the chain replay {len(steps)}")
    if chain_liquidations != len(run.events):
        failures.append(f"liquidations: twin {len(run.events)}, chain {chain_liquidations}")
    twin_events = tuple((t, i) for t, i, *_ in run.events)
    if twin_events != replay.lab_events:
        failures.append(f"liquidations: lab (step, position) {list(replay.lab_events)[:6]}, twin "
                        f"{list(twin_events)[:6]}")
    if chain_liquidations != replay.lab_liquidations:
        failures.append(f"liquidations: lab {replay.lab_liquidations}, chain {chain_liquidations}")
    lab_bad, chain_bad = {}, {}
    for a in params.assets:
        on_chain, in_lab = chain_bad_units.get(a.name, 0), replay.lab_bad_debt.get(a.name, 0.0) * 10**a.decimals
        lab_bad[a.name], chain_bad[a.name] = in_lab / 10**a.decimals, on_chain / 10**a.decimals
        if on_chain != run.bad_debt_units.get(a.name, 0):
            failures.append(f"{a.name} bad debt: twin {run.bad_debt_units.get(a.name, 0)}, chain {on_chain} units")
        if abs(on_chain - in_lab) > bad_debt_tolerance(params, a.name, on_chain, replay.n_events):
            failures.append(f"{a.name} bad debt: lab {in_lab:.0f}, chain {on_chain} units")
    return PathCheck(replay.path, len(steps), replay.lab_liquidations, chain_liquidations, lab_bad, chain_bad,
                     tuple(failures))
