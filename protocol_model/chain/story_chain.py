"""Play a story on a chain with the model cross-check after every step (``ape run demo``,
``protocol-model story FILE --chain`` and the crosscheck tests share this).

The story's own account names, in file order, play the provider's test accounts 1, 2, ... (account 0
deploys); a story with more accounts than the chain offers is a one-line ``ScenarioError``.
``play_on_local_chain`` starts its own anvil (ape's foundry provider, on a free loopback port, with the
anvil binary of ``node_modules`` when present) and stops it when the story is done.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from protocol_model.chain.driver import ChainDriver
from protocol_model.chain.record import scenario_signers
from protocol_model.chain.replay import Replay, StepResult
from protocol_model.scenario.perp import PerpScenario
from protocol_model.scenario.story import Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[2]
"""The project root: its contracts, ape-config.yaml and node_modules."""
ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin"
"""Where ``npm ci`` puts the anvil binary."""
LOCAL_NETWORK = "ethereum:local:foundry"
"""ape's network choice for a local anvil it starts and stops itself (``host: auto``: a free port)."""


PROTOCOL_CONTRACTS = ("LendingPool", "PriceRouter", "PoolLens", "MockERC20", "KinkedRateModel", "MockAggregator")
"""The contracts a lending protocol's deployment needs (``chain.adapter.ChainWorld.deploy``)."""


def protocol_project(user_project: Any) -> Any:
    """The ape project a protocol is deployed from in someone else's ape project: ``user_project`` when it has
    every contract of :data:`PROTOCOL_CONTRACTS`, else a project over the package's bundled artifacts
    (``ape.Project.from_manifest(protocol_model.data.artifacts_manifest())``).

    Raises ``FileNotFoundError`` when the bundled artifacts are missing (a checkout not compiled: ``make setup``),
    ``ScenarioError`` when ``user_project`` compiles a ``LendingPool`` (a fork of the pool) but not every other
    contract of :data:`PROTOCOL_CONTRACTS`: the fork would otherwise be passed over in silence.
    """
    names = set(user_project.contracts) if user_project is not None else set()
    if names.issuperset(PROTOCOL_CONTRACTS):
        return user_project
    if "LendingPool" in names:
        missing = ", ".join(c for c in PROTOCOL_CONTRACTS if c not in names)
        raise ScenarioError(f"{getattr(user_project, 'path', 'ape project')}: contracts: LendingPool is compiled here "
                            f"but not {missing}; the protocol is deployed from this project only when it has all of "
                            f"{', '.join(PROTOCOL_CONTRACTS)} (the package's contracts/ folder, "
                            "protocol_model.data.path('contracts')), else from the package's bundled artifacts")
    from ape import Project

    from protocol_model.data import artifacts_manifest

    return Project.from_manifest(artifacts_manifest())


def deploy_story(scenario: Scenario | PerpScenario, project: Any, test_accounts: Any,
                 driver: ChainDriver | None = None) -> Any:
    """Deploy ``scenario`` on the connected chain: a perp story as a ``PerpChainWorld``, any other story as
    a ``ChainWorld``. ``test_accounts``: the provider's funded accounts (index 0 deploys, the story's
    accounts take 1, 2, ... in file order). Raises ``ScenarioError`` if the story has more accounts than
    the chain offers besides the deployer."""
    from protocol_model.chain.adapter import ChainWorld
    from protocol_model.chain.perp_adapter import PerpChainWorld

    funded = list(test_accounts)
    signers = scenario_signers(scenario, funded)
    if isinstance(scenario, PerpScenario):
        return PerpChainWorld.deploy(scenario, project, funded[0], signers, driver)
    return ChainWorld.deploy(scenario, project, funded[0], signers, driver)


def crosscheck_line(replay: Replay) -> str:
    """The summary line every chain command prints: sequences, operations and model/chain mismatches."""
    return f"crosscheck: 1 sequences, {len(replay.results)} operations, {replay.mismatches} mismatches"


def failures(replay: Replay) -> list[StepResult]:
    """The steps where model and chain disagree (outcome or any field) or the outcome is not the file's."""
    return [r for r in replay.results if not r.agrees or not r.as_expected]


def report_lines(replay: Replay) -> tuple[list[str], bool]:
    """One line per step (index, step kind, model and chain outcomes, fields equal, the file's
    expectation when it differs), then the cross-check line. Returns (lines, True when every step agreed
    and was what the file expects)."""
    lines = []
    for r in replay.results:
        mark = "fields equal" if not r.mismatches else f"FIELDS DIFFER {r.mismatches[:3]}"
        if not r.as_expected:
            mark += f"; file expects {r.expected}"
        lines.append(f"{r.index:3d} {r.action.kind:<16} model {r.model:<24} chain {r.chain:<24} {mark}")
    lines.append(f"{replay.scenario.name}: {crosscheck_line(replay)}")
    return lines, not failures(replay)


def anvil_on_path() -> None:
    """Put ``ANVIL_BIN`` (the npm package's anvil) first on ``PATH`` when it exists and is not there yet."""
    if ANVIL_BIN.is_dir() and str(ANVIL_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{ANVIL_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def package_project() -> Any:
    """This package's ape project: in a checkout (``ROOT`` has ``ape-config.yaml``) the one compiled from
    ``ROOT``; installed from the wheel (``ROOT`` is then site-packages), a project over the bundled artifacts
    (:func:`protocol_project`). Raises ``FileNotFoundError`` as :func:`protocol_project`."""
    from ape import Project

    return Project(ROOT) if (ROOT / "ape-config.yaml").is_file() else protocol_project(None)


def require_anvil() -> None:
    """Raise ``FileNotFoundError`` (one line: what to put on ``PATH``) when no ``anvil`` can be started: neither
    ``ANVIL_BIN`` (a checkout after ``make setup``) nor an ``anvil`` on ``PATH``."""
    anvil_on_path()
    if shutil.which("anvil") is None:
        raise FileNotFoundError("anvil: not found on PATH; put the bin/ folder of the npm package "
                                "@foundry-rs/anvil-linux-amd64 there (a checkout after `make setup` has it under "
                                "node_modules/), or install Foundry's anvil")


@contextmanager
def local_chain() -> Iterator[Any]:
    """Start an anvil on a free loopback port through ape's foundry provider (``host: auto`` whatever the
    current folder's ape-config says), yield this package's ape ``Project`` (:func:`package_project`), and stop
    anvil on exit (whatever the body raised). Puts ``ANVIL_BIN`` first on ``PATH`` when it exists; raises
    ``FileNotFoundError`` when there is no anvil (:func:`require_anvil`)."""
    require_anvil()
    from ape import networks
    from ape.logging import LogLevel, logger

    logger.set_level(LogLevel.WARNING)  # no per-transaction lines: the caller prints the story's steps
    project = package_project()
    with networks.parse_network_choice(LOCAL_NETWORK, provider_settings={"host": "auto"}, disconnect_after=True):
        yield project


@contextmanager
def local_driver() -> Iterator[tuple[ChainDriver, list[Any]]]:
    """An anvil started for the body (:func:`local_chain`): yield the chain driver (``driver.connect``: ape
    transactions on anvil) and ape's funded test accounts (index 0 deploys); anvil stops on exit."""
    from ape import accounts

    from protocol_model.chain.driver import connect

    with local_chain() as project:
        yield connect(project), list(accounts.test_accounts)


def play_on_local_chain(scenario: Scenario | PerpScenario) -> Replay:
    """Deploy and play ``scenario`` on an anvil started for it (``local_chain``): every step on chain and
    in the exact model, every field compared after each. Returns the finished replay (read
    ``replay.results`` / ``replay.mismatches``; the chain is gone when this returns). Raises
    ``ScenarioError`` as :func:`deploy_story`."""
    from ape import accounts

    with local_chain() as project:
        replay = Replay.start(scenario, deploy_story(scenario, project, accounts.test_accounts))
        replay.run()
    return replay
