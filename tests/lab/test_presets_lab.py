"""The risk lab speaks presets (issue #17, item 5): a simulation whose protocol says ``rules: aave-v3`` or
``rules: morpho-blue`` liquidates by that protocol's rule (``sim.liquidation_rules``).

Checked on shared cases (the shipped example simulations, a small book and a few price paths):

* vectorized engine == scalar reference: same liquidations (path, step, position), amounts and per-path metrics
  to 1e-9 relative (as ``test_engine_vs_reference``);
* vectorized engine == the exact preset twin (``exact/presets``: Aave V3 1.19.3's ``liquidationCall``, Morpho
  Blue 1.0.0's ``liquidate``) driven by the lab's oracle prices (``sim.exact_presets``): the same liquidations in
  the same order, and every repaid, seized, fee and bad-debt amount within the lab's documented float tolerance
  ``1e-9·|x| + 4·n·(1 + r)`` units (docs/risk_lab.md, ``test_engine_vs_exact``);
* the rule's constants against the exact twins' (close-factor switch at 0.95, Morpho's LIF), and by hand.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from protocol_model.cli import main
from protocol_model.exact.presets.aave_v3.liquidation_logic import CLOSE_FACTOR_HF_THRESHOLD, close_factor
from protocol_model.exact.presets.morpho_blue.morpho import liquidation_incentive_factor
from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.protocol import load_protocol
from protocol_model.sim.books import Book
from protocol_model.sim.cascade import quantize_oracle, run_cascade
from protocol_model.sim.config import AssetRisk, CascadeParams
from protocol_model.sim.exact_presets import preset_keeper
from protocol_model.sim.liquidation_rules import AaveV3Rule, MorphoBlueRule
from protocol_model.sim.paths import Bridge, Gbm, MarketModel
from protocol_model.sim.reference import run_reference
from protocol_model.sim.run import build_book
from protocol_model.sim.spec import load_simulation, resolve_simulation

from .test_engine_scale import _assert_same

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"
REL, UNITS = 1e-9, 4
CASES = {"aave-v3": ("aave_v3_crash.yaml", "aave_v3_market"), "morpho-blue": ("morpho_blue_crash.yaml",
                                                                                "morpho_blue_wsteth")}


def _case(rules: str, positions: int = 16):
    """The shipped example's parameters and market, its first ``positions`` positions (whole token units, debts
    within the LTV at the starting oracle prices: what the exact twin lets them borrow)."""
    spec = load_simulation(LAB / CASES[rules][0])
    params = spec.params()
    b = build_book(spec, params)
    keep = slice(0, positions)
    book = Book.sorted(b.coll_asset[keep], b.debt_asset[keep], b.coll_tokens[keep], b.debt_tokens[keep])
    book = book.quantized(params).borrowable(params, quantize_oracle(np.array(params.initial_prices)))
    return spec, params, book


@pytest.mark.parametrize("rules", list(CASES))
def test_engine_equals_scalar_reference(rules):
    spec, params, _ = _case(rules)
    book = build_book(spec, params)  # the whole 500-position book
    vec = run_cascade(params, book, spec.market(), np.random.default_rng(7), 12, 60, record_events=True)
    ref = run_reference(params, book, spec.market(), np.random.default_rng(7), 12, 60)
    _assert_same(vec, ref)
    per = vec.per_path
    assert per["liquidation_count"].sum() > 500 and per["bad_debt_count"].sum() > 0
    assert per["reserves_used_usd"].sum() == 0  # neither preset takes bad debt out of reserves
    if rules == "aave-v3":  # 1.19.3 writes off nothing: the debt stays owed
        assert per["supplier_loss_usd"].sum() == 0 and per["reserves_end_usd"].sum() > 0  # the protocol fee
    else:  # Morpho realises it on the suppliers, all of it
        np.testing.assert_allclose(per["supplier_loss_usd"], per["bad_debt_usd"], rtol=1e-12)


def _kinds(lab_events, book: Book) -> set[str]:
    """What each liquidation was, from the lab's events in order: a partial close, a full close (all the debt,
    collateral left), or a seize-all (collateral gone; bad debt when debt is left)."""
    debt = dict(enumerate(book.debt_tokens.tolist()))
    out = set()
    for _, _, i, repaid, _, _, bad in lab_events:
        if bad > 0:
            out.add("seize-all with bad debt")
        elif repaid == pytest.approx(debt[i], rel=1e-12):
            out.add("full close")
        else:
            out.add("half" if repaid == pytest.approx(debt[i] / 2, rel=1e-12) else "other")
        debt[i] -= repaid + bad
    return out


@pytest.mark.parametrize("rules", list(CASES))
def test_engine_equals_exact_preset_twin(rules):
    spec, params, book = _case(rules)
    protocol = load_protocol(CASES[rules][1])
    n_paths, n_steps = 8, 60
    lab = run_cascade(params, book, spec.market(), np.random.default_rng(1), n_paths, n_steps, record_events=True,
                      record_series=True)
    dec = [a.decimals for a in params.assets]
    kinds: set[str] = set()
    worst = 0.0
    for p in range(n_paths):
        oracle = lab.series["oracle"][p]
        exact = preset_keeper(protocol, params, book, oracle)
        mine = [e for e in lab.events if e[0] == p]
        assert [e[1:3] for e in mine] == [e[:2] for e in exact.events], f"path {p}: decisions differ"
        kinds |= _kinds(mine, book)
        times: dict[int, int] = {}
        bad_tol = [float(UNITS)] * len(dec)
        for m, x in zip(mine, exact.events, strict=True):
            n = times[m[2]] = times.get(m[2], 0) + 1
            c, d = int(book.coll_asset[m[2]]), int(book.debt_asset[m[2]])
            for what, tokens, units, k, o in (("repaid", m[3], x[2], d, c), ("seized", m[4], x[3], c, d),
                                              ("fee", m[5], x[4], c, d), ("bad debt", m[6], x[5], d, c)):
                r = 10.0 ** (dec[k] - dec[o]) * oracle[m[1], o] / oracle[m[1], k]  # one unit of o in units of k
                diff, tol = abs(tokens * 10 ** dec[k] - units), REL * abs(units) + UNITS * n * (1 + r)
                assert diff <= tol, f"path {p} {m[1:3]} {what}: {diff} units"
                bad_tol[k] += tol if what == "bad debt" else 0.0
                worst = max(worst, diff / max(abs(units), 1))
        for k, a in enumerate(params.assets):
            got = lab.bad_debt_tokens[p][k] * 10 ** dec[k]
            assert abs(got - exact.bad_debt_units[a.name]) <= bad_tol[k], f"path {p}: total bad debt in {a.name}"
    print(f"\n{rules}: {len(lab.events)} liquidations on {n_paths} paths equal the exact twin's; "
          f"largest difference {worst:.2g} relative; kinds {sorted(kinds)}")
    expected = {"half", "full close", "seize-all with bad debt"} if rules == "aave-v3" else \
        {"full close", "seize-all with bad debt"}
    assert kinds == expected  # Aave: both sides of the 0.95 switch; Morpho: no close factor at all


def test_rule_constants_equal_the_exact_twins():
    wad = 10**18
    aave = AaveV3Rule()
    for hf in (0.5, 0.9, 0.949999, 0.95, 0.950001, 0.99):
        assert aave.close_factor(np.float64(hf)) * 10_000 == close_factor(int(round(hf * 1e6)) * wad // 10**6)
    assert CLOSE_FACTOR_HF_THRESHOLD == int(aave.close_factor_hf_threshold * 100) * wad // 100
    morpho = MorphoBlueRule()
    for lltv_bps in (3_850, 5_000, 7_700, 8_600, 9_150, 9_450, 9_650, 9_800):
        exact = liquidation_incentive_factor(lltv_bps * wad // 10_000) / wad
        assert morpho.incentive(lltv_bps / 1e4, 1.0) == pytest.approx(exact, rel=1e-15, abs=2e-18)
    assert morpho.incentive(0.86, 9.9) == pytest.approx(1 / (0.3 * 0.86 + 0.7), rel=1e-15)  # bonus not read
    assert morpho.incentive(0.3, 1.0) == 1.15  # the cap


def _one(rules: str, drop: float, debt: float):
    """One position, one step by hand: 10 WETH (threshold 82.5%, bonus 5%, fee 10%) against ``debt`` USDC (Aave),
    or 1 wstETH (LLTV 86%) against ``debt`` USDC (Morpho), the collateral's price × ``drop``."""
    if rules == "aave-v3":
        assets = (AssetRisk("USDC", 1.0, 7700, 8000, 450, 1000, 6), AssetRisk("WETH", 2000.0, 8000, 8250, 500, 1000))
        params = CascadeParams(assets, 5_000, 9_500, rules="aave-v3")
        book = Book.sorted([1], [0], [10.0], [debt])
    else:
        assets = (AssetRisk("USDC", 1.0, 0, 0, 0, 0, 6), AssetRisk("wstETH", 3000.0, 8600, 8600, 438, 0))
        params = CascadeParams(assets, 10_000, 10_000, rules="morpho-blue")
        book = Book.sorted([1], [0], [1.0], [debt])
    market = MarketModel((Gbm(0.0), Bridge(0.0, ((1, drop),))))
    out = run_cascade(params, book, market, np.random.default_rng(0), 1, 1, record_events=True)
    ref = run_reference(params, book, market, np.random.default_rng(0), 1, 1)
    _assert_same(out, ref)
    return out


def test_by_hand():
    # Aave, WETH at $1,400: HF = 10·1400·0.825/12000 = 0.9625 > 0.95: half the debt, 6000/1400·1.05 = 4.5 WETH
    (_, _, _, repaid, seized, fee, bad), = _one("aave-v3", 0.7, 12_000.0).events
    assert (repaid, bad) == (pytest.approx(6_000.0, rel=1e-12), 0.0) and seized == pytest.approx(4.5, rel=1e-12)
    assert fee == pytest.approx((4.5 - 4.5 / 1.05) * 0.1, rel=1e-12)
    # at $1,380: HF = 0.94875 <= 0.95: all 12,000 USDC, 12000/1380·1.05 = 9.1304 WETH (collateral left)
    (_, _, _, repaid, seized, _, bad), = _one("aave-v3", 0.69, 12_000.0).events
    assert (repaid, bad) == (12_000.0, 0.0) and seized == pytest.approx(12_000 / 1380 * 1.05, rel=1e-12)
    # at $1,000 (HF 0.6875): 12000·1.05/1000 = 12.6 WETH > 10: all 10 seized for 10·1000/1.05 = 9523.81 USDC;
    # 2476.19 USDC stays owed: reported as bad debt, but nothing is written off (1.19.3)
    out = _one("aave-v3", 0.5, 12_000.0)
    (_, _, _, repaid, seized, _, bad), = out.events
    assert seized == 10.0 and repaid == pytest.approx(10_000 / 1.05, rel=1e-12)
    assert bad == pytest.approx(12_000 - 10_000 / 1.05, rel=1e-12)
    assert out.per_path["bad_debt_usd"][0] == pytest.approx(bad, rel=1e-12)
    assert out.per_path["supplier_loss_usd"][0] == out.per_path["reserves_used_usd"][0] == 0.0
    # Morpho, LLTV 86%: LIF = 1/(0.3·0.86 + 0.7) = 1.043841; wstETH at $2,800 (HF 0.9632): the whole 2,500 USDC
    # debt for 2500/2800·LIF wstETH
    lif = 1 / (0.3 * 0.86 + 0.7)
    (_, _, _, repaid, seized, fee, bad), = _one("morpho-blue", 2800 / 3000, 2_500.0).events
    assert (repaid, fee, bad) == (2_500.0, 0.0, 0.0) and seized == pytest.approx(2500 / 2800 * lif, rel=1e-12)
    # at $2,300: 2500/2300·LIF = 1.1346 > 1 wstETH: all of it, for 2300/LIF USDC; the rest is socialised
    out = _one("morpho-blue", 2300 / 3000, 2_500.0)
    (_, _, _, repaid, seized, _, bad), = out.events
    assert seized == 1.0 and repaid == pytest.approx(2300 / lif, rel=1e-12)
    assert bad == pytest.approx(2500 - 2300 / lif, rel=1e-12)
    assert out.per_path["supplier_loss_usd"][0] == pytest.approx(bad, rel=1e-12)


def _sim(rules: str, **change) -> dict:
    import yaml

    data = yaml.safe_load((LAB / CASES[rules][0]).read_text())
    return {**data, **change}


@pytest.mark.parametrize("rules, change, message", [
    ("aave-v3", {"interest": True}, "interest: the lab accrues the generic pool's kinked curve"),
    ("aave-v3", {"assets": {"USDC": {}, "GHO": {}}}, "assets: 'GHO' is not a reserve of the Aave V3 market"),
    ("morpho-blue", {"assets": {"USDC": {}, "WETH": {}}}, "assets.WETH: 0 Morpho Blue markets lend USDC against WETH"),
    ("morpho-blue", {"book": {"scenario": "x.yaml"}}, "book.scenario: importing a story's accounts needs rules: "
                                                      "generic"),
])
def test_bad_preset_simulations_name_the_field(rules, change, message):
    with pytest.raises((ScenarioError, ValueError), match=message.replace("(", r"\(")):
        resolve_simulation(_sim(rules, **change), LAB / CASES[rules][0]).params()


def test_morpho_reserves_are_refused():
    spec, params, _ = _case("morpho-blue")
    with pytest.raises(ValueError, match="Morpho Blue has no reserves"):
        replace(params, assets=tuple(replace(a, reserves_tokens=1.0) for a in params.assets))


@pytest.mark.parametrize("rules", list(CASES))
def test_simulate_and_compare_accept_the_presets(rules, tmp_path, capsys):
    sim = str(LAB / CASES[rules][0])
    out = tmp_path / "sim"
    assert main(["simulate", sim, "--paths", "40", "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    assert (out / "report.md").is_file()
    cmp_out = tmp_path / "cmp"
    protocol = CASES[rules][1]
    assert main(["compare", protocol, protocol, "--simulation", sim, "--paths", "40", "--workers", "1",
                 "--no-progress", "--resamples", "50", "--out", str(cmp_out)]) == 0
    assert (cmp_out / "compare.json").is_file()


def test_compare_lists_preset_parameters(tmp_path):
    """A proposal that changes a preset's fields (an Aave reserve's threshold, a Morpho market's LLTV) is listed
    as modelled, and the lab's result moves with it."""
    from protocol_model.sim import compare as cmp

    for rules, field, value in (("aave-v3", "aave_v3.reserves.WETH.liquidation_threshold", "84%"),
                                ("morpho-blue", "morpho.markets.wstETH_USDC.lltv", "80%")):
        proposal = tmp_path / f"{rules}.yaml"
        proposal.write_text(f"kind: protocol\nname: proposal\nprotocol: {CASES[rules][1]}\n"
                            f"overrides: {{{field}: {value}}}\n")
        cur, prop, _ = cmp.load_sides(CASES[rules][1], proposal, LAB / CASES[rules][0])
        diff = cmp.parameter_diff(cur.protocol, prop.protocol, [a.name for a in cur.spec.assets])
        assert [(d["field"].rsplit(".", 1)[0] + "." + d["field"].rsplit(".", 1)[1].removesuffix("_bps"),
                 d["modelled"]) for d in diff] == [(field, True)]
        lt = {a.name: a.liquidation_threshold_bps for a in prop.spec.assets}
        assert lt["WETH" if rules == "aave-v3" else "wstETH"] == int(value[:-1]) * 100
