"""Cross-check fixtures: one "snapshot, replay, restore, assert" fixture (``checked_replay``) and the
session's counts per suite, printed at the end of the session as one line per suite and a total line."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class CrosscheckStats:
    sequences: int = 0
    operations: int = 0
    mismatches: int = 0
    on_behalf_authorized: int = 0
    """borrowOnBehalf / withdrawOnBehalf calls whose caller was the account or its operator."""
    on_behalf_unauthorized: int = 0
    unfunded_debt: int = 0
    """empty_market patterns whose borrow passed and left the debt above the supply across the warp that follows
    (P-POOL-06 then checked on an accrual the suppliers' cap governs)."""


CONNECTED_SUITE = "ape network"
"""The suite of everything cross-checked on the session's ape network (anvil under ``make test``)."""

_SUITES = pytest.StashKey[dict[str, CrosscheckStats]]()


def suite_stats(config: pytest.Config, suite: str) -> CrosscheckStats:
    """The session's counts of ``suite`` (created empty on first use)."""
    return config.stash.setdefault(_SUITES, {}).setdefault(suite, CrosscheckStats())


@pytest.fixture(scope="module")
def lev_in_process():
    """The leveraged-token world (2x and 3x vaults) on the in-process chain (revm), one per test module."""
    from protocol_model.chain.inprocess_world import deploy_leveraged_in_process

    return deploy_leveraged_in_process()


@pytest.fixture(scope="session")
def crosscheck_stats(pytestconfig) -> CrosscheckStats:
    """Counts of the cross-checks run on the session's ape network (stories, fuzzers, replays)."""
    return suite_stats(pytestconfig, CONNECTED_SUITE)


@pytest.fixture(scope="session")
def crosscheck_suite(pytestconfig):
    """``crosscheck_suite(name) -> CrosscheckStats``: the counts of a named suite (e.g. the in-process fuzz)."""
    return lambda suite: suite_stats(pytestconfig, suite)


def make_checked_replay(deploy_world, driver, stats: CrosscheckStats):
    """``checked_replay(scenario, play=None, where="") -> Replay`` on any chain: snapshot ``driver``, deploy
    ``scenario`` with ``deploy_world``, replay it on chain and in the model (``play(replay)``, default
    ``replay.run()``), restore the chain, count it in ``stats``, then assert that the story had steps and that
    every step agreed: same outcome on both twins, every field equal, and the outcome the file states."""
    from protocol_model.chain.driver import restoring
    from protocol_model.chain.replay import Replay

    def run(scenario, play=None, where: str = "") -> Replay:
        with restoring(driver):
            replay = Replay.start(scenario, deploy_world(scenario))
            (play or Replay.run)(replay)
        results = replay.results
        stats.sequences += 1
        stats.operations += len(results)
        stats.mismatches += replay.mismatches
        assert results, f"{where}a story with no steps proves nothing"
        for r in results:
            at = f"{where}step {r.index} {r.action.describe()}"
            assert r.model == r.chain, f"{at}: model {r.model}, chain {r.chain}"
            assert not r.mismatches, f"{at}: {r.mismatches[:5]}"
            assert r.as_expected, f"{at}: expected {r.expected}, got {r.model}"
        return replay

    return run


@pytest.fixture
def checked_replay(deploy_world, driver, crosscheck_stats):
    """:func:`make_checked_replay` on the session's ape network, counted in its cross-check stats."""
    return make_checked_replay(deploy_world, driver, crosscheck_stats)


def counts(stats: CrosscheckStats) -> str:
    """``S sequences, O operations, M mismatches``."""
    return f"{stats.sequences} sequences, {stats.operations} operations, {stats.mismatches} mismatches"


def pytest_terminal_summary(terminalreporter, config):
    """One line per suite that ran, then the total (``crosscheck: S sequences, O operations, M mismatches``)
    and the on-behalf call counts over all suites."""
    suites = {name: s for name, s in config.stash.get(_SUITES, {}).items() if s.sequences}
    if not suites:
        return
    total = CrosscheckStats()
    for name, stats in suites.items():
        terminalreporter.write_line(f"crosscheck [{name}]: {counts(stats)}")
        for attr in ("sequences", "operations", "mismatches", "on_behalf_authorized", "on_behalf_unauthorized"):
            setattr(total, attr, getattr(total, attr) + getattr(stats, attr))
    terminalreporter.write_line(f"crosscheck: {counts(total)}")
    terminalreporter.write_line(
        f"crosscheck on-behalf: {total.on_behalf_authorized} authorized, "
        f"{total.on_behalf_unauthorized} unauthorized calls of borrowOnBehalf / withdrawOnBehalf")
