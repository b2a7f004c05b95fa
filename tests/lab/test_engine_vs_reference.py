"""Cross-check (2): the vectorized cascade against the scalar pure-Python reference, same seeds.

Both consume the same price stream; the cascade logic is written twice. They must take the same
liquidations (same path, step, position; counts exactly) and agree on every amount and per-path metric to
1e-9 relative: both are float64 evaluations of the same formulas, so only the last-bit differences of
numpy's and Python's pow/exp can separate them.
"""

from __future__ import annotations

import numpy as np
import pytest

from protocol_model.sim.books import Book, synthetic_book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import CascadeParams, OracleLag
from protocol_model.sim.outcome import PATH_FIELDS
from protocol_model.sim.reference import run_reference

from .cases import crash_book, crash_market, crash_params, depeg_market, depeg_params, interest_params
from .test_engine_scale import _assert_same

REL = 1e-9


def _mixed_book(params: CascadeParams) -> Book:
    """WBTC/WETH against USDC and USDC against WETH (so USDC both earns fees and takes bad debt)."""
    rng = np.random.default_rng(5)
    a = synthetic_book(rng, params, 30, collateral_weights={"WBTC": 1, "WETH": 1}, debt_asset="USDC",
                       utilization_beta=(8, 1.2))
    b = synthetic_book(rng, params, 20, collateral_weights={"USDC": 1}, debt_asset="WETH", utilization_beta=(9, 1.1))
    cat = lambda f: np.concatenate([getattr(a, f), getattr(b, f)])  # noqa: E731
    return Book.sorted(cat("coll_asset"), cat("debt_asset"), cat("coll_tokens"), cat("debt_tokens"))


CASES = {
    "crash-gbm-jumps-amm": (crash_params(oracle=OracleLag(1, 50, 3)), crash_market(), lambda p: crash_book(60), 30, 60),
    "depeg-bridge-lag-reserves": (depeg_params(), depeg_market(), _mixed_book, 25, 24),
}


@pytest.mark.parametrize("name", list(CASES))
def test_vectorized_equals_scalar_reference(name):
    params, market, make_book, n_paths, n_steps = CASES[name]
    if name.startswith("depeg"):  # reserves absorb part of the bad debt
        from dataclasses import replace
        params = replace(params, assets=tuple(replace(a, reserves_tokens=2_000.0 if a.name == "WETH" else 0.0)
                                              for a in params.assets))
    book = make_book(params)
    vec = run_cascade(params, book, market, np.random.default_rng(11), n_paths, n_steps, record_events=True)
    ref = run_reference(params, book, market, np.random.default_rng(11), n_paths, n_steps)
    _assert_same(vec, ref)
    # the case exercises what it claims to
    assert vec.per_path["liquidation_count"].sum() > 50
    assert vec.per_path["bad_debt_count"].sum() > 0
    assert vec.per_path["max_amm_discount"].max() > 0.001
    if name.startswith("depeg"):
        assert vec.per_path["reserves_used_usd"].sum() > 0 and vec.per_path["supplier_loss_usd"].sum() > 0


@pytest.mark.parametrize("rules", [
    {"gas_usd": 40.0, "min_profit_usd": 150.0},
    {"capital_usd": 60_000.0},
    {"gas_usd": 25.0, "min_profit_usd": 50.0, "capital_usd": 90_000.0},
], ids=["gas-and-min-profit", "capital", "all"])
def test_liquidator_economics_equal_the_reference_and_bind(rules):
    """Keepers with gas, a minimum profit and finite capital (``config.Liquidators``): the vectorized engine
    and the scalar reference take the same liquidations and agree on every figure; every liquidation made
    is profitable net of gas at the oracle prices and each path-step's repayments fit the capital; and the
    rules bind (fewer liquidations than free keepers make)."""
    from dataclasses import replace

    from protocol_model.sim.config import Liquidators

    free, market, make_book, n_paths, n_steps = CASES["crash-gbm-jumps-amm"]
    params = replace(free, liquidators=Liquidators(**rules))
    book = make_book(params)
    vec = run_cascade(params, book, market, np.random.default_rng(11), n_paths, n_steps, record_events=True,
                      record_series=True)
    ref = run_reference(params, book, market, np.random.default_rng(11), n_paths, n_steps)
    key = lambda e: (e[0], e[1], e[2])  # noqa: E731 (path, step, position)
    assert sorted(map(key, vec.events)) == sorted(map(key, ref.events)), "different liquidations taken"
    for f in PATH_FIELDS:
        np.testing.assert_allclose(vec.per_path[f], ref.per_path[f], rtol=REL, atol=1e-9, err_msg=f)
    np.testing.assert_allclose(vec.bad_debt_tokens, ref.bad_debt_tokens, rtol=REL, atol=1e-12)

    unlimited = run_cascade(free, book, market, np.random.default_rng(11), n_paths, n_steps)
    made = vec.per_path["liquidation_count"].sum()
    assert 0 < made < unlimited.per_path["liquidation_count"].sum()
    rule = params.liquidators
    spent: dict[tuple[int, int], float] = {}
    for p, t, i, repaid, seized, fee, _ in vec.events:
        c, d = int(book.coll_asset[i]), int(book.debt_asset[i])
        pc, pd = vec.series["oracle"][p, t, c], vec.series["oracle"][p, t, d]
        assert (seized - fee) * pc - repaid * pd - rule.gas_usd >= rule.min_profit_usd
        spent[p, t] = spent.get((p, t), 0.0) + repaid * pd
    assert max(spent.values()) <= rule.capital_usd * (1 + 1e-12)


INTEREST_CASES = {
    "crash-interest": (lambda: interest_params(oracle=OracleLag(1, 50, 3)), crash_market(),
                       lambda p: crash_book(60), 30, 60),
    "depeg-interest-mixed": (lambda: interest_params(close_factor_bps=4000, full_close_hf_bps=9000,
                                                     step_seconds=6 * 3600.0), depeg_market(), _mixed_book, 25, 24),
}


@pytest.mark.parametrize("name", list(INTEREST_CASES))
def test_interest_equals_the_reference(name):
    """Interest on (borrow and supply indices per path, ``sim.interest``): the vectorized engine and the scalar
    reference take the same liquidations and agree on every figure; and interest changes the outcome (more
    liquidation volume than the same run without it)."""
    from dataclasses import replace
    make_params, market, make_book, n_paths, n_steps = INTEREST_CASES[name]
    params = make_params()
    book = make_book(params)
    vec = run_cascade(params, book, market, np.random.default_rng(11), n_paths, n_steps, record_events=True)
    ref = run_reference(params, book, market, np.random.default_rng(11), n_paths, n_steps)
    _assert_same(vec, ref)
    off = run_cascade(replace(params, interest=False), book, market, np.random.default_rng(11), n_paths, n_steps)
    assert vec.per_path["liquidation_volume_usd"].sum() > off.per_path["liquidation_volume_usd"].sum()
    assert vec.per_path["liquidation_count"].sum() > 20


def test_interest_alone_liquidates_in_a_flat_market():
    """Prices never move and liquidators have no price impact: without interest nothing happens; with it every
    debt grows by the kinked curve's rate (checked by hand for step 1: USDC at 90% utilization on base 0, slope1 6%,
    slope2 300%, kink 80% → 6% + 300% × 0.1 / 0.2 = 156% a year), HFs fall through 1 and the engine and the
    reference liquidate the same positions at the same steps; reserves collect the reserve factor's share."""
    from dataclasses import replace

    from protocol_model.exact.lending.params import SECONDS_PER_YEAR

    from .cases import flat_market, tight_book
    deep = interest_params()
    params = replace(deep, assets=tuple(replace(a, amm_depth_usd=np.inf) for a in deep.assets))
    book = tight_book(20)
    market = flat_market()
    off = run_cascade(replace(params, interest=False), book, market, np.random.default_rng(2), 3, 40)
    assert off.per_path["liquidation_count"].sum() == 0
    vec = run_cascade(params, book, market, np.random.default_rng(2), 3, 40, record_events=True, record_series=True)
    ref = run_reference(params, book, market, np.random.default_rng(2), 3, 40)
    _assert_same(vec, ref)
    growth = 1.0 + (0.06 + 3.0 * 0.1 / 0.2) / SECONDS_PER_YEAR * 86_400
    assert vec.series["borrow_index"][0, 1, 0] == pytest.approx(growth, rel=1e-12)
    assert (np.diff(vec.series["borrow_index"][:, :, 0], axis=1) > 0).all()  # debts grow every step
    assert vec.per_path["liquidation_count"].min() > 0
    first = min(e[1] for e in vec.events)
    hf0 = vec.per_path["min_health_factor"]
    assert first > 1 and (hf0 < 1).all()
    assert vec.per_path["reserves_end_usd"].min() > 0  # fees and the reserve factor's share of interest


def test_interest_off_or_zero_curves_is_bit_identical():
    """``interest: false``, or interest on with every curve zero, runs exactly the old engine (same bits)."""
    from dataclasses import replace
    params, market, make_book, n_paths, n_steps = CASES["crash-gbm-jumps-amm"]
    book = make_book(params)
    base = run_cascade(params, book, market, np.random.default_rng(11), n_paths, n_steps, record_events=True)
    rated = interest_params(oracle=params.oracle)
    for p in (replace(rated, interest=False), replace(params, interest=True)):
        assert not p.accrues
        other = run_cascade(p, book, market, np.random.default_rng(11), n_paths, n_steps, record_events=True)
        assert other.events == base.events
        for f in PATH_FIELDS:
            assert np.array_equal(other.per_path[f], base.per_path[f]), f
