"""``compare``: current vs proposed on one fixed book and the same paths (issue #18).

* both sides run on the same book (generated once from CURRENT) and the same price paths: identical
  protocols give identical outcomes and zero change; each side equals the scalar reference run on that
  book with the chunk's seed;
* the book effects (liquidatable at once, borrowing capacity) are checked against a direct computation;
* the bootstrap's point values are ``metrics.var_cvar``'s, its intervals behave;
* the CLI: one command writes the folder; bad inputs get one line and exit code 2, nothing written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from protocol_model.cli import main
from protocol_model.scenario.base import ScenarioError
from protocol_model.sim import compare as cmp
from protocol_model.sim.metrics import summarize, var_cvar
from protocol_model.sim.reference import run_reference
from protocol_model.sim.run import build_book

REPO = Path(__file__).resolve().parents[2]
SIM = """\
kind: simulation
name: small-crash
protocol: generic
seed: 7
paths: 40
steps: 25
paths_per_chunk: 40
oracle: {delay_steps: 0, deviation_bps: 0, heartbeat_steps: 1}
arb_recovery: 0.5
assets:
  USDC: {reserves_tokens: 1000, driver: {kind: gbm, sigma_annual: 0.0}}
  WBTC:
    amm_depth_usd: 3000000
    driver: {kind: jump, sigma_annual: 0.9, jumps_per_year: 8, jump_mean_log: -0.12, jump_std_log: 0.1}
  WETH: {amm_depth_usd: 2000000, driver: {kind: gbm, sigma_annual: 1.3}}
correlation: [[1, 0, 0], [0, 1, 0.7], [0, 0.7, 1]]
book:
  synthetic: {positions: 120, debt_asset: USDC, collateral_weights: {WETH: 2, WBTC: 1}, utilization_beta: [8, 1.3],
              loop_share: 0.2, loop_leverage: 5}
"""
PROPOSAL = """\
kind: protocol
name: tighter
protocol: generic
overrides: {assets.WETH.liquidation_threshold: 80%, assets.WETH.ltv: 77%, assets.WETH.liquidation_bonus: 8%,
            assets.WETH.reserve_factor: 20%}
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "sim.yaml").write_text(SIM)
    (tmp_path / "proposal.yaml").write_text(PROPOSAL)
    return tmp_path


def _run(files, proposed="proposal.yaml", **kw):
    cur, prop, notes = cmp.load_sides("generic", files / proposed, files / "sim.yaml")
    return cmp.compare(cur, prop, resamples=200, workers=1, notes=notes, **kw)


def test_same_protocol_gives_identical_paths_and_zero_change(files):
    r = _run(files, proposed=str(cmp.protocol_file("generic")))
    a, b = r.outcomes["current"], r.outcomes["proposed"]
    for k, v in a.per_path.items():
        np.testing.assert_array_equal(v, b.per_path[k], err_msg=k)
    assert r.diff == []
    for rows in r.scopes.values():
        for row in rows:
            assert row["change"] == 0, row["key"]
            if not row["exact"]:
                assert row["change_lo"] == row["change_hi"] == 0, row["key"]


def test_both_sides_on_the_fixed_book_equal_the_scalar_reference(files):
    r = _run(files)
    cur, prop = r.current, r.proposed
    # the book is CURRENT's, held fixed: the proposed LTV (77%) would have drawn smaller debts
    np.testing.assert_array_equal(r.book.debt_tokens, build_book(cur.spec, cur.params).debt_tokens)
    assert not np.array_equal(r.book.debt_tokens, build_book(prop.spec, prop.params).debt_tokens)
    seed = np.random.SeedSequence(cur.spec.seed).spawn(2)[1].spawn(1)[0]  # the one chunk's stream
    for side in (cur, prop):
        ref = run_reference(side.params, r.book, side.spec.market(), np.random.default_rng(seed), r.paths,
                            cur.spec.steps)
        got = r.outcomes[side.label]
        for k in ("bad_debt_usd", "liquidation_count", "liquidation_volume_usd"):
            np.testing.assert_allclose(got.per_path[k], ref.per_path[k], rtol=1e-9, atol=1e-9, err_msg=k)
        for k, v in ref.per_asset.items():
            np.testing.assert_allclose(got.per_asset[k], v, rtol=1e-9, atol=1e-9, err_msg=k)
    # common random numbers: the exogenous prices are the same on both sides, path by path
    np.testing.assert_array_equal(r.outcomes["current"].per_asset["min_fundamental_rel"],
                                  r.outcomes["proposed"].per_asset["min_fundamental_rel"])
    # the change matters on these paths
    assert r.outcomes["current"].per_path["liquidation_count"].sum() != r.outcomes["proposed"].per_path[
        "liquidation_count"].sum()


def test_point_values_are_the_summary_metrics(files):
    r = _run(files)
    total = {row["key"]: row for row in r.scopes["Total"]}
    for side in ("current", "proposed"):
        s = summarize(r.outcomes[side].per_path)
        for key in ("bad_debt_probability", "bad_debt_mean_usd", "bad_debt_var95_usd", "bad_debt_var99_usd",
                    "bad_debt_cvar95_usd", "bad_debt_cvar99_usd", "liquidations_at_risk95_usd",
                    "liquidations_at_risk99_usd", "liquidation_volume_mean_usd"):
            assert total[key][side] == pytest.approx(s[key], rel=1e-12, abs=1e-9), key
        for key in ("bad_debt_probability", "bad_debt_mean_usd", "liquidation_volume_mean_usd"):
            assert total[key][f"{side}_lo"] <= total[key][side] <= total[key][f"{side}_hi"], key
    # per collateral asset: the scopes add up to the total (bad debt is additive, its mean too)
    scopes = [k for k in r.scopes if k != "Total"]
    assert sorted(scopes) == ["WBTC", "WETH"]
    mean = lambda scope: {x["key"]: x for x in r.scopes[scope]}["bad_debt_mean_usd"]["proposed"]  # noqa: E731
    assert sum(mean(s) for s in scopes) == pytest.approx(mean("Total"), rel=1e-9)


def test_book_effects_by_hand(files):
    r = _run(files)
    cur, book = r.current.params, r.book
    weth = cur.index("WETH")
    price = np.array(cur.initial_prices)
    coll_usd = book.coll_tokens * price[book.coll_asset]
    debt_usd = book.debt_tokens * price[book.debt_asset]
    on = book.coll_asset == weth
    hf_new = coll_usd * 0.80 / debt_usd  # WETH threshold 80% after the change
    newly = on & (hf_new < 1) & (coll_usd * 0.825 / debt_usd >= 1)
    rows = {x["key"]: x for x in r.scopes["WETH"]}
    assert newly.sum() > 0  # the case makes some positions liquidatable at once
    assert rows["positions_liquidatable_at_once"]["change"] == newly.sum()
    assert rows["debt_liquidatable_at_once_usd"]["change"] == pytest.approx(debt_usd[newly].sum(), rel=1e-12)
    assert rows["borrowing_capacity_usd"]["change"] == pytest.approx(coll_usd[on].sum() * (0.77 - 0.80), rel=1e-9)
    assert {x["key"]: x for x in r.scopes["WBTC"]}["borrowing_capacity_usd"]["change"] == 0
    # positions made liquidatable at once are liquidated in the first step on most paths
    assert r.outcomes["proposed"].per_path["liquidation_count"].mean() > r.outcomes["current"].per_path[
        "liquidation_count"].mean()
    # the diff names every changed field and which ones the lab reads
    diff = {d["field"]: d for d in r.diff}
    assert diff["assets.WETH.liquidation_threshold_bps"]["current"] == 8250
    assert diff["assets.WETH.liquidation_threshold_bps"]["proposed"] == 8000
    assert diff["assets.WETH.ltv_bps"]["modelled"] and not diff["assets.WETH.reserve_factor_bps"]["modelled"]


def test_bootstrap_matches_var_cvar_and_normal_theory():
    rng = np.random.default_rng(3)
    x = rng.lognormal(0, 1.5, 4000)
    y = x * 1.1
    for stat, level, is_cvar in (("var95", 0.95, False), ("cvar99", 0.99, True)):
        got = cmp.bootstrap(x, y, cmp.STATS[stat], np.random.default_rng(1), 50)
        assert got["current"] == var_cvar(x, level)[is_cvar]
        assert got["change"] == pytest.approx(var_cvar(y, level)[is_cvar] - var_cvar(x, level)[is_cvar])
    z = rng.standard_normal(2000)
    ci = cmp.bootstrap(z, z + 1.0, cmp.STATS["mean"], np.random.default_rng(2), 2000)
    half = 1.96 * z.std() / math.sqrt(z.size)
    assert (ci["current_hi"] - ci["current_lo"]) / 2 == pytest.approx(half, rel=0.12)
    assert ci["change_lo"] == pytest.approx(1.0) and ci["change_hi"] == pytest.approx(1.0)  # paired resamples
    with pytest.raises(ValueError):
        cmp.bootstrap(z, z[:-1], cmp.STATS["mean"], np.random.default_rng(2), 10)


def test_bootstrap_from_draw_counts_equals_the_resampled_statistic():
    """The resamples' statistics computed from draw counts (``Statistic.resampled``) are the statistic of the
    resampled copies (exact for VaR and the probability, to rounding for means), with ties and many zeros;
    ``bootstrap_many`` draws each block once for every triple: a single triple is ``bootstrap``, and a statistic
    given as a plain function (resampled copies) sees the same resamples as the counted one."""
    rng = np.random.default_rng(5)
    n = 3000
    x = np.where(rng.random(n) < 0.7, 0.0, rng.lognormal(10, 2, n))
    x[:40] = x[40]  # ties in the tail
    idx = rng.integers(0, n, (60, n))
    counts = np.stack([np.bincount(r, minlength=n) for r in idx]).astype(float)
    order = np.argsort(-x, kind="stable")
    for name, stat in cmp.STATS.items():
        got, want = stat.resampled(x, counts, order), stat(x[idx])
        if name.startswith("var") or name == "probability":
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
    y = x * rng.uniform(0.8, 1.3, n)
    one = cmp.bootstrap(x, y, cmp.STATS["cvar95"], np.random.default_rng(9), 450)
    both = cmp.bootstrap_many([(x, y, cmp.STATS["cvar95"]), (x, y, lambda a: cmp.STATS["cvar95"](a))],
                              np.random.default_rng(9), 450)
    assert both[0] == one
    for key, value in one.items():
        assert both[1][key] == pytest.approx(value, rel=1e-12), key
    with pytest.raises(ValueError):
        cmp.bootstrap_many([], np.random.default_rng(9), 10)


def test_book_file_round_trip_and_errors(files, tmp_path):
    r = _run(files)
    params = r.current.params
    path = cmp.write_book(r.book, params, tmp_path / "book.csv")
    back = cmp.read_book(path, params)
    for f in ("coll_asset", "debt_asset", "coll_tokens", "debt_tokens"):
        np.testing.assert_array_equal(getattr(back, f), getattr(r.book, f))
    again = _run(files, book=back, book_source="read from book.csv")
    np.testing.assert_array_equal(again.outcomes["proposed"].per_path["bad_debt_usd"],
                                  r.outcomes["proposed"].per_path["bad_debt_usd"])
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text().replace("WETH", "WETX", 1))
    with pytest.raises(ScenarioError, match=r"bad.csv: line \d+: collateral: unknown asset 'WETX'"):
        cmp.read_book(bad, params)
    bad.write_text("position,collateral\np0,WETH\n")
    with pytest.raises(ScenarioError, match="missing column"):
        cmp.read_book(bad, params)


def test_cli_one_command_writes_the_report(files, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", "generic", str(files / "proposal.yaml"), "--simulation", str(files / "sim.yaml"),
                 "--out", str(out), "--workers", "1", "--no-progress", "--resamples", "100"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "WETH liquidation threshold: 82.5% -> 80%" in printed and "book: fixed" in printed
    for f in ("report.md", "report.html", "compare.json", "compare.csv", "paths.csv", "book.csv",
              "bad_debt_tail.png", "fan_price_WETH.png"):
        assert (out / f).is_file(), f
    doc = json.loads((out / "compare.json").read_text())
    assert doc["book"]["held"] == "fixed" and doc["paths"] == 40
    md = (out / "report.md").read_text()
    assert md.index("| WETH liquidation threshold | 82.5% | 80% | yes |") < md.index("Bad debt exceeded on 1%")
    assert "Book: fixed" in md and "WETH reserve factor | 15% | 20% | no (not modelled)" in md
    assert "data:image/png;base64," in (out / "report.html").read_text()
    paths = (out / "paths.csv").read_text().splitlines()
    assert len(paths) == 41 and "proposed_WETH_induced_drop" in paths[0]


@pytest.mark.parametrize("args, message", [
    (["generic", "nope.yaml"], "no such protocol file"),
    (["generic", "PROPOSAL", "--verify-on-chain", "-1"], "--verify-on-chain: the number of worst paths must be"),
    (["generic", "PROPOSAL", "--book", "missing.csv"], "cannot read the book file"),
    (["generic", "PROPOSAL", "--resamples", "0"], "--resamples: 0 is not a valid number of bootstrap resamples"),
    (["generic", "PROPOSAL", "--resamples", "-3"], "--resamples: -3 is not a valid number of bootstrap resamples"),
])
def test_cli_bad_inputs(files, tmp_path, capsys, args, message):
    out = tmp_path / "never"
    args = [a.replace("PROPOSAL", str(files / "proposal.yaml")) for a in args]
    code = main(["compare", *args, "--simulation", str(files / "sim.yaml"), "--out", str(out), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_shipped_example_is_one_command():
    proposal = REPO / "scenarios/lab/weth_lt80_bonus8.yaml"
    cur, prop, _ = cmp.load_sides("generic", proposal, REPO / "scenarios/lab/eth_crash.yaml")
    diff = {d["field"]: (d["current"], d["proposed"]) for d in
            cmp.parameter_diff(cur.protocol, prop.protocol, ["USDC", "WBTC", "WETH"])}
    assert diff == {"assets.WETH.liquidation_threshold_bps": (8250, 8000),
                    "assets.WETH.liquidation_bonus_bps": (500, 800)}


def test_compare_on_a_dask_cluster_gives_identical_numbers(files):
    """Issue #18's scale-out: the same compare on a Dask cluster (a LocalCluster started here) and in one
    process: every metric row, interval and per-path outcome identical."""
    from distributed import LocalCluster

    local = _run(files, fan_paths=0)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = _run(files, fan_paths=0, scheduler=cluster.scheduler_address)
    assert remote.scopes == local.scopes
    for side in ("current", "proposed"):
        for k, v in local.outcomes[side].per_path.items():
            np.testing.assert_array_equal(remote.outcomes[side].per_path[k], v, err_msg=f"{side} {k}")


UNREAD = """\
kind: protocol
name: irrelevant
protocol: generic
overrides: {assets.WETH.reserve_factor: 35%, assets.USDC.liquidation_bonus: 7%, assets.USDC.liquidation_threshold: 86%}
"""


def test_parameters_that_cannot_matter_change_nothing(files):
    """A proposal that changes only what cannot act on these paths — WETH's reserve factor (interest is off) and
    USDC's bonus and threshold (USDC backs no position: it is only borrowed) — gives bit-identical paths and a
    change of exactly 0 with a [0, 0] interval, though the diff lists every changed field."""
    (files / "unread.yaml").write_text(UNREAD)
    r = _run(files, proposed="unread.yaml")
    a, b = r.outcomes["current"], r.outcomes["proposed"]
    assert not np.isin(r.book.coll_asset, [0]).any()  # USDC (asset 0) is never collateral in this book
    for k, v in a.per_path.items():
        assert v.tobytes() == b.per_path[k].tobytes(), k
    for k, v in a.per_asset.items():
        assert v.tobytes() == b.per_asset[k].tobytes(), k
    assert {d["field"] for d in r.diff} == {"assets.WETH.reserve_factor_bps", "assets.USDC.liquidation_bonus_bps",
                                            "assets.USDC.liquidation_threshold_bps"}
    assert a.per_path["liquidation_count"].sum() > 0 and a.per_path["bad_debt_usd"].sum() > 0
    for rows in r.scopes.values():
        for row in rows:
            assert row["change"] == 0, row["key"]
            if not row["exact"]:
                assert row["change_lo"] == row["change_hi"] == 0, row["key"]
