"""Cross-collateral accounts (``sim.multi_collateral``) and par redemption of seized stablecoins
(``Liquidators.redeem``): the vectorized engine against the scalar reference (1e-9) and the exact engine
(same liquidations), on shared cases (``cases.multi_book``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import Liquidators, OracleLag
from protocol_model.sim.exact import exact_keeper
from protocol_model.sim.reference import run_reference

from .cases import crash_market, crash_params, depeg_market, depeg_params, gap_market, interest_params, multi_book
from .test_engine_vs_reference import _mixed_book

REL = 1e-9


def _assert_same(vec, ref) -> None:
    """Same liquidations (path, step, position; a write-off event after its liquidation's) and every amount,
    per-path metric, bad debt per asset and per-asset field to 1e-9 relative."""
    key = lambda e: (e[0], e[1], e[2])  # noqa: E731 (path, step, position); sorted() keeps an account's order
    mine, theirs = sorted(vec.events, key=key), sorted(ref.events, key=key)
    assert [key(e) for e in mine] == [key(e) for e in theirs], "different liquidations taken"
    np.testing.assert_allclose(np.array(mine)[:, 3:], np.array(theirs)[:, 3:], rtol=REL, atol=1e-12)
    for f in vec.per_path:
        np.testing.assert_allclose(vec.per_path[f], ref.per_path[f], rtol=REL, atol=1e-9, err_msg=f)
    np.testing.assert_allclose(vec.bad_debt_tokens, ref.bad_debt_tokens, rtol=REL, atol=1e-12)
    for f in vec.per_asset:
        np.testing.assert_allclose(vec.per_asset[f], ref.per_asset[f], rtol=REL, atol=1e-9, err_msg=f)

CASES = {
    "crash-multi": (lambda: crash_params(oracle=OracleLag(1, 50, 3)), crash_market, 30, 60),
    "gap-multi-writeoffs": (crash_params, gap_market, 20, 12),
    "interest-multi": (lambda: interest_params(oracle=OracleLag(1, 50, 3)), crash_market, 20, 60),
    "economics-multi": (lambda: crash_params(liquidators=Liquidators(25.0, 50.0, 90_000.0)), gap_market, 20, 12),
}


@pytest.mark.parametrize("name", list(CASES))
def test_multi_collateral_equals_the_reference(name):
    """Pairs and cross-collateral accounts (two collaterals, two debts) in one book: the engine and the scalar
    reference take the same liquidations and agree on every figure to 1e-9; the case exercises what it claims
    (accounts liquidated, and in the gap case accounts written off with a second debt left)."""
    make_params, make_market, n_paths, n_steps = CASES[name]
    params = make_params()
    book = multi_book(params, 30, 30)
    vec = run_cascade(params, book, make_market(), np.random.default_rng(11), n_paths, n_steps, record_events=True)
    ref = run_reference(params, book, make_market(), np.random.default_rng(11), n_paths, n_steps)
    _assert_same(vec, ref)
    multi = [e for e in vec.events if e[2] >= book.n_pairs]
    assert len(multi) > 20, "cross-collateral accounts liquidated"
    assert vec.per_path["bad_debt_count"].sum() > 0
    if name.startswith("gap"):
        assert any(e[3] == 0 and e[6] > 0 for e in multi), "a second debt written off"
    if name.startswith("interest"):
        off = run_cascade(replace(params, interest=False), book, make_market(), np.random.default_rng(11), n_paths,
                          n_steps)
        assert vec.per_path["liquidation_volume_usd"].sum() > off.per_path["liquidation_volume_usd"].sum()
    if name.startswith("economics"):
        free = run_cascade(crash_params(), book, make_market(), np.random.default_rng(11), n_paths, n_steps)
        assert vec.per_path["liquidation_count"].sum() < free.per_path["liquidation_count"].sum()


def test_hand_derived_two_debts_written_off():
    """1 WBTC ($60,000) backs 20,000 USDC and 10 WETH ($20,000 each); WBTC gaps to $18,000: HF =
    18000·0.78/40000 = 0.351 < 0.95, so the keeper repays all of the largest debt (a tie: USDC, listed first),
    which would seize 20000/18000·1.065 > 1 WBTC: all of it, the repayment 18000/1.065 = 16,901.41 USDC; the
    USDC left and all 10 WETH are written off, two events, one account written off."""
    from protocol_model.sim.books import Book, MultiPositions
    from protocol_model.sim.paths import Bridge, Gbm, MarketModel

    from .cases import CORR
    params = crash_params()
    book = Book(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0),
                multi=MultiPositions(np.array([[0.0, 1.0, 0.0]]), np.array([[20_000.0, 0.0, 10.0]])))
    out = run_cascade(params, book, MarketModel((Gbm(0.0), Bridge(0.0, ((1, 0.3),)), Gbm(0.0)), CORR),
                      np.random.default_rng(0), 1, 1, record_events=True)
    (_, _, _, repaid, seized, _, bad), (_, _, _, r2, s2, _, bad2) = out.events
    assert repaid == pytest.approx(18_000 / 1.065, rel=1e-12) and seized == 1.0
    assert bad == pytest.approx(20_000 - 18_000 / 1.065, rel=1e-12) and (r2, s2, bad2) == (0.0, 0.0, 10.0)
    assert out.per_path["bad_debt_count"][0] == 1 and out.per_path["liquidation_count"][0] == 1
    np.testing.assert_allclose(out.bad_debt_tokens[0], [20_000 - 18_000 / 1.065, 0.0, 10.0], rtol=1e-12)


def test_multi_collateral_agrees_with_exact_engine():
    """The exact engine (``LendingPool`` twin) opens the same accounts; its keeper picks the largest debt and the
    largest collateral (``world.keeper.decide``) and liquidates with ``amount: max``: the same liquidations in
    the same order, the same (collateral, debt) choices, amounts within the rounding tolerance of
    test_engine_vs_exact (the unit of ``r`` is the account's coarsest asset: a WBTC unit is ~600 USDC units, and a
    seize-all of WBTC sets the repayment), the same write-offs."""
    from .cases import four_asset_case
    params, market, book = four_asset_case()
    lab = run_cascade(params, book, market, np.random.default_rng(5), 6, 8, record_events=True,
                      record_series=True)
    dec = [a.decimals for a in params.assets]
    coll, debt = book.dense(len(dec))
    seen_multi = seen_written = 0
    for p in range(6):
        exact = exact_keeper(params, book, lab.series["oracle"][p])
        mine = [e for e in lab.events if e[0] == p]
        assert [(e[1], e[2]) for e in mine] == [(e[0], e[1]) for e in exact.events], f"path {p}: decisions differ"
        times: dict[int, int] = {}
        bad_tol = [4.0] * len(dec)
        for m, x, (c, d) in zip(mine, exact.events, exact.legs, strict=True):
            n = times[m[2]] = times.get(m[2], 0) + 1
            px = lab.series["oracle"][p, m[1]]
            held = np.flatnonzero(coll[m[2]] + debt[m[2]])  # a unit of the account's coarsest asset, in units of k
            for lab_tokens, exact_units, k in ((m[3], x[2], d), (m[4], x[3], c), (m[5], x[4], c), (m[6], x[5], d)):
                r = max(10.0 ** (dec[k] - dec[o]) * px[o] / px[k] for o in held)
                diff = abs(lab_tokens * 10 ** dec[k] - exact_units)
                tol = 1e-9 * abs(exact_units) + 4 * n * (1 + r)
                assert diff <= tol, f"path {p} {m}: {diff} units"
            bad_tol[d] += tol  # the last amount checked is the bad debt
            seen_multi += m[2] >= book.n_pairs
            seen_written += m[3] == 0 and m[6] > 0
        for k, a in enumerate(params.assets):
            got, want = lab.bad_debt_tokens[p][k] * 10 ** dec[k], exact.bad_debt_units[a.name]
            assert abs(got - want) <= bad_tol[k], f"path {p}: bad debt in {a.name}"
    assert seen_multi > 5 and seen_written > 0


def test_redemption_removes_the_amm_impact_and_matches_the_reference():
    """USDC collateral (the mixed book, against WETH debt) during a depeg: redeemed at par, the seized USDC is
    not sold (USDC's market price is its fundamental price on every path, ``redeemed_usd`` > 0) while sold it
    pushes the AMM below the fundamental; liquidator PnL gains the par−market gap; engine == reference."""
    params = replace(depeg_params(), assets=tuple(replace(a, amm_depth_usd=2e5) if a.name == "USDC" else a
                                                   for a in depeg_params().assets))
    book = _mixed_book(params)
    redeem = replace(params, liquidators=Liquidators(redeem=("USDC",)))
    runs = {}
    for label, p in (("sold", params), ("redeemed", redeem)):
        vec = run_cascade(p, book, depeg_market(), np.random.default_rng(11), 25, 24, record_events=True)
        ref = run_reference(p, book, depeg_market(), np.random.default_rng(11), 25, 24)
        _assert_same(vec, ref)
        runs[label] = vec
    sold, red = runs["sold"], runs["redeemed"]
    u = 0  # USDC
    assert (sold.per_asset["min_market_rel"][:, u] < sold.per_asset["min_fundamental_rel"][:, u] - 1e-6).any()
    np.testing.assert_array_equal(red.per_asset["min_market_rel"][:, u], red.per_asset["min_fundamental_rel"][:, u])
    assert red.per_path["redeemed_usd"].sum() > 0 and sold.per_path["redeemed_usd"].sum() == 0
    assert red.per_path["liquidator_pnl_usd"].sum() > sold.per_path["liquidator_pnl_usd"].sum()


def test_book_file_round_trip_and_compare_effects(tmp_path):
    """A cross-collateral book survives the book file (one row per leg, the name repeated), and compare's book
    effects count each account once with its whole collateral and debt."""
    from protocol_model.sim.compare import book_effects, read_book, write_book

    params = crash_params()
    book = multi_book(params, 6, 9)
    back = read_book(write_book(book, params, tmp_path / "book.csv"), params)
    assert back.n_pairs == 6 and len(back) == 15
    np.testing.assert_array_equal(back.dense(3)[0], book.dense(3)[0])
    np.testing.assert_array_equal(back.dense(3)[1], book.dense(3)[1])
    proposed = replace(params, assets=tuple(replace(a, liquidation_threshold_bps=a.liquidation_threshold_bps - 1500,
                                                    ltv_bps=a.ltv_bps - 1500) if a.name == "WBTC" else a
                                            for a in params.assets))
    rows = {r["key"]: r for r in book_effects(book, params, proposed, None)}
    hf_a, hf_b = book.health_factors(params, params.initial_prices), book.health_factors(proposed,
                                                                                         params.initial_prices)
    assert rows["positions_liquidatable_at_once"]["change"] == ((hf_b < 1) & (hf_a >= 1)).sum() > 0
    coll, _ = book.dense(3)
    cap = (coll * np.array(params.initial_prices) * np.array([a.ltv_bps for a in params.assets]) / 1e4).sum()
    assert rows["borrowing_capacity_usd"]["current"] == pytest.approx(cap, rel=1e-7)
