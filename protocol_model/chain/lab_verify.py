"""Lab paths replayed through the contracts: compare's ``--verify-on-chain`` (the worst paths of both
configurations) and optimise's check of its recommendations (the worst paths of each chosen point).

For each side, the ``WORST_PATHS`` paths with the most bad debt become exact-keeper scenarios
(``sim.onchain.path_replay``: the path re-run alone, the positions that matter on it, the lab's oracle prices
and a keeper's ``liquidate max`` calls), deployed on a fresh in-process chain (revm, the same bytecode
``ape compile`` produces) and replayed with the exact model beside it: every field must agree to the wei
after every step, and the chain must show the lab's liquidation count and bad debt for those positions.

A preset simulation (``rules: aave-v3`` / ``morpho-blue``) replays on the real protocol instead: the path's
positions in the exact preset twin (``sim.onchain_presets.preset_path_replay``), every call of its keeper sent to
Aave V3 1.19.3 or Morpho Blue 1.0.0 bytecode on the in-process chain (``chain.lab_verify_presets``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.lab_verify_presets import verify_preset
from protocol_model.chain.replay import Replay
from protocol_model.scenario.protocol import ProtocolFile
from protocol_model.sim.compare import CompareResult
from protocol_model.sim.onchain import REPLAY_POSITIONS, PathCheck, PathReplay, check_replay, path_replay
from protocol_model.sim.onchain_presets import PresetReplay, preset_path_replay
from protocol_model.sim.optimise import OptimisationResult, chosen_case, worst_paths


@dataclass(frozen=True)
class VerifiedPath:
    """One replayed path: what was replayed and how the chain compared."""

    replay: PathReplay | PresetReplay
    check: PathCheck

    def row(self) -> dict:
        """The report's row (JSON-ready): side, path, the protocol replayed on (``generic``, ``aave-v3``,
        ``morpho-blue``), positions, steps, liquidations and bad debt (lab and chain, whole tokens), and whether
        everything agreed."""
        c = self.check
        protocol = self.replay.rules if isinstance(self.replay, PresetReplay) else "generic"
        return {"side": self.replay.side, "path": self.replay.path, "protocol": protocol,
                "positions": list(self.replay.positions),
                "steps": c.steps, "lab_liquidations": c.lab_liquidations, "chain_liquidations": c.chain_liquidations,
                "bad_debt_lab": c.bad_debt_lab, "bad_debt_chain": c.bad_debt_chain, "ok": c.ok,
                "failures": list(c.failures)}


def replays(result: CompareResult, per_side: int, positions: int = REPLAY_POSITIONS
            ) -> Iterator[PathReplay | PresetReplay]:
    """The ``per_side`` worst paths of each side of ``result`` as ``PathReplay`` cases (its fixed book, its
    paths numbered as the compare numbered them); ``PresetReplay`` cases on a side whose protocol is a preset."""
    spec = result.current.spec
    for side_name, picks in result.worst_paths(per_side).items():
        side = result.current if side_name == "current" else result.proposed
        for p in picks:
            if side.params.rules != "generic":
                yield preset_path_replay(side_name, side.protocol, side.params, side.spec.market(), result.book,
                                         result.paths, spec.steps, spec.seed, spec.paths_per_chunk, p, positions)
                continue
            yield path_replay(side_name, side.params, side.spec.market(), result.book, result.paths, spec.steps,
                              spec.seed, spec.paths_per_chunk, p, positions)


def verify(replay: PathReplay | PresetReplay) -> VerifiedPath:
    """Deploy ``replay``'s scenario on a fresh in-process chain and play it with the model beside it (a preset's
    on its real protocol: ``chain.lab_verify_presets.verify_preset``)."""
    if isinstance(replay, PresetReplay):
        return VerifiedPath(replay, verify_preset(replay))
    world = deploy_in_process(replay.scenario)
    results = Replay.start(replay.scenario, world).run()
    return VerifiedPath(replay, check_replay(replay.params, replay.path, results, replay.lab_liquidations,
                                             replay.lab_bad_debt, replay.n_events))


def verify_worst_paths(result: CompareResult, per_side: int, positions: int = REPLAY_POSITIONS) -> list[VerifiedPath]:
    """Every worst path of both sides of ``result`` replayed on chain (:func:`replays`, :func:`verify`)."""
    return [verify(r) for r in replays(result, per_side, positions)]


def recommendation_replays(result: OptimisationResult, positions: int = REPLAY_POSITIONS,
                           protocol: ProtocolFile | None = None) -> Iterator[PathReplay | PresetReplay]:
    """The ``verify_paths`` worst paths of each recommended point of ``result`` as ``PathReplay`` cases (the
    point's parameters and book, the simulation's paths), labelled by profile. A preset simulation's become
    ``PresetReplay`` cases on ``protocol`` (the simulation's, ``sim.onchain_presets.simulation_protocol``) with
    the point's parameters written in; raises ``ValueError`` if it is not given."""
    market = result.simulation.market()
    if result.simulation.rules != "generic" and protocol is None:
        raise ValueError(f"rules: {result.simulation.rules}: the replay needs the simulation's protocol file")
    for profile, e in result.chosen.items():
        if e is None:
            continue
        params, book, job = chosen_case(result, e)
        for p in worst_paths(e, result.spec.verify_paths):
            if protocol is not None and params.rules != "generic":
                yield preset_path_replay(profile, protocol, params, market, book, job.n_paths, job.n_steps,
                                         job.seed, job.paths_per_chunk, p, positions)
                continue
            yield path_replay(profile, params, market, book, job.n_paths, job.n_steps, job.seed,
                              job.paths_per_chunk, p, positions)
