"""The vectorized engine against the scalar reference on the benchmark's own workload and on edge layouts.

``test_engine_vs_reference.py`` checks small books; these cases exercise what the fast paths of
``cascade.py`` depend on at realistic size: a 1,000-position book in two pair blocks (the benchmark's
``scenarios/lab/eth_crash.yaml``, fewer paths and steps), paths that never liquidate next to paths that
liquidate thousands of times, and a collateral asset sold into an infinitely deep market (no AMM
dislocation). Tolerance as in the reference test (1e-9 relative, same
liquidations exactly): both sides are float64 evaluations of the same formulas.
"""

from __future__ import annotations

from dataclasses import replace
from math import inf

import numpy as np

from protocol_model.sim.bench import SPEC
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.outcome import PATH_FIELDS, CascadeOutcome
from protocol_model.sim.reference import run_reference
from protocol_model.sim.run import job_from_spec
from protocol_model.sim.spec import load_simulation

from .cases import crash_book, crash_market, crash_params

REL = 1e-9


def _assert_same(vec: CascadeOutcome, ref: CascadeOutcome) -> None:
    key = lambda e: (e[0], e[1], e[2])  # noqa: E731 (path, step, position)
    assert sorted(map(key, vec.events)) == sorted(map(key, ref.events)), "different liquidations taken"
    by_key = {key(e): e for e in ref.events}
    for e in vec.events:
        np.testing.assert_allclose(e[3:], by_key[key(e)][3:], rtol=REL, atol=1e-12, err_msg=f"event {key(e)}")
    for f in PATH_FIELDS:
        np.testing.assert_allclose(vec.per_path[f], ref.per_path[f], rtol=REL, atol=1e-9, err_msg=f)
    np.testing.assert_allclose(vec.bad_debt_tokens, ref.bad_debt_tokens, rtol=REL, atol=1e-12)


def test_benchmark_workload_matches_reference():
    """eth_crash.yaml: 8 paths × 1,000 positions × 120 daily steps (seed 3: one path never liquidates,
    others liquidate up to ~1,900 times, one ends with bad debt)."""
    spec = load_simulation(SPEC).model_copy(update={"steps": 120})
    job = job_from_spec(spec, paths=8)
    assert len(job.book) == 1000 and len(job.book.pairs()) == 2
    vec = run_cascade(job.params, job.book, job.market, np.random.default_rng(3), 8, 120, record_events=True)
    ref = run_reference(job.params, job.book, job.market, np.random.default_rng(3), 8, 120)
    _assert_same(vec, ref)
    counts = vec.per_path["liquidation_count"]
    assert counts.min() == 0 and counts.max() > 1_000 and counts.sum() > 5_000
    assert vec.per_path["bad_debt_count"].sum() > 0
    assert (vec.per_path["max_amm_discount"] > 0.1).sum() >= 4


def test_deep_collateral_market_matches_reference():
    """WBTC collateral sold into an infinitely deep market (its price never dislocates), WETH into a thin
    one: the engine must not move the deep asset and must value its sales at the market price."""
    params = crash_params()
    params = replace(params, assets=tuple(replace(a, amm_depth_usd=inf) if a.name == "WBTC" else a
                                          for a in params.assets))
    book = crash_book(80)
    vec = run_cascade(params, book, crash_market(), np.random.default_rng(8), 40, 60, record_events=True,
                      record_series=True)
    ref = run_reference(params, book, crash_market(), np.random.default_rng(8), 40, 60)
    _assert_same(vec, ref)
    wbtc, weth = params.index("WBTC"), params.index("WETH")
    sold_wbtc = [e for e in vec.events if book.coll_asset[e[2]] == wbtc]
    assert len(sold_wbtc) > 20
    # the deep asset's market price is its fundamental price: no dislocation, ever
    fundamental = crash_market().stream(np.random.default_rng(8), 40, np.array(params.initial_prices), 60)
    wbtc_fund = np.stack([fundamental.next()[:, wbtc] for _ in range(60)], axis=1)
    np.testing.assert_array_equal(vec.series["market"][:, 1:, wbtc], wbtc_fund)
    assert (vec.series["market"][:, 1:, weth] < 0.99 * vec.series["market"][:, 1:, weth].max()).any()

