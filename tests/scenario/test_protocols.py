"""Protocol files are the only place a risk parameter is written; everything else refers to one. Bad input
(typo, unknown field, override of a missing field, override breaking a rule, missing or circular reference,
wrong kind) gets one line naming the file, the field path and the rule; exit 2; nothing run or written."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from protocol_model.cli import main
from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.protocol import load_protocol, protocol_from_dict
from protocol_model.scenario.units import parse_bps

ROOT = Path(__file__).resolve().parents[2]
RISK = ({"ltv", "ltv_bps"}, {"liquidation_threshold", "liquidation_threshold_bps"},
        {"liquidation_bonus", "liquidation_bonus_bps"})
MARGIN = ({"initial_margin", "initial_margin_bps"}, {"maintenance_margin", "maintenance_margin_bps"})


def _full_definitions(node, where="") -> list[str]:
    """Places in a YAML document that state an asset's (or a perp market's) risk parameters in full."""
    found = []
    if isinstance(node, dict):
        keys = {str(k) for k, v in node.items() if not isinstance(v, dict)}  # a range ({low, high}) states none
        for group in (RISK, MARGIN):
            if all(keys & names for names in group):
                found.append(where or "(top level)")
        prefixes: dict[str, set[str]] = {}
        for k in node:
            if isinstance(k, str) and "." in k:
                head, _, leaf = k.rpartition(".")
                prefixes.setdefault(head, set()).add(leaf)
        found += [f"{where}.{head}" for head, leaves in prefixes.items()
                  for group in (RISK, MARGIN) if all(leaves & names for names in group)]
        for k, v in node.items():
            found += _full_definitions(v, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _full_definitions(v, f"{where}.{i}")
    return found


def _yaml_files():
    skip = {"protocols", "node_modules", ".venv", ".git", "out", ".build", ".cache"}
    for path in ROOT.rglob("*.y*ml"):
        if not skip & set(path.relative_to(ROOT).parts):
            yield path


def test_no_file_outside_protocols_defines_risk_parameters_in_full():
    offenders = [f"{p.relative_to(ROOT)}: {w}" for p in _yaml_files()
                 for w in _full_definitions(yaml.safe_load(p.read_text()) or {})]
    assert not offenders, offenders


def test_the_detector_finds_a_full_definition():
    assert _full_definitions({"assets": [{"name": "X", "ltv_bps": 1, "liquidation_threshold_bps": 2,
                                          "liquidation_bonus_bps": 3}]}) == ["assets.0"]
    assert _full_definitions({"overrides": {"assets.X.ltv": 1, "assets.X.liquidation_threshold": 2,
                                            "assets.X.liquidation_bonus": 3}}) == ["overrides.assets.X"]
    assert _full_definitions({"overrides": {"assets.X.ltv": 1}}) == []
    assert _full_definitions({"search": {"ltv": {"low": 1, "high": 2}, "liquidation_threshold": {"low": 2, "high": 3},
                                         "liquidation_bonus": {"low": 1, "high": 2}}}) == []


def test_library_code_takes_risk_parameters_from_files_or_the_caller():
    """No dict literal in protocol_model/ states an LTV, threshold or bonus as a number."""
    offenders = []
    names = {n for group in RISK for n in group}
    for path in (ROOT / "protocol_model").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value in names and isinstance(v, ast.Constant) \
                            and isinstance(v.value, (int, float)):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {k.value}")
    assert not offenders, offenders


@pytest.mark.parametrize("text,bps", [("80%", 8000), ("82.5%", 8250), ("8250 bps", 8250), (8250, 8250),
                                      ("0.09%", 9), (" 100 % ", 10000)])
def test_shares_in_designer_units(text, bps):
    assert parse_bps(text) == bps


def test_protocol_from_code_is_validated_like_a_file():
    p = protocol_from_dict({"assets": {"X": {"decimals": 6, "price_usd": "1", "ltv": "50%",
                                             "liquidation_threshold": "60%", "liquidation_bonus": "5%"}}})
    assert p.asset_specs()[0].config().ltv_bps == 5000
    with pytest.raises(ScenarioError, match=r"^protocol: assets\.X: ltv \(70%\) is above liquidation_threshold"):
        protocol_from_dict({"assets": {"X": {"decimals": 6, "price_usd": "1", "ltv": "70%",
                                             "liquidation_threshold": "60%", "liquidation_bonus": "5%"}}})


def test_overrides_from_code():
    p = load_protocol("generic", {"assets.WETH.liquidation_threshold": "80%", "assets.WETH.liquidation_bonus": "8%"})
    assert (p.assets["WETH"].liquidation_threshold_bps, p.assets["WETH"].liquidation_bonus_bps) == (8000, 800)
    assert load_protocol("generic").assets["WETH"].liquidation_threshold_bps == 8250


GOOD_STORY = {"kind": "story", "name": "s", "protocol": "generic", "assets": ["USDC", "WETH"],
              "accounts": [{"name": "lp", "balances": {"USDC": "100"}}, {"name": "keeper"}],
              "steps": [{"op": "supply", "account": "lp", "asset": "USDC", "amount": "100"}]}
GOOD_SIM = yaml.safe_load((ROOT / "scenarios" / "lab" / "eth_crash.yaml").read_text())


def _with(base: dict, **changes) -> dict:
    data = {**base, **changes}
    return {k: v for k, v in data.items() if v is not None}


BAD = [
    ("story", _with(GOOD_STORY, protocol="generik"), "s.yaml: protocol: no such file 'generik'"),
    ("story", _with(GOOD_STORY, acounts=[]), "s.yaml: acounts: Extra inputs are not permitted"),
    ("story", _with(GOOD_STORY, overrides={"assets.WETH.liquidation_treshold": "80%"}),
     "s.yaml: overrides.assets.WETH.liquidation_treshold: no field 'liquidation_treshold'"),
    ("story", _with(GOOD_STORY, overrides={"assets.WETH.ltv": "85%"}),
     "s.yaml: overrides.assets.WETH.ltv: assets.WETH: ltv (85%) is above liquidation_threshold (82.5%)"),
    ("story", _with(GOOD_STORY, overrides={"pool.close_factor": "110%"}),
     "s.yaml: overrides.pool.close_factor: pool.close_factor: Input should be less than or equal to 10000"),
    ("story", _with(GOOD_STORY, overrides={"assets.WETH.ltv.x": 1}),
     "s.yaml: overrides.assets.WETH.ltv.x: 'ltv' is a value, not a group of fields"),
    ("story", _with(GOOD_STORY, protocol=None), "s.yaml: protocol: Field required"),
    ("story", _with(GOOD_STORY, kind="simulation"), "s.yaml: kind: this is a simulation file, not a story file or "
                                                    "a perp story file; use `protocol-model simulate`"),
    ("simulation", _with(GOOD_SIM, overrides={"assets.WBTC.liquidation_bonus": "30%"}),
     "s.yaml: overrides.assets.WBTC.liquidation_bonus: assets.WBTC: liquidation_threshold × (1 + liquidation_bonus)"
     " must stay below 100%"),
    ("simulation", _with(GOOD_SIM, seed="x"), "s.yaml: seed: Input should be a valid integer"),
]


@pytest.mark.parametrize("kind,data,message", BAD, ids=[m.split(": ", 2)[1] + "-" + str(i) for i, (_, _, m)
                                                          in enumerate(BAD)])
def test_bad_input_one_line_naming_file_field_and_rule(kind, data, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    command = {"story": "story", "simulation": "simulate"}[kind if data.get("kind") == kind else "story"]
    assert main([command, "s.yaml"] + (["--out", "out"] if command == "simulate" else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert not Path("out").exists()


def test_missing_and_circular_protocol_references(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("kind: protocol\nname: a\nprotocol: b.yaml\noverrides: {}\n")
    (tmp_path / "b.yaml").write_text("kind: protocol\nname: b\nprotocol: a.yaml\n")
    (tmp_path / "c.yaml").write_text("kind: protocol\nname: c\nprotocol: nowhere.yaml\n")
    assert main(["check", str(tmp_path / "a.yaml"), str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"error: .*a\.yaml: protocol: circular reference \(a\.yaml -> b\.yaml -> a\.yaml\)", err[0])
    assert re.fullmatch(r"error: .*c\.yaml: protocol: no such file 'nowhere\.yaml' .*", err[1])


def test_a_protocol_variant_refers_to_its_base(tmp_path):
    (tmp_path / "v.yaml").write_text(f"kind: protocol\nname: v\nprotocol: {ROOT / 'protocols' / 'generic.yaml'}\n"
                                     "overrides: {assets.WETH.liquidation_threshold: 80%}\n")
    p = load_protocol(tmp_path / "v.yaml")
    assert (p.name, p.assets["WETH"].liquidation_threshold_bps, p.assets["USDC"].ltv_bps) == ("v", 8000, 8500)
    (tmp_path / "w.yaml").write_text("kind: protocol\nname: w\nprotocol: v.yaml\nrules: generic\n")
    with pytest.raises(ScenarioError, match=r"w\.yaml: rules: a protocol that refers to another one changes it"):
        load_protocol(tmp_path / "w.yaml")


def test_any_account_names_play_in_the_model(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(GOOD_STORY))
    assert main(["story", str(tmp_path / "s.yaml")]) == 0
    assert "1 steps, 0 mismatches" in capsys.readouterr().out
