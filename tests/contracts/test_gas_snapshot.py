"""The committed gas snapshot (.gas-snapshot) holds: every entry point of LendingPool, PriceRouter, Looper,
LeveragedToken and PerpEngine, re-measured on this anvil (protocol_model/chain/gas.py), costs at most 1% more
than the file says, and the file lists exactly the operations measured."""

from __future__ import annotations

import pytest

from protocol_model.chain.gas import (
    SNAPSHOT_FILE,
    TOLERANCE,
    UPDATE_COMMAND,
    compare,
    format_snapshot,
    measure_snapshot,
    parse_snapshot,
)


def test_snapshot_holds(project):
    committed = parse_snapshot(SNAPSHOT_FILE.read_text(), str(SNAPSHOT_FILE))
    measured = measure_snapshot(project)
    problems = compare(committed, measured)
    assert not problems, (f"gas snapshot: {len(problems)} problem(s); update with `{UPDATE_COMMAND}` if intended:\n"
                          + "\n".join(problems))


def test_compare_flags_a_rise_above_the_tolerance_and_missing_or_new_lines():
    committed = {"LendingPool.borrow": 100_000, "LendingPool.repay": 50_000}
    assert compare(committed, {"LendingPool.borrow": int(100_000 * (1 + TOLERANCE)), "LendingPool.repay": 1}) == []
    problems = compare(committed, {"LendingPool.borrow": int(100_000 * (1 + TOLERANCE)) + 1, "X.y": 5})
    assert [p.split(":")[0] for p in problems] == ["LendingPool.borrow", "LendingPool.repay", "X.y"]


def test_file_format_round_trips_and_rejects_a_bad_line():
    entries = {"bench/borrow": 99_000, "LendingPool.supply": 80_123}
    assert parse_snapshot(format_snapshot(entries)) == entries
    with pytest.raises(ValueError, match=r"snap:3: expected 'operation gas'"):
        parse_snapshot("# c\nA.b 1\nA.c x\n", "snap")
