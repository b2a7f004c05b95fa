"""Bad scenario input gets one clear error that names the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from protocol_model.scenario.story import ScenarioError, load_scenario, parse_scenario

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"
BASE = yaml.safe_load(DEFAULT.read_text())


def override(**changes):
    """An edit that adds overrides (field path -> value, ``__`` for ``.``) to the story."""
    return lambda d: d.setdefault("overrides", {}).update({k.replace("__", "."): v for k, v in changes.items()})


def broken(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


@pytest.mark.parametrize("edit,needle", [
    (override(assets__USDC__ltv=9000), "overrides.assets.USDC.ltv: assets.USDC: ltv (90%) is above "
                                       "liquidation_threshold (88%)"),
    (override(assets__USDC__ltv="90%"), "ltv (90%) is above liquidation_threshold (88%)"),
    (override(assets__WETH__price_usd="-5"), "assets.WETH.price_usd"),
    (override(assets__WBTC__decimals="eight"), "assets.WBTC.decimals"),
    (override(assets__USDC__liquidation_threshold="97%", assets__USDC__liquidation_bonus="4%"),
     "a liquidation could never restore health"),
    (override(assets__USDC__ltv_pbs=100), "overrides.assets.USDC.ltv_pbs: no field 'ltv_pbs'"),
    (override(assets__DOGE__ltv="50%"), "overrides.assets.DOGE.ltv: 'DOGE' is not listed in assets"),
    (override(assets__USDC__ltv="80.001%"), "'80.001%' is finer than one basis point"),
    (override(assets__USDC__ltv=0.8), "write a share as a percent"),
    (lambda d: d.update(assets=["USDC", "DOGE"]), "assets: 'DOGE' is not an asset of protocol generic"),
    (lambda d: d.update(protocol="nonexistent"), "protocol: no such file 'nonexistent'"),
    (lambda d: d.update(ltv="80%"), "s.yaml: ltv: Extra inputs are not permitted"),
    (lambda d: d["accounts"][0]["balances"].update(DOGE="1"), "unknown asset 'DOGE'"),
    (lambda d: d["steps"].append({"op": "borrow", "account": "mallory", "asset": "USDC", "amount": "1"}),
     "unknown account 'mallory'"),
    (lambda d: d["steps"].append({"op": "borrow", "account": "alice", "asset": "USDT", "amount": "1"}),
     "unknown asset 'USDT'"),
    (lambda d: d["steps"].append({"op": "supply", "account": "alice", "asset": "USDC", "amount": "0.0000001"}),
     "has more than 6 decimals"),
    (lambda d: d["steps"].append({"op": "teleport"}), "'teleport' found using 'op' does not match"),
    (lambda d: d["steps"].append({"op": "warp", "seconds": 5, "expect": "Oops"}), "neither 'ok' nor a pool error"),
    (override(pool__close_factor="0%"), "pool.close_factor"),
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
