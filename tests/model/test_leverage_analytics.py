"""Float analytics of leveraged tokens (protocol_model/leverage_analytics.py), each checked against an
independent derivation: explicit products, the Itô closed form, and pathwise identities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from protocol_model.analytics import leverage as la


def test_daily_rebalancing_is_the_product_of_one_plus_l_r():
    prices = [100.0, 103.0, 98.0, 101.0, 110.0, 95.0]
    expected, value = [1.0], 1.0
    for a, b in zip(prices[:-1], prices[1:], strict=True):
        value *= 1 + 3 * (b / a - 1)
        expected.append(value)
    assert np.allclose(la.nav_fixed_schedule(np.array(prices), 3.0), expected, rtol=1e-14)


def test_without_rebalancing_the_token_is_l_times_the_return():
    prices = np.array([100.0, 103.0, 98.0, 101.0, 110.0, 95.0])
    nav = la.nav_fixed_schedule(prices, 2.0, every=len(prices))
    assert np.allclose(nav, 1 + 2 * (prices / 100 - 1))
    assert la.decay(prices, 2.0, every=len(prices)) == pytest.approx(0.0, abs=1e-15)


def test_equity_is_floored_at_zero():
    nav = la.nav_fixed_schedule(np.array([1.0, 0.6, 0.9]), 3.0)
    assert nav.tolist() == [1.0, 0.0, 0.0]


def test_sideways_paths_decay_and_trends_compound():
    up_down = np.array([1.0, 1.1, 1.0, 1.1, 1.0])  # ends where it started
    assert la.decay(up_down, 3.0) < 0  # (1.3 · 0.7272...)² < 1
    assert la.nav_fixed_schedule(up_down, 3.0)[-1] == pytest.approx((1.3 * (1 - 3 / 11)) ** 2)
    trend = la.geometric_path(0.2, 20)
    assert la.decay(trend, 3.0) > 0  # a steady trend beats 3 × 20%


def test_band_rebalancing_counts_and_matches_the_schedule_when_the_band_is_empty():
    paths = la.gbm_paths(0.0, 0.8, 1.0, 365, 50, seed=3)
    nav_band, count = la.nav_band(paths, 2.0, 2.0, 2.0)  # every move leaves an empty band
    assert np.allclose(nav_band, la.nav_fixed_schedule(paths, 2.0), rtol=1e-10)
    _, wide = la.nav_band(paths, 2.0, 1.7, 2.3)
    assert (wide < count).all() and (wide > 0).all()


def test_continuous_rebalancing_closed_form_against_simulation():
    """Mean log growth of a finely rebalanced token ≈ L·μ − L²σ²/2, within 4 standard errors plus the
    discretisation bias of 2,000 steps."""
    mu, sigma, horizon, lev = 0.3, 0.6, 1.0, 3.0
    paths = la.gbm_paths(mu, sigma, horizon, 2_000, 4_000, seed=7)
    log_nav = np.log(la.nav_fixed_schedule(paths, lev)[:, -1]) / horizon
    closed = la.continuous_log_growth(lev, mu, sigma)
    se = log_nav.std(ddof=1) / math.sqrt(len(log_nav))
    assert abs(log_nav.mean() - closed) < 4 * se + 0.01, (log_nav.mean(), closed, se)
    # Pathwise: log NAV ≈ L·log(S_T/S_0) + (L − L²)·QV/2 with the path's realised quadratic variation QV;
    # continuous_nav uses its expectation σ²T, so it is off by (L² − L)/2 × (QV − σ²T) on each path.
    qv = (np.diff(np.log(paths), axis=1) ** 2).sum(axis=1)
    realised = lev * np.log(paths[:, -1]) + (lev - lev**2) * qv / 2
    assert np.median(np.abs(log_nav * horizon - realised)) < 0.005
    gap = np.log(la.continuous_nav(paths, lev, sigma, horizon)) - realised
    assert np.allclose(gap, (lev**2 - lev) / 2 * (qv - sigma**2 * horizon))
    # The closed form is below L × the underlying's log growth (μ − σ²/2) by (L² − L)σ²/2.
    assert closed - lev * (mu - sigma**2 / 2) == pytest.approx(-(lev**2 - lev) * sigma**2 / 2)


def test_fee_drag_simple_and_compounded():
    simple, compounded = la.fee_drag(0.0001)
    assert simple == pytest.approx(0.0365)
    assert compounded == pytest.approx(1 - math.exp(365 * math.log1p(-0.0001)))
    flat = la.nav_fixed_schedule(np.ones(366), 3.0, fee_per_step=0.0001)
    assert flat[-1] == pytest.approx(1 - compounded, rel=1e-12)
