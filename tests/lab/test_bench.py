"""The benchmark's measuring machinery (``make bench`` itself is not a test: its numbers depend on load)."""

from __future__ import annotations

import re
import time

from protocol_model.sim import bench


def test_best_of_keeps_the_fastest_run_and_its_result():
    delays = iter([0.05, 0.01, 0.03])

    def run():
        d = next(delays)
        time.sleep(d)
        return d

    t = bench.best_of(run, 3)
    assert t.result == 0.01
    assert 0.01 <= t.wall_s < 0.03
    assert t.cpu_s < t.wall_s  # sleeping costs no CPU


def test_bench_runs_small_and_checks_the_reference(capsys):
    assert bench.main(["--paths", "40", "--steps", "12", "--chunk", "20", "--workers", "2", "--reference-paths",
                       "2", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "40 paths × 1000 positions × 12 steps" in out
    assert "vectorized engine on these paths: same liquidations" in out
    assert "target" not in out and " met" not in out  # results only; targets live in docs/risk_lab.md
    assert re.search(r"ratio vectorized/scalar: [\d,]+× wall; per core [\d,]+× wall", out)
    assert re.search(r"peak memory of one 20-path chunk: [\d.]+ MiB at 6 steps, [\d.]+ MiB at 12 steps", out)
