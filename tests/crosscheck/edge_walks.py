"""The report shared by the preset edge walks (test_morpho_edges.py, test_aave_edges.py): run the walks, print
the operation count, mismatches, CPU and wall time and every (operation, outcome) count, then assert no mismatch
and that every corner the walk exists for was reached."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any


def checked_walks(label: str, run: Callable[[], Counter], capsys: Any, reached: Iterable[str]) -> Counter:
    """``run()`` (a tally with ``operations``, ``mismatches`` and ``"<op> <outcome>"`` counts), printed under
    ``label``; raises AssertionError on a mismatch or an outcome of ``reached`` never seen."""
    start, cpu = time.perf_counter(), time.process_time()
    tally = run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with capsys.disabled():
        print(f"\n{label}: {tally['operations']} operations, {tally['mismatches']} mismatches, {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU; outcomes: "
              + ", ".join(f"{k}: {n}" for k, n in sorted(tally.items()) if k not in ("operations", "mismatches")))
    assert tally["mismatches"] == 0
    for outcome in reached:
        assert tally[outcome] >= 1, (outcome, sorted(tally.items()))
    return tally
