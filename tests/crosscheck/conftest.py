"""Counts every differential-fuzzing run and prints one summary line at the end of the session."""

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


def pytest_terminal_summary(terminalreporter, config):
    stats = config.stash.get(_STATS, None)
    if stats is not None and stats.sequences:
        terminalreporter.write_line(
            f"crosscheck: {stats.sequences} sequences, {stats.operations} operations, {stats.mismatches} mismatches")
        terminalreporter.write_line(
            f"crosscheck on-behalf: {stats.on_behalf_authorized} authorized, "
            f"{stats.on_behalf_unauthorized} unauthorized calls of borrowOnBehalf / withdrawOnBehalf")
