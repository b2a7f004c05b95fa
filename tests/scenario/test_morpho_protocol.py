"""The Morpho Blue preset in files: ``rules: morpho-blue`` protocol files and Morpho stories, valid ones load and
each invalid one is refused with one error naming the file, the field and the rule."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.morpho_story import load_morpho_story
from protocol_model.scenario.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "morpho_blue_wsteth.yaml"
STORY = ROOT / "scenarios" / "presets" / "morpho" / "seize_by_collateral.yaml"
BASE = yaml.safe_load(PROTOCOL.read_text())


def test_the_example_protocol_loads_in_engine_units():
    p = load_protocol("morpho_blue_wsteth")
    assert p.rules == "morpho-blue" and p.morpho is not None and not p.assets
    usdc = p.morpho.markets["wstETH_USDC"]
    assert (usdc.lltv, usdc.fee) == (86 * 10**16, 10**17)
    assert p.morpho.market_price("wstETH_USDC") == 3000 * 10**36 * 10**6 // 10**18


def _write(tmp_path: Path, edit) -> Path:
    data = copy.deepcopy(BASE)
    edit(data)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("edit,needle", [
    (lambda d: d.pop("morpho"), "rules: morpho-blue and a 'morpho:' section"),
    (lambda d: d.update(rules="generic"), "rules: morpho-blue and a 'morpho:' section"),
    (lambda d: d["morpho"]["markets"]["wstETH_USDC"].update(lltv="100%"), "morpho.markets.wstETH_USDC.lltv"),
    (lambda d: d["morpho"]["markets"]["wstETH_USDC"].update(fee="26%"), "morpho.markets.wstETH_USDC.fee"),
    (lambda d: d["morpho"]["markets"]["wstETH_USDC"].update(loan_token="DAI"), "unknown token 'DAI'"),
    (lambda d: d["morpho"]["markets"]["wstETH_USDC"].update(loan_token="wstETH"), "are the same"),
    (lambda d: d["morpho"]["markets"]["wstETH_USDC"].update(irm="Adaptive"), "morpho.markets.wstETH_USDC.irm"),
    (lambda d: d["morpho"].update(version="1.1.0"), "morpho.version"),
    (lambda d: d["morpho"]["markets"]["wstETH_USDC"].update(price="1e-40"), "finer than the oracle's resolution"),
    (lambda d: d.update(assets=yaml.safe_load((ROOT / "protocols" / "generic.yaml").read_text())["assets"]),
     "states its markets under 'morpho:', not 'assets:'"),
])
def test_a_bad_protocol_is_refused_by_field(tmp_path, edit, needle):
    path = _write(tmp_path, edit)
    with pytest.raises(ScenarioError) as info:
        load_protocol(path)
    assert str(info.value).startswith(str(path)) and needle in str(info.value), str(info.value)


STORY_BASE = yaml.safe_load(STORY.read_text())


@pytest.mark.parametrize("edit,needle", [
    (lambda d: d["steps"][3].update(who="mallory"), "steps.3.who: unknown account 'mallory'"),
    (lambda d: d["steps"].append({"op": "liquidate", "who": "carol"}), "liquidate needs 'borrower'"),
    (lambda d: d["steps"].append({"op": "set_fee"}), "set_fee needs 'fee'"),
    (lambda d: d.update(market="nowhere"), "market: unknown market 'nowhere'"),
    (lambda d: d["steps"][0].update(token="DAI"), "steps.0.token: unknown token 'DAI'"),
    (lambda d: d["steps"][0].update(op="flash"), "steps.0.op"),
    (lambda d: d["steps"][0].update(wait=0), "steps.0.wait"),
    (lambda d: d.update(fee_recipient="zed"), "fee_recipient: unknown account 'zed'"),
    (lambda d: d.update(protocol="generic"), "has rules: generic, not morpho-blue"),
])
def test_a_bad_story_is_refused_by_field(tmp_path, edit, needle):
    data = copy.deepcopy(STORY_BASE)
    data["protocol"] = str(PROTOCOL)
    edit(data)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as info:
        load_morpho_story(path)
    assert needle in str(info.value), str(info.value)


def test_a_story_amount_finer_than_the_token_is_refused():
    from protocol_model.world.morpho_blue_world import MorphoAddresses, story_ops

    story, spec = load_morpho_story(STORY)
    bad = story.model_copy(update={"steps": [story.steps[3].model_copy(update={"assets": "0.0000001"})]})
    with pytest.raises(ValueError, match=r"steps.0.assets: 0.0000001 has more than 6 decimals"):
        story_ops(bad, spec, MorphoAddresses.for_model(spec, story.accounts))
