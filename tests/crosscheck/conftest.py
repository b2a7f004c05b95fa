"""Cross-check fixtures: one "snapshot, replay, restore, assert" fixture (``checked_replay``) and the
session's counts, printed as one summary line at the end of the session."""

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


_STATS = pytest.StashKey[CrosscheckStats]()


@pytest.fixture(scope="session")
def crosscheck_stats(pytestconfig) -> CrosscheckStats:
    return pytestconfig.stash.setdefault(_STATS, CrosscheckStats())


@pytest.fixture
def checked_replay(deploy_world, driver, crosscheck_stats):
    """``checked_replay(scenario, play=None, where="") -> Replay``: snapshot the chain, deploy ``scenario``,
    replay it on chain and in the model (``play(replay)``, default ``replay.run()``), restore the chain,
    count it in the session's stats, then assert that the story had steps and that every step agreed:
    same outcome on both twins, every field equal, and the outcome the file states."""
    from protocol_model.chain.driver import restoring
    from protocol_model.chain.replay import Replay

    def run(scenario, play=None, where: str = "") -> Replay:
        with restoring(driver):
            replay = Replay.start(scenario, deploy_world(scenario))
            (play or Replay.run)(replay)
        results = replay.results
        crosscheck_stats.sequences += 1
        crosscheck_stats.operations += len(results)
        crosscheck_stats.mismatches += replay.mismatches
        assert results, f"{where}a story with no steps proves nothing"
        for r in results:
            at = f"{where}step {r.index} {r.action.describe()}"
            assert r.model == r.chain, f"{at}: model {r.model}, chain {r.chain}"
            assert not r.mismatches, f"{at}: {r.mismatches[:5]}"
            assert r.as_expected, f"{at}: expected {r.expected}, got {r.model}"
        return replay

    return run


def pytest_terminal_summary(terminalreporter, config):
    stats = config.stash.get(_STATS, None)
    if stats is not None and stats.sequences:
        terminalreporter.write_line(
            f"crosscheck: {stats.sequences} sequences, {stats.operations} operations, {stats.mismatches} mismatches")
        terminalreporter.write_line(
            f"crosscheck on-behalf: {stats.on_behalf_authorized} authorized, "
            f"{stats.on_behalf_unauthorized} unauthorized calls of borrowOnBehalf / withdrawOnBehalf")
