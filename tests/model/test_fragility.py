"""'Same 3×, different fragility' (protocol_model/sim/fragility.py) on the risk lab's paths and cascade
engine: closed-form checks, barrier-crossing probabilities derived independently, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

from protocol_model.sim.fragility import FragilityParams, simulate, summary


def test_without_volatility_or_bridge_events_only_the_frictions_remain():
    r = simulate(FragilityParams(daily_vol=0.0, bridge_events_per_year=0.0, paths=100))
    assert np.allclose(r["perp_loss"], 0.0005 * 3)  # exit slippage on 3× notional
    # loop: collateral (1 + 3)·(1 − 4·0.5%) = 3.92, debt 3 bought back with 3% slippage: 1 − (3.92 − 3.09) = 0.17
    assert np.allclose(r["loop_loss"], 1 - ((1 + 3) * (1 - 0.02) - 3 * 1.03))
    assert not r["perp_liquidated"].any() and not r["loop_liquidated"].any()


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _hit_probability(barrier_log: float, daily_vol: float, days: int) -> float:
    """P(max over daily steps of a GBM's log price ≥ b): the continuous-time first-passage probability of a
    Brownian motion with drift −σ²/2, with the Broadie–Glasserman–Kou shift b + 0.5826·σ·√Δt for daily
    monitoring: Φ((μT − b)/(σ√T)) + exp(2μb/σ²)·Φ((−μT − b)/(σ√T))."""
    sigma, mu = daily_vol, -0.5 * daily_vol**2
    b = barrier_log + 0.5826 * sigma
    s = sigma * math.sqrt(days)
    return float(_phi((mu * days - b) / s) + math.exp(2 * mu * b / sigma**2) * _phi((-mu * days - b) / s))


def test_liquidation_probabilities_match_the_barrier_crossing_formula():
    p = FragilityParams(bridge_events_per_year=0.0)
    s = summary(simulate(p))
    # perp short: 1 − L(P − 1) < m·L·P  ⇔  P > (1 + L)/(L(1 + m)) = 4/3.15
    assert s["perp"]["p_liquidated"] == pytest.approx(_hit_probability(math.log(4 / 3.15), 0.04, 30), abs=0.012)
    # loop: HF = 3.92·0.85 / (3·P) < 1  ⇔  P > 3.92·0.85/3 (the bridged coin at par without bridge events)
    assert s["loop"]["p_liquidated"] == pytest.approx(_hit_probability(math.log(3.92 * 0.85 / 3), 0.04, 30),
                                                      abs=0.012)


def test_same_leverage_different_loss_distributions():
    base = FragilityParams()
    s = summary(simulate(base))
    perp, loop = s["perp"], s["loop"]
    assert loop["p_liquidated"] > 2.5 * perp["p_liquidated"]
    assert loop["mean_loss"] > 10 * perp["mean_loss"]
    assert loop["p_loss_over_half"] > 1.8 * perp["p_loss_over_half"]
    assert loop["var90"] > perp["var90"] and loop["cvar90"] > perp["cvar90"]
    for row in (perp, loop):  # VaR ≤ CVaR and both rise with the level
        assert row["var90"] <= row["var95"] <= row["var99"] <= 1 and row["var95"] <= row["cvar95"] <= row["cvar99"]
    # bridge events and the thin pool each make the loop worse on the same seed
    no_bridge = summary(simulate(FragilityParams(bridge_events_per_year=0.0)))["loop"]
    deep = summary(simulate(FragilityParams(loop_pool_depth_usd=math.inf)))["loop"]
    assert loop["p_liquidated"] > no_bridge["p_liquidated"] and loop["mean_loss"] > no_bridge["mean_loss"]
    assert loop["p_bad_debt"] > 2 * deep["p_bad_debt"] and loop["mean_loss"] > deep["mean_loss"]
    assert deep["p_liquidated"] == loop["p_liquidated"]  # the pool only acts after the first liquidation


def test_seeded_and_reproducible_across_workers():
    p = FragilityParams(paths=600, paths_per_chunk=200)
    a, b = simulate(p, workers=1), simulate(p, workers=2)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    assert not np.array_equal(a["loop_loss"], simulate(FragilityParams(paths=600, paths_per_chunk=200, seed=9))[
        "loop_loss"])
    with pytest.raises(ValueError, match="leverage"):
        FragilityParams(leverage=1)
    with pytest.raises(ValueError, match="loop_ltv_bps"):
        FragilityParams(leverage=5)  # debt 5 on collateral 5.88: 85% > 80% LTV
