"""Deploy-and-open and play a scenario's path on chain and in the exact model, with a keeper.

The report is JSON lines written (and flushed) as the run goes, so a chain that dies mid-run leaves
every step already done plus one ``error`` line that says what happened.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import Account
from protocol_model.chain.faults import ChainFault, reason_of
from protocol_model.chain.record import scenario_signers
from protocol_model.chain.replay import Replay, StepResult
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.scenario.story import Scenario, ScenarioError, load_scenario
from protocol_model.world.keeper import decide, liquidatable
from protocol_model.world.model_world import Action, ModelWorld, resolve
from protocol_model.world.positions import opening_actions, path_actions


class ChainDied(ChainFault):
    """The chain stopped answering during a run."""


def preflight(scenario: Scenario, source: str = "scenario") -> None:
    """Open every position in the model alone before anything is deployed: an opening position the pool
    would reject is a bad scenario, reported with the field that holds it."""
    world = ModelWorld(scenario, {a.name: 0 for a in scenario.assets})
    for t, (where, action) in enumerate(opening_actions(scenario), start=1):
        outcome = world.apply(action, t)
        if outcome != "ok":
            raise ScenarioError(f"{source}: {where}: the pool rejects this opening position ({outcome})")


def load_checked(path: str | Path, test_accounts: Any) -> tuple[Scenario, dict[str, Account]]:
    """The story at ``path``, its opening positions checked in the model (:func:`preflight`), and its
    accounts mapped to the network's test accounts (``record.scenario_signers``) — what ``deploy`` and
    ``play`` check before touching a chain. Raises ``ScenarioError`` (one line)."""
    scenario = load_scenario(path)
    preflight(scenario, str(path))
    return scenario, scenario_signers(scenario, test_accounts)


def open_positions(replay: Replay, scenario: Scenario) -> list[StepResult]:
    """Open every position on both twins; each must succeed and agree."""
    results = []
    for where, action in opening_actions(scenario):
        r = replay.step(action)
        if not r.agrees or r.model != "ok":
            raise AssertionError(f"{where}: {action.describe()} model={r.model} chain={r.chain} {r.mismatches[:5]}")
        results.append(r)
    return results


def hf_text(value: int) -> str:
    """A health factor (WAD) for the report: 'inf' for no debt, else six decimals."""
    return "inf" if value == UINT256_MAX else f"{value / WAD:.6f}"


@dataclass
class Report:
    """JSON-lines report; every record is flushed at once, into a temporary file beside ``path`` that
    :meth:`close` renames into place (``os.replace``): an interrupted run (:meth:`discard`) leaves no half report
    and the previous report at ``path`` whole."""

    stream: IO[str]
    records: list[dict] = field(default_factory=list)
    path: Path | None = None
    """the report's file (None: ``stream`` is written directly)"""
    partial: Path | None = None
    """the temporary file ``stream`` writes until :meth:`close`"""

    @classmethod
    def open(cls, path: str | Path) -> Report:
        """A report for ``path`` (parent folders created; an existing file is replaced only by :meth:`close`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-{os.getpid()}-")
        return cls(os.fdopen(fd, "w", encoding="utf-8"), path=path, partial=Path(partial))

    def write(self, event: str, **data: Any) -> None:
        """Append one record ``{event, **data}`` and flush it."""
        record = {"event": event, **data}
        self.records.append(record)
        self.stream.write(json.dumps(record, default=str) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Close the stream and put the report in place (a second call does nothing)."""
        self.stream.close()
        if self.partial is not None and self.path is not None:
            os.replace(self.partial, self.path)
            self.partial = None

    def discard(self) -> None:
        """Close the stream and drop the temporary file: ``path`` keeps what it held (an interrupted run)."""
        self.stream.close()
        if self.partial is not None:
            self.partial.unlink(missing_ok=True)
            self.partial = None


def _alive(world: Any) -> bool:
    """True when the world's chain still answers."""
    try:
        world.driver.now()
        return True
    except Exception:  # noqa: BLE001 - any failure to answer means the chain is gone
        return False


@dataclass
class Player:
    """Plays a scenario's steps, then its price path with a keeper, on a replay; writes every step and
    point to the report and collects failures (disagreements, unexpected outcomes, failed checks)."""

    scenario: Scenario
    replay: Replay
    report: Report
    failures: list[str] = field(default_factory=list)

    def step(self, action: Action, phase: str, expected: str = "ok", point: int | None = None) -> StepResult:
        """One step on both twins, reported. Raises ChainDied when the chain stopped answering (any other
        error, or an AssertionError, propagates as is)."""
        try:
            r = self.replay.step(action, expected)
        except Exception as err:
            if isinstance(err, AssertionError) or _alive(self.replay.chain):
                raise
            done = len(self.replay.results)
            raise ChainDied(f"the chain stopped answering during {phase} (step {done}, {action.describe()}): "
                            f"{reason_of(err)}. The report keeps the {done} steps already done.") from None
        hfs = {a: hf_text(r.after().field("account", a, "health_factor_wad")) for a in self.replay.model.account_names}
        self.report.write("step", phase=phase, index=r.index, point=point, action=action.describe(),
                          time=self.replay.now, expected=expected, model=r.model, chain=r.chain, agrees=r.agrees,
                          mismatches=r.mismatches[:10], health_factors=hfs)
        if not r.agrees:
            self.failures.append(f"step {r.index} {action.describe()}: model={r.model} chain={r.chain} "
                                 f"{r.mismatches[:3]}")
        elif not r.as_expected:
            self.failures.append(f"step {r.index} {action.describe()}: expected {expected}, got {r.model}")
        return r

    def run_steps(self) -> None:
        """The scenario's steps, each with its stated outcome."""
        for step in self.scenario.steps:
            self.step(resolve(step, self.scenario), "steps", step.expect)

    def run_keeper(self, point: int) -> list[str]:
        """The keeper liquidates, one call a second, every account the model says is liquidatable (up to
        its per-point limit); the accounts liquidated."""
        keeper = self.scenario.keeper
        if keeper is None:
            return []
        accounts = [a for a in self.replay.model.account_names if a != keeper.account]
        done: list[str] = []
        stuck: set[str] = set()
        while len(done) < keeper.max_liquidations_per_point:
            todo = [a for a in liquidatable(self.replay.model.pool, accounts, self.replay.now + 1) if a not in stuck]
            if not todo:
                break
            decision = decide(self.replay.model.pool, keeper.account, todo[0], self.replay.now + 1)
            if decision is None or decision.action is None:
                stuck.add(todo[0])
                self.report.write("keeper_skip", point=point, borrower=todo[0],
                                  reason=decision.reason if decision else "healthy")
                continue
            r = self.step(decision.action, "keeper", "ok", point)
            if r.model != "ok":
                stuck.add(todo[0])
            else:
                done.append(todo[0])
        return done

    def run_path(self) -> None:
        """Every price-path point: its price steps, the keeper, the point's checks."""
        model = self.replay.model
        for i, point in enumerate(self.scenario.path):
            bad_before = {n: model.pool.assets[n].state.bad_debt for n in model.asset_names}
            for action in path_actions(self.scenario, i):
                self.step(action, "path", "ok", i)
            liquidated = self.run_keeper(i)
            bad_assets = [n for n in model.asset_names if model.pool.assets[n].state.bad_debt > bad_before[n]]
            checks = [self._check(c, liquidated, bad_assets) for c in self.scenario.checks if c.at == i]
            self.report.write("point", point=i, label=point.label, time=self.replay.now,
                              liquidated=sorted(set(liquidated)), bad_debt_assets=bad_assets, checks=checks)
            self.failures += [f"checks at point {i}: {c['detail']}" for c in checks if not c["ok"]]

    def _check(self, check: Any, liquidated: list[str], bad_assets: list[str]) -> dict:
        pool, now = self.replay.model.pool, self.replay.now
        still = set(liquidatable(pool, self.replay.model.account_names, now))
        problems = []
        if check.liquidated is not None and set(check.liquidated) != set(liquidated):
            problems.append(f"liquidated {sorted(set(liquidated))}, expected {sorted(check.liquidated)}")
        for a in check.healthy or []:
            if a in still:
                problems.append(f"{a} is not healthy")
        for a in check.liquidatable or []:
            if a not in still:
                problems.append(f"{a} is not liquidatable")
        if check.bad_debt_assets is not None and set(check.bad_debt_assets) != set(bad_assets):
            problems.append(f"bad debt in {bad_assets}, expected {sorted(check.bad_debt_assets)}")
        return {"check": check.model_dump(exclude_none=True), "ok": not problems, "detail": "; ".join(problems)}

    def run(self) -> bool:
        """Steps, then the path; returns True when everything agreed and every check held."""
        try:
            self.run_steps()
            self.run_path()
        except ChainDied as err:
            self.report.write("error", message=str(err))
            raise
        self.report.write("end", steps=len(self.replay.results), mismatches=self.replay.mismatches,
                          failures=self.failures, ok=not self.failures)
        return not self.failures


def deploy_and_open(scenario: Scenario, project: Any, deployer: Account, signers: dict[str, Account]) -> Replay:
    """Deploy the scenario's world and open its positions on both twins (model == chain checked)."""
    world = ChainWorld.deploy(scenario, project, deployer, signers)
    replay = Replay.start(scenario, world)
    open_positions(replay, scenario)
    return replay
