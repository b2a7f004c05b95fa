"""Bad scenario input gets one clear error that names the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from protocol_model.scenario.story import ScenarioError, load_scenario, parse_scenario

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"
BASE = yaml.safe_load(DEFAULT.read_text())


def broken(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


@pytest.mark.parametrize("edit,needle", [
    (lambda d: d["assets"][0].update(ltv_bps=9000), "ltv_bps (9000) is above liquidation_threshold_bps"),
    (lambda d: d["assets"][2].update(price_usd="-5"), "assets.2.price_usd"),
    (lambda d: d["assets"][1].update(decimals="eight"), "assets.1.decimals"),
    (lambda d: d["assets"][0].update(liquidation_threshold_bps=9700, liquidation_bonus_bps=400),
     "a liquidation could never restore health"),
    (lambda d: d["assets"][0].update(ltv_pbs=100), "assets.0.ltv_pbs"),
    (lambda d: d["accounts"][0]["balances"].update(DOGE="1"), "unknown asset 'DOGE'"),
    (lambda d: d["steps"].append({"op": "borrow", "account": "mallory", "asset": "USDC", "amount": "1"}),
     "unknown account 'mallory'"),
    (lambda d: d["steps"].append({"op": "borrow", "account": "alice", "asset": "USDT", "amount": "1"}),
     "unknown asset 'USDT'"),
    (lambda d: d["steps"].append({"op": "supply", "account": "alice", "asset": "USDC", "amount": "0.0000001"}),
     "has more than 6 decimals"),
    (lambda d: d["steps"].append({"op": "teleport"}), "'teleport' found using 'op' does not match"),
    (lambda d: d["steps"].append({"op": "warp", "seconds": 5, "expect": "Oops"}), "neither 'ok' nor a pool error"),
    (lambda d: d["pool"].update(close_factor_bps=0), "pool.close_factor_bps"),
])
def test_one_clear_error_naming_the_field(edit, needle):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(broken(edit), "s.yaml")
    assert needle in str(err.value)
    assert str(err.value).startswith("s.yaml: ")
    assert str(err.value).count("\n") == 0


def test_yaml_syntax_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)


def test_default_scenario_loads():
    s = load_scenario(DEFAULT)
    assert [a.decimals for a in s.assets] == [6, 8, 18]
    assert s.asset("WETH").units("1.5") == 15 * 10**17
