"""'Same 3×, different fragility' (protocol_model/perp/fragility.py): seeded Monte Carlo, closed-form checks."""

from __future__ import annotations

import numpy as np
import pytest

from protocol_model.perp.fragility import FragilityParams, simulate, summary


def test_without_volatility_or_bridge_events_only_the_frictions_remain():
    r = simulate(FragilityParams(daily_vol=0.0, bridge_event_per_day=0.0, paths=100))
    assert np.allclose(r["perp_loss"], 0.0005 * 3)  # exit slippage on 3× notional
    assert np.allclose(r["loop_loss"], 1 - ((1 + 3) * (1 - 0.02) - 3 - 0.03 * 3))  # 0.17: loop costs + slippage
    assert not r["perp_liquidated"].any() and not r["loop_liquidated"].any()


def test_same_leverage_different_loss_distributions():
    s = summary(simulate(FragilityParams()))
    perp, loop = s["perp"], s["loop"]
    # numbers quoted in docs/perp_margin.md (20,000 paths, seed 8)
    assert perp["p_liquidated"] == pytest.approx(0.2097, abs=5e-4)
    assert loop["p_liquidated"] == pytest.approx(0.5471, abs=5e-4)
    assert loop["mean_loss"] > 10 * perp["mean_loss"]
    assert loop["p_loss_over_half"] > 2 * perp["p_loss_over_half"]


def test_seeded_and_reproducible():
    a, b = simulate(FragilityParams(paths=500)), simulate(FragilityParams(paths=500))
    assert np.array_equal(a["loop_loss"], b["loop_loss"])
    with pytest.raises(ValueError, match="leverage"):
        FragilityParams(leverage=1)
