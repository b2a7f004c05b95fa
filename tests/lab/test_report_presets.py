"""The simulate and compare reports state a preset's own terms (``sim.report_presets``), and a generic report is
unchanged.

* Morpho Blue: no close factor; each collateral's market LLTV and the rule's LIF min(1.15, 1/(0.3·LLTV + 0.7)) to
  2 decimals of a percent (checked against the exact twin's WAD LIF); the loan token marked "loan token (not
  collateral)", never shown at 0 % LTV / threshold / bonus.
* Aave V3: "close factor 50% above HF 0.95, 100% at or below" (no separate full-close line).
* Both: interest is not modelled for presets (``interest: true`` is refused, so the generic caveat "only with
  interest: true" must not appear); keepers liquidate even at a loss unless ``liquidators:`` sets their economics,
  which the lab accepts for presets (the report then states those economics).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from protocol_model.cli import main
from protocol_model.exact.presets.morpho_blue.morpho import liquidation_incentive_factor
from protocol_model.sim import report, report_presets
from protocol_model.sim.spec import resolve_simulation

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"
CASES = {"aave-v3": ("aave_v3_crash.yaml", "aave_v3_market"),
         "morpho-blue": ("morpho_blue_crash.yaml", "morpho_blue_wsteth"),
         "generic": ("eth_crash.yaml", None)}
GENERIC_CAVEAT = ("interest accrues along the paths only with interest: true, stablecoin redemption by keepers only "
                  "with liquidators.redeem.")
RUN = ["--paths", "30", "--workers", "1", "--no-progress"]


def _simulate(rules: str, tmp_path: Path, **change) -> str:
    sim = LAB / CASES[rules][0]
    if change:
        data = {**yaml.safe_load(sim.read_text()), **change}
        sim = tmp_path / "simulation.yaml"  # the protocol is named, not a relative path: it resolves the same
        sim.write_text(yaml.safe_dump(data))
    out = tmp_path / f"sim_{rules}"
    assert main(["simulate", str(sim), *RUN, "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert (out / "report.html").is_file()
    return md


def _param_table(md: str) -> dict[tuple[str, str], str]:
    section = md.split("## Parameters", 1)[1].split("## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| Asset")]
    return {(r[0], r[1]): r[2] for r in rows}


def _method(md: str) -> str:
    return md.split("## Method", 1)[1].split("\n\n", 2)[1]


def test_morpho_simulation_report_states_lltv_lif_and_the_loan_token(tmp_path):
    md = _simulate("morpho-blue", tmp_path)
    table = _param_table(md)
    spec = resolve_simulation(yaml.safe_load((LAB / CASES["morpho-blue"][0]).read_text()),
                              LAB / CASES["morpho-blue"][0])
    lltv = {a.name: a.liquidation_threshold_bps for a in spec.params().assets}["wstETH"]
    lif = liquidation_incentive_factor(lltv * 10**14) / 1e18  # the exact twin's WAD LIF
    assert abs(lif - min(1.15, 1 / (0.3 * lltv / 1e4 + 0.7))) < 1e-12
    assert table[("pool", "close factor")].startswith("no close factor")
    assert ("pool", "full-close health factor") not in table
    assert table[("wstETH", "LLTV")] == f"{lltv / 100:g}%"
    shown = table[("wstETH", "liquidation incentive factor (LIF)")]
    assert float(shown.split()[0]) == pytest.approx(lif, abs=5e-7)
    assert f"bonus {(lif - 1) * 100:.2f}%" in shown
    assert table[("USDC", "role")] == "loan token (not collateral)"
    assert not [k for k in table if k[0] == "USDC" and k[1] != "role"]
    assert "| 0% |" not in md.split("## Parameters", 1)[1]
    assert "100%" not in table[("pool", "close factor")]


def test_aave_simulation_report_states_the_two_level_close_factor(tmp_path):
    md = _simulate("aave-v3", tmp_path)
    table = _param_table(md)
    assert table[("pool", "close factor")] == "50% above HF 0.95, 100% at or below"
    assert ("pool", "full-close health factor") not in table
    spec = resolve_simulation(yaml.safe_load((LAB / CASES["aave-v3"][0]).read_text()), LAB / CASES["aave-v3"][0])
    for a in spec.params().assets:
        assert table[(a.name, "liquidation threshold")] == f"{a.liquidation_threshold_bps / 100:g}%"
        assert table[(a.name, "liquidation bonus")] == f"{a.liquidation_bonus_bps / 100:g}%"


@pytest.mark.parametrize("rules", ["aave-v3", "morpho-blue"])
def test_preset_method_says_no_interest_and_keepers_at_a_loss(rules, tmp_path):
    method = _method(_simulate(rules, tmp_path))
    assert "interest is not modelled for presets" in method
    assert GENERIC_CAVEAT not in method and "only with interest" not in method
    assert "even at a loss" in method and "liquidators:" in method
    assert "accepted for presets" in method


@pytest.mark.parametrize("rules", ["aave-v3", "morpho-blue"])
def test_preset_with_keeper_economics_states_them(rules, tmp_path):
    """Presets accept ``liquidators:`` in the lab; the report then says the keepers liquidate only when it pays."""
    method = _method(_simulate(rules, tmp_path, liquidators={"gas_usd": 5.0, "min_profit_usd": 10.0}))
    assert "only when it pays: at least $10.00 profit after $5.00 of gas" in method
    assert "even at a loss" not in method
    assert "interest is not modelled for presets" in method


def test_generic_simulation_report_is_unchanged(tmp_path):
    md = _simulate("generic", tmp_path)
    table = _param_table(md)
    assert table[("pool", "close factor")] == "50%"
    assert table[("pool", "full-close health factor")] == "95%"
    assert {k[1] for k in table if k[0] != "pool"} == {"LTV", "liquidation threshold", "liquidation bonus",
                                                       "protocol share of the bonus"}
    method = _method(md)
    assert ("Keepers liquidate every position with a health factor below 1 once per step, exactly as "
            "LendingPool.liquidate, and sell") in method
    assert method.endswith(f"{GENERIC_CAVEAT} Semantics and tolerances: docs/risk_lab.md.")
    assert "several collaterals" not in method  # the generic lab models cross-collateral accounts
    assert "presets" not in method and "even at a loss" not in method


@pytest.mark.parametrize("rules", ["aave-v3", "morpho-blue"])
def test_preset_compare_method(rules, tmp_path):
    out = tmp_path / "cmp"
    protocol = CASES[rules][1]
    assert main(["compare", protocol, protocol, "--simulation", str(LAB / CASES[rules][0]), *RUN,
                 "--resamples", "20", "--out", str(out)]) == 0
    method = _method((out / "report.md").read_text())
    how, bad_debt = report_presets.LIQUIDATION_TEXT[rules]
    assert how in method and bad_debt in method
    assert "LendingPool" not in method and GENERIC_CAVEAT not in method
    assert "interest is not modelled for presets" in method and "even at a loss" in method


def test_generic_compare_method_is_unchanged(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "generic", str(LAB / "weth_lt80_bonus8.yaml"), "--simulation", str(LAB / "eth_crash.yaml"),
                 *RUN, "--resamples", "20", "--out", str(out)]) == 0
    method = _method((out / "report.md").read_text())
    assert re.search(r"Keepers liquidate every position with a health factor below 1 once per step \(no gas cost, "
                     r"no minimum profit, unlimited capital\), exactly as LendingPool\.liquidate \(close factor, "
                     r"full-close line, bonus, protocol fee, seize-all and bad-debt write-off, reserves first\), and "
                     r"sell the seized collateral", method), method
    assert GENERIC_CAVEAT in method and "presets" not in method


def test_document_render_reads_rules_from_the_json():
    """``report`` re-renders from summary.json alone: the rows come from the stored rules and parameters."""
    params = {"close_factor_bps": 10_000, "full_close_hf_bps": 10_000,
              "assets": [{"name": "L", "ltv_bps": 0, "liquidation_threshold_bps": 0, "liquidation_bonus_bps": 0,
                          "liquidation_protocol_fee_bps": 0},
                         {"name": "C", "ltv_bps": 7_700, "liquidation_threshold_bps": 7_700,
                          "liquidation_bonus_bps": 742, "liquidation_protocol_fee_bps": 0}]}
    rows = {(r[0], r[1]): r[2] for r in report_presets.param_rows(params, "morpho-blue")}
    lif = liquidation_incentive_factor(7_700 * 10**14) / 1e18
    assert rows[("C", "LLTV")] == "77%"
    assert rows[("C", "liquidation incentive factor (LIF)")] == f"{lif:.6f} (bonus {(lif - 1) * 100:.2f}%)"
    assert rows[("L", "role")] == "loan token (not collateral)"
    with pytest.raises(KeyError, match="unknown rule set"):
        report_presets.param_rows(params, "compound")
    doc = {"paths": 1, "steps": 1, "seed": 0, "positions": 1, "rules": "morpho-blue"}
    assert "even at a loss" in report._method(doc)
