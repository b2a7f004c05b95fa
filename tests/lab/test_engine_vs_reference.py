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

from .cases import crash_book, crash_market, crash_params, depeg_market, depeg_params

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

    key = lambda e: (e[0], e[1], e[2])  # noqa: E731 (path, step, position)
    assert sorted(map(key, vec.events)) == sorted(map(key, ref.events)), "different liquidations taken"
    by_key = {key(e): e for e in ref.events}
    for e in vec.events:
        np.testing.assert_allclose(e[3:], by_key[key(e)][3:], rtol=REL, atol=1e-12, err_msg=f"event {key(e)}")
    for f in PATH_FIELDS:
        np.testing.assert_allclose(vec.per_path[f], ref.per_path[f], rtol=REL, atol=1e-9, err_msg=f)
    np.testing.assert_allclose(vec.bad_debt_tokens, ref.bad_debt_tokens, rtol=REL, atol=1e-12)
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
