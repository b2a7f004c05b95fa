"""The per-asset fields the compare report needs, vectorized engine == scalar reference on shared cases.

Bad debt and liquidation volume by collateral asset, and each asset's lowest market and lowest exogenous
(fundamental) price: the split of a price drop into the driver's part and the part liquidators' sales
caused. Same tolerance as ``test_engine_vs_reference`` (1e-9 relative).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.outcome import ASSET_FIELDS, CascadeOutcome, liquidation_induced_drop
from protocol_model.sim.reference import run_reference

from .test_engine_vs_reference import CASES, REL


def _case(name):
    params, market, make_book, n_paths, n_steps = CASES[name]
    if name.startswith("depeg"):
        params = replace(params, assets=tuple(replace(a, reserves_tokens=2_000.0 if a.name == "WETH" else 0.0)
                                              for a in params.assets))
    return params, market, make_book(params), n_paths, n_steps


@pytest.mark.parametrize("name", list(CASES))
def test_per_asset_fields_equal_reference(name):
    params, market, book, n_paths, n_steps = _case(name)
    vec = run_cascade(params, book, market, np.random.default_rng(11), n_paths, n_steps, record_series=True)
    ref = run_reference(params, book, market, np.random.default_rng(11), n_paths, n_steps)
    for f in ASSET_FIELDS:
        assert vec.per_asset[f].shape == (n_paths, len(params.assets))
        np.testing.assert_allclose(vec.per_asset[f], ref.per_asset[f], rtol=REL, atol=1e-9, err_msg=f)
    # by-collateral amounts add up to the totals
    np.testing.assert_allclose(vec.per_asset["bad_debt_by_collateral_usd"].sum(axis=1), vec.per_path["bad_debt_usd"],
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(vec.per_asset["liquidation_volume_by_collateral_usd"].sum(axis=1),
                               vec.per_path["liquidation_volume_usd"], rtol=1e-12, atol=1e-9)
    # the recorded series agree with the per-path minima; market = fundamental x a dislocation <= 1
    p0 = np.array(params.initial_prices)
    np.testing.assert_allclose(vec.series["fundamental"].min(axis=1) / p0, vec.per_asset["min_fundamental_rel"],
                               rtol=1e-15)
    np.testing.assert_allclose(vec.series["market"].min(axis=1) / p0, vec.per_asset["min_market_rel"], rtol=1e-15)
    assert np.all(vec.series["market"] <= vec.series["fundamental"] * (1 + 1e-12))
    induced = liquidation_induced_drop(vec.per_asset)
    assert np.all(induced >= -1e-12)
    if name.startswith("crash"):  # thin pools: liquidators' sales deepen the drop on some paths
        assert induced.max() > 0.01
        assert vec.per_asset["bad_debt_by_collateral_usd"].max() > 0


def test_concat_keeps_per_asset_fields():
    params, market, book, _, n_steps = _case("crash-gbm-jumps-amm")
    a = run_cascade(params, book, market, np.random.default_rng(1), 3, n_steps)
    b = run_cascade(params, book, market, np.random.default_rng(2), 4, n_steps)
    both = CascadeOutcome.concat([a, b])
    for f in ASSET_FIELDS:
        np.testing.assert_array_equal(both.per_asset[f], np.concatenate([a.per_asset[f], b.per_asset[f]]))
