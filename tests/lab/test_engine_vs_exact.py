"""Cross-check (1): the vectorized engine against the exact integer engine
(``protocol_model.exact.lending.lending_pool``).

The lab runs a small book over many paths and records its oracle prices (already 8-decimal feed answers)
and every liquidation. For each path the exact engine opens the same book (amounts in token units), posts
the same prices, and a keeper liquidates (amount ``max``) every account whose exact HF is below 1.

* Decisions must agree exactly: the same liquidations at the same steps, in the same order, so the counts
  and the bad-debt events are equal; the per-path bad debt and liquidated debt in USD equal the exact events
  priced at the lab's oracle (within the amounts' slack below).
* Amounts agree within ``|lab − exact| ≤ 1e-9 · |exact| + 4 · n · (1 + r)`` token units, where ``r``
  is the value of one unit of the pair's other asset in units of this one and ``n`` counts the
  liquidations of that position so far (each leaves its rounding in the balances the next starts from).
  Why: the exact engine rounds every mulDiv to a whole unit in the protocol's favour (≤ 1 unit per
  rounding, ≤ 3 roundings feed any one amount: price ratio, bonus, fee split), and one unit of the
  repayment (say 10^-6 USDC) is worth ``r`` units of the seized collateral (≈ 5·10^8 wei of WETH at
  $2,000) once converted at the price ratio; float64 carries ~1e-16 relative error per operation and
  cannot represent an 18-decimal amount to the wei (2^53 ≈ 9e15 < 10^19). A real disagreement (a wrong
  bonus, close factor, fee or price) is off by far more: 1 bp of 1 WETH is 10^14 wei.
"""

from __future__ import annotations

import numpy as np
import pytest

from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import OracleLag
from protocol_model.sim.exact import exact_keeper

from .cases import (
    crash_book,
    crash_market,
    crash_params,
    depeg_market,
    depeg_params,
    flat_market,
    interest_params,
    tight_book,
)
from .test_engine_vs_reference import _mixed_book

REL, UNITS = 1e-9, 4

CASES = {
    "crash": (crash_params(oracle=OracleLag(1, 50, 3)), crash_market(), lambda p: crash_book(12), 12, 40),
    "depeg": (depeg_params(), depeg_market(), lambda p: _mixed_book(p).quantized(p), 16, 24),
}


def _interest_flat():
    from dataclasses import replace
    p = interest_params()
    return replace(p, assets=tuple(replace(a, amm_depth_usd=np.inf) for a in p.assets))


CASES_INTEREST = {
    "crash-interest": (interest_params(oracle=OracleLag(1, 50, 3)), crash_market(), lambda p: crash_book(12), 8, 40),
    "flat-interest": (_interest_flat(), flat_market(), lambda p: tight_book(12), 2, 30),
}


@pytest.mark.parametrize("name", list(CASES) + list(CASES_INTEREST))
def test_vectorized_agrees_with_exact_engine(name):
    params, market, make_book, n_paths, n_steps = {**CASES, **CASES_INTEREST}[name]
    book = make_book(params)
    # With interest the exact replay also accrues during its one-second pool calls (opening supplies and borrows,
    # liquidations) at the utilization of that moment: its indices lead the lab's by at most the fastest
    # per-second rate × the number of those calls (sim/exact.py). Amounts get that relative slack on top of REL,
    # twice (debt and collateral side); bad debt, the remainder of the whole debt, gets it on that debt; 0 without
    # interest. About 1e-5 here, far below 1 bp.
    fastest = max(float(a.rate.per_second(np.float64(1.0))) for a in params.assets) if params.accrues else 0.0
    lab = run_cascade(params, book, market, np.random.default_rng(3), n_paths, n_steps, record_events=True,
                      record_series=True)
    dec = [a.decimals for a in params.assets]
    seen_bad = seen_repeat = 0
    for p in range(n_paths):
        exact = exact_keeper(params, book, lab.series["oracle"][p])
        if params.accrues:
            assert sum(s.op == "accrue" for s in exact.scenario.steps) == n_steps + 1
        lead = 2 * fastest * sum(s.op in ("supply", "borrow", "liquidate") for s in exact.scenario.steps)
        mine = [e for e in lab.events if e[0] == p]
        assert [(e[1], e[2]) for e in mine] == [(e[0], e[1]) for e in exact.events], f"path {p}: decisions differ"
        assert lab.per_path["liquidation_count"][p] == exact.liquidation_count
        assert lab.per_path["bad_debt_count"][p] == sum(e[5] > 0 for e in exact.events)
        times: dict[int, int] = {}
        bad_tol = [0.0] * len(dec)
        usd = {"repaid": [0.0, 0.0], "bad debt": [0.0, 0.0]}  # the exact events priced at the lab's oracle, slack
        for m, x in zip(mine, exact.events, strict=True):
            n = times[m[2]] = times.get(m[2], 0) + 1
            c, d = int(book.coll_asset[m[2]]), int(book.debt_asset[m[2]])
            for what, lab_tokens, exact_units, k in (("repaid", m[3], x[2], d), ("seized", m[4], x[3], c),
                                                     ("fee", m[5], x[4], c), ("bad debt", m[6], x[5], d)):
                o = d if k == c else c
                px = lab.series["oracle"][p, m[1]]
                r = 10.0 ** (dec[k] - dec[o]) * px[o] / px[k]
                diff = abs(lab_tokens * 10 ** dec[k] - exact_units)
                # bad debt is the remainder of the whole debt (repaid + bad): the index lead applies to that
                tol = REL * abs(exact_units) + lead * (x[2] + x[5] if what == "bad debt" else abs(exact_units)) \
                    + UNITS * n * (1 + r)
                if what == "bad debt":
                    bad_tol[k] += tol
                if what in usd:
                    usd[what][0] += exact_units / 10 ** dec[k] * px[k]
                    usd[what][1] += tol / 10 ** dec[k] * px[k]
                assert diff <= tol, f"path {p} step {m[1]} pos {m[2]} {what}: {diff} units"
        for k, a in enumerate(params.assets):
            got, want = lab.bad_debt_tokens[p][k] * 10 ** dec[k], exact.bad_debt_units[a.name]
            assert abs(got - want) <= bad_tol[k] + UNITS, f"path {p}: total bad debt in {a.name}"
        # the per-path USD figures the reports quote (VaR/CVaR of bad debt, LaR) are those events' sums
        for field, what in (("bad_debt_usd", "bad debt"), ("liquidation_volume_usd", "repaid")):
            want_usd, slack = usd[what]
            assert abs(lab.per_path[field][p] - want_usd) <= slack + REL * want_usd, f"path {p}: {field}"
        seen_bad += sum(e[5] > 0 for e in exact.events)
        positions = [e[1] for e in exact.events]
        seen_repeat += len(positions) - len(set(positions))
    if name == "flat-interest":  # interest alone liquidates: prices never move, and nothing happens without it
        from dataclasses import replace
        off = run_cascade(replace(params, interest=False), book, market, np.random.default_rng(3), n_paths, n_steps)
        assert off.per_path["liquidation_count"].sum() == 0 < lab.per_path["liquidation_count"].sum()
        return
    assert seen_bad > 0, "no seize-all with bad debt in this case"
    assert seen_repeat > 0, "no position liquidated twice (partial close) in this case"


def test_hand_derived_liquidation_and_amm_sale():
    """One position, one step, every number derived by hand (the default story's numbers).

    10 WETH at $2,000 backs 12,000 USDC (threshold 82.5%, bonus 5%, fee 10% of the bonus, close factor 50%,
    full close below 0.95). WETH steps to $1,400: HF = 10·1400·0.825/12000 = 0.9625, so the keeper repays
    50% = 6,000 USDC and seizes 6000/1400·1.05 = 4.5 WETH, of which (4.5 − 4.5/1.05)·0.1 = 0.0214286 WETH is
    the protocol fee. HF after = 5.5·1400·0.825/6000 = 1.05875. The liquidator sells 4.5 − fee WETH into a
    pool of 500 WETH / $1M at $2,000 (k = 5e8) that arbitrage has moved to $1,400.
    """
    from protocol_model.sim.books import Book
    from protocol_model.sim.config import AssetRisk, CascadeParams
    from protocol_model.sim.paths import Bridge, Gbm, MarketModel

    params = CascadeParams((AssetRisk("USDC", 1.0, 8500, 8800, 400, 1000, 6),
                            AssetRisk("WETH", 2000.0, 8000, 8250, 500, 1000, 18, amm_depth_usd=1e6)))
    market = MarketModel((Gbm(0.0), Bridge(0.0, ((1, 0.7),))))
    book = Book.sorted([1], [0], [10.0], [12_000.0])
    out = run_cascade(params, book, market, np.random.default_rng(0), 1, 1, record_events=True, record_series=True)
    (_, step, pos, repaid, seized, fee, bad), = out.events
    assert (step, pos, bad) == (1, 0, 0.0)
    assert repaid == pytest.approx(6_000.0, rel=1e-12)
    assert seized == pytest.approx(4.5, rel=1e-12)
    assert fee == pytest.approx((4.5 - 4.5 / 1.05) * 0.1, rel=1e-12)
    assert out.per_path["min_health_factor"][0] == pytest.approx(0.9625, rel=1e-12)
    k = 500 * 1e6
    x, y = (k / 1400) ** 0.5, (k * 1400) ** 0.5
    sold = 4.5 - fee
    x2 = x + sold
    y2 = k / x2
    assert out.series["market"][0, 1, 1] == pytest.approx(y2 / x2, rel=1e-12)
    assert out.per_path["liquidator_pnl_usd"][0] == pytest.approx((y - y2) - 6_000.0, rel=1e-9)
    assert out.per_path["reserves_end_usd"][0] == pytest.approx(fee * 1400, rel=1e-12)
    hf_after = (10 - 4.5) * 1400 * 0.825 / 6000
    assert hf_after == pytest.approx(1.05875)
