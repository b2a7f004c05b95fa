"""VaR, CVaR (expected shortfall) and LaR of ``sim.metrics`` against independent references, as properties.

* VaR is numpy's empirical quantile with no interpolation, taken on the upper side
  (``-np.quantile(-x, 1 - a, method="inverted_cdf")``: the ``⌈(1 − a)·n⌉``-th largest loss).
* CVaR is the Rockafellar–Uryasev minimum ``min_t t + E[(L − t)⁺] / (1 − a)`` (2002, Thm. 10), and the integral
  ``(1 / (1 − a)) ∫_a^1 q_u du`` of the empirical quantile function computed in exact fractions (Acerbi & Tasche
  2002, Prop. 3.2): the mean of the worst ``(1 − a)·n`` paths' worth, the VaR path counted fractionally.
* Coherence on samples (monotone, translation invariant, positively homogeneous, subadditive) and law invariance
  (a sample repeated ``r`` times is the same distribution: same VaR and CVaR).
* Compare's ``Statistic`` (point values and bootstrap resamples from draw counts) equals ``var_cvar`` for any n.

Levels are drawn as ``j / 1024`` so that ``(1 − a)·n`` is exact in floating point and numpy's reference needs no
slack; the shipped levels 0.95 and 0.99 are checked by hand.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.sim import compare as cmp
from protocol_model.sim.metrics import summarize, upper_quantile, var_cvar
from protocol_model.sim.outcome import PATH_FIELDS

LEVEL = st.integers(1, 1023).map(lambda j: j / 1024)
LOSS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
LOSSES = st.lists(st.one_of(LOSS, st.sampled_from([0.0, 1.0, 5.0])), min_size=1, max_size=60).map(np.array)
"""Losses with many ties (0, 1, 5 recur): discrete atoms at the quantile."""
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)


def ru_cvar(x: np.ndarray, a: float) -> float:
    """Rockafellar–Uryasev: min over t of t + mean((x − t)⁺) / (1 − a); the minimum is attained at a sample."""
    return min(t + np.maximum(x - t, 0.0).mean() / (1 - a) for t in x)


def integral_cvar(x: np.ndarray, a: float) -> Fraction:
    """(1 / (1 − a)) ∫_a^1 q_u du in exact fractions: x_(i) (ascending) holds the quantile on ((i−1)/n, i/n]."""
    n, fa = x.size, Fraction(a)
    total = Fraction(0)
    for i, v in enumerate(np.sort(x), start=1):
        lo, hi = max(Fraction(i - 1, n), fa), Fraction(i, n)
        if hi > lo:
            total += Fraction(float(v)) * (hi - lo)
    return total / (1 - fa)


def close(got: float, want: float, scale: float) -> bool:
    """Equal to floating rounding relative to the sample's magnitude."""
    return abs(got - want) <= 1e-9 * max(1.0, scale)


@SETTINGS
@given(LOSSES, LEVEL)
def test_var_and_cvar_equal_the_references(x, a):
    var, cvar = var_cvar(x, a)
    assert var == -np.quantile(-x, 1 - a, method="inverted_cdf")
    scale = float(np.abs(x).max())
    assert close(cvar, ru_cvar(x, a), scale), (cvar, ru_cvar(x, a))
    assert close(cvar, float(integral_cvar(x, a)), scale)
    assert var <= cvar + 1e-9 * max(1.0, scale) and cvar <= x.max() + 1e-9 * max(1.0, scale)


@SETTINGS
@given(LOSSES, st.data())
def test_a_whole_number_of_tail_paths_is_their_mean(x, data):
    """Levels with ``(1 − a)·n = i`` whole (1,000 paths at 99%): VaR the i-th largest, CVaR the mean of the i
    largest, though ``1 − a`` is not exact in floating point (0.01·100 is 1.0000000000000009)."""
    n = x.size
    i = data.draw(st.integers(1, max(1, n - 1)))
    level = 1 - i / n if n > 1 else data.draw(st.sampled_from([0.95, 0.99, 0.5]))
    top = np.sort(x)[::-1][:i]
    var, cvar = var_cvar(x, level)
    assert var == top[-1]
    assert close(cvar, float(top.mean()), float(np.abs(x).max()))


@SETTINGS
@given(LOSSES, LEVEL, st.integers(2, 5))
def test_law_invariance_a_repeated_sample_has_the_same_tail(x, a, r):
    var, cvar = var_cvar(x, a)
    var_r, cvar_r = var_cvar(np.tile(x, r), a)
    assert var_r == var
    assert close(cvar_r, cvar, float(np.abs(x).max()))


@SETTINGS
@given(LOSSES, LEVEL, st.data())
def test_cvar_is_coherent_on_samples(x, a, data):
    n, scale = x.size, float(np.abs(x).max())
    y = np.array(data.draw(st.lists(LOSS, min_size=n, max_size=n)))
    c = data.draw(LOSS)
    lam = data.draw(st.floats(1e-3, 1e3))
    cvar = var_cvar(x, a)[1]
    big = 1e-9 * max(1.0, scale + float(np.abs(y).max()) + abs(c)) * 1e3
    assert var_cvar(np.maximum(x, y), a)[1] >= cvar - big                     # monotone
    assert abs(var_cvar(x + c, a)[1] - (cvar + c)) <= big                      # translation invariant
    assert abs(var_cvar(lam * x, a)[1] - lam * cvar) <= big * max(1.0, lam)   # positively homogeneous
    assert var_cvar(x + y, a)[1] <= cvar + var_cvar(y, a)[1] + big            # subadditive


@SETTINGS
@given(LOSSES, LEVEL, st.data())
def test_var_is_monotone_translation_invariant_and_homogeneous(x, a, data):
    """Exact: adding c or scaling by λ > 0 in floating point keeps the order, so the k-th largest moves with it."""
    y = np.array(data.draw(st.lists(LOSS, min_size=x.size, max_size=x.size)))
    c, lam = data.draw(LOSS), data.draw(st.floats(1e-3, 1e3))
    var = var_cvar(x, a)[0]
    assert var_cvar(np.maximum(x, y), a)[0] >= var
    assert var_cvar(x + c, a)[0] == var + c
    assert var_cvar(lam * x, a)[0] == lam * var


def test_shipped_levels_by_hand():
    losses = np.arange(1.0, 101.0)  # 1..100
    assert var_cvar(losses, 0.95) == (96.0, 98.0)   # 5 paths' worth: 96..100
    assert var_cvar(losses, 0.99) == (100.0, 100.0)  # 1 path's worth
    # 150 paths at 99%: 1.5 paths' worth, the worst path whole and half of the second: (150 + 149/2) / 1.5
    var, cvar = var_cvar(np.arange(1.0, 151.0), 0.99)
    assert var == 149.0 and cvar == pytest.approx((150 + 0.5 * 149) / 1.5, rel=1e-12)
    # fewer paths than 1 / (1 - a): the tail is inside the worst path
    assert var_cvar([3.0, 7.0, 5.0], 0.99) == (7.0, 7.0)
    # all equal: both are that value
    assert var_cvar(np.full(37, 2.5), 0.95) == (2.5, 2.5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_losses_and_bad_levels_are_refused(bad):
    with pytest.raises(ValueError, match="finite"):
        var_cvar([1.0, bad, 2.0], 0.95)
    with pytest.raises(ValueError, match="finite"):
        cmp.bootstrap(np.array([1.0, bad]), np.array([1.0, 2.0]), cmp.STATS["var95"], np.random.default_rng(0), 5)
    for level in (0.0, 1.0, -0.5, 1.5, float("nan")):
        with pytest.raises(ValueError, match="level"):
            var_cvar([1.0, 2.0], level)
    with pytest.raises(ValueError, match="no paths"):
        var_cvar([], 0.95)


def test_summary_percentiles_are_order_statistics_and_never_nan():
    """The HF 1st percentile is the ⌈0.01·n⌉-th smallest (the VaR's convention on the other side); a book with no
    debt (HF inf on every path) gives inf, not NaN (numpy's interpolation gives inf − inf)."""
    n = 250
    per = {k: np.zeros(n) for k in PATH_FIELDS}
    per["min_health_factor"] = np.arange(n, 0, -1) / 100.0  # 2.50 .. 0.01
    per["max_amm_discount"] = np.arange(n) / 1000.0
    s = summarize(per)
    assert s["min_health_factor_p1"] == 0.03  # the 3rd smallest: ⌈2.5⌉
    assert s["max_amm_discount_p99"] == upper_quantile(per["max_amm_discount"], 0.99) == 0.247
    per["min_health_factor"] = np.full(n, np.inf)
    assert summarize(per)["min_health_factor_p1"] == np.inf


@SETTINGS
@given(LOSSES, st.sampled_from(sorted(cmp.STATS)))
def test_compare_statistics_equal_var_cvar_on_points_and_resamples(x, name):
    stat = cmp.STATS[name]
    if stat.kind == "tail":
        want = var_cvar(x, stat.level)[stat.tail_mean]
        assert close(float(stat(x[None, :])[0]), want, float(np.abs(x).max()))
    rng = np.random.default_rng(x.size)
    idx = rng.integers(0, x.size, (7, x.size))
    counts = np.stack([np.bincount(r, minlength=x.size) for r in idx]).astype(float)
    got = stat.resampled(x, counts, np.argsort(-x, kind="stable"))
    want_rows = stat(x[idx])
    np.testing.assert_allclose(got, want_rows, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(x).max())))
