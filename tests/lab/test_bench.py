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


def test_verdict_names_the_factor_a_target_is_missed_by():
    from protocol_model.sim.bench_compare import verdict

    assert verdict(30.0, 60.0, at_most=True) == "met"
    assert verdict(90.0, 60.0, at_most=True) == "missed by 1.50×"
    assert verdict(600.0, 500.0, at_most=False) == "met"
    assert verdict(250.0, 500.0, at_most=False) == "missed by 2.00×"


def test_compare_bench_runs_small_and_checks_the_reference(capsys):
    """The compare benchmark at a toy size through ``bench --compare``: every figure printed with its target, the
    engine's liquidations checked against the scalar reference (results only, no timing asserted)."""
    assert bench.main(["--compare", "--paths", "30", "--steps", "8", "--chunk", "15", "--workers", "2",
                       "--reference-paths", "2", "--resamples", "20"]) == 0
    out = capsys.readouterr().out
    assert ("2 configurations (generic vs weth_lt80_bonus8.yaml) × 30 paths × 1,000 positions (700 single-pair, 300 "
            "cross-collateral) × 8 steps (eth_crash_multi.yaml), interest on") in out
    assert "interest on" in out
    assert out.count("vectorized engine on these paths: same liquidations") == 2
    for line in (r"compare, 2 process\(es\): [\d.,]+ s wall \(target < 60 s: (met|missed by [\d.,]+×)\)",
                 r"throughput: [\d,]+ M position-steps/s wall \(target >= 20 M: (met|missed by [\d.,]+×)\)",
                 r"ratio compare/scalar reference: [\d,]+× wall \(target >= 500×: (met|missed by [\d.,]+×)\)",
                 r"one compare chunk task \(both configurations, 15 paths\): [\d.]+ MiB at 4 steps, [\d.]+ MiB at 8 "
                 r"steps \(ratio [\d.]+, target <= 1.1: (met|missed by [\d.,]+×)\)",
                 r"the compare's own process .*: [\d.]+ MiB at 4 steps, [\d.]+ MiB at 8 steps"):
        assert re.search(line, out), line
