"""The feed models (protocol_model/analytics/feeds.py): push rule, OSM delay, TWAP, sequencer gating."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.analytics.feeds import PushRule, osm_path, push_rule_path, sequencer_accepts, twap

steps_st = st.lists(st.floats(-0.03, 0.03), min_size=2, max_size=200)


@settings(max_examples=200, deadline=None)
@given(steps=steps_st, dev=st.integers(10, 300), heartbeat=st.integers(60, 7200), dt=st.integers(1, 600))
def test_push_rule_properties(steps, dev, heartbeat, dt):
    market = 100 * np.cumprod(1 + np.array(steps))
    times = np.arange(len(market)) * dt
    path = push_rule_path(times, market, PushRule(dev, heartbeat))
    last_t = times[0]
    for i in range(len(market)):
        if path.updated[i]:
            assert path.oracle[i] == market[i]  # a round publishes the market price of its moment
            last_t = times[i]
        else:
            # no round: the market stayed within the threshold of the answer, and the heartbeat had not passed
            assert abs(market[i] / path.oracle[i] - 1) <= dev / 10_000 + 1e-12
            assert times[i] - last_t < heartbeat
    assert np.all(np.abs(market / path.oracle - 1) <= dev / 10_000 + 1e-12)  # the rule measures from the answer


def test_push_rule_vectorized_matches_single_paths():
    rng = np.random.default_rng(7)
    market = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, size=(5, 300)), axis=1))
    times = np.arange(300) * 60
    many = push_rule_path(times, market, PushRule(50, 3600))
    for i in range(5):
        one = push_rule_path(times, market[i], PushRule(50, 3600))
        assert np.array_equal(one.oracle, many.oracle[i]) and np.array_equal(one.updated, many.updated[i])


def test_flat_market_updates_on_heartbeat_only():
    times = np.arange(0, 4 * 3600 + 1, 600)
    path = push_rule_path(times, np.full(times.shape, 1.0), PushRule(50, 3600))
    assert list(times[path.updated]) == [0, 3600, 7200, 10800, 14400]


def test_osm_publishes_the_price_of_one_delay_earlier():
    times = np.arange(0, 7201, 600)
    market = np.arange(len(times), dtype=float) + 100
    out = osm_path(times, market, 3600)
    assert np.array_equal(out[6:], market[:-6]) and np.all(out[:6] == market[0])
    assert np.array_equal(osm_path(times, market, 0), market)


def test_twap_resists_a_one_block_spike():
    times = np.arange(0, 3601, 12)  # 12-second blocks
    spot = np.full(times.shape, 1.0)
    spot[-1] = 10.0  # pumped in the last block
    avg = twap(times, spot, 1800)
    assert spot[-1] == 10 and avg[-1] == pytest.approx(1.0)  # the pumped block has not lasted any time yet
    spot[-10:] = 10.0  # held for 9 blocks = 108 s of a 1,800 s window
    assert twap(times, spot, 1800)[-1] == pytest.approx(1 + 9 * 108 / 1800)


def test_sequencer_gate():
    times = np.arange(0, 10_000, 100)
    ok = sequencer_accepts(times, [(1000, 2800)], 3600)
    assert ok[times < 1000].all() and not ok[(times >= 1000) & (times <= 6400)].any() and ok[times > 6400].all()


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="deviation_bps"):
        PushRule(0, 3600)
    with pytest.raises(ValueError, match="positive"):
        push_rule_path(np.arange(3), np.array([1.0, 0.0, 1.0]), PushRule())
    with pytest.raises(ValueError, match="window_s"):
        twap(np.arange(3), np.ones(3), 0)
