"""The independent checkers of `make audit` (docs/audit.md) are installed by set-up and their inputs parse."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
FORGE = REPO / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
HALMOS = REPO / ".venv-halmos" / "bin" / "halmos"
TRIAGE = REPO / "audit" / "slither-triage.json"


def _gate_module():
    spec = importlib.util.spec_from_file_location("slither_gate", REPO / "audit" / "slither_gate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["slither_gate"] = module
    spec.loader.exec_module(module)
    return module


def test_forge_is_the_pinned_npm_binary() -> None:
    pinned = json.loads((REPO / "package.json").read_text())["devDependencies"]["@foundry-rs/forge-linux-amd64"]
    out = subprocess.run([str(FORGE), "--version"], capture_output=True, text=True, check=True)
    assert f"forge Version: {pinned}" in out.stdout


def test_foundry_config_is_offline_on_the_facade() -> None:
    profile = tomllib.loads((REPO / "foundry.toml").read_text())["profile"]["default"]
    assert profile["offline"] is True and profile["auto_detect_solc"] is False
    # The compiler is never named in foundry.toml (ape reads its `solc` key as a version): the runner gives
    # forge this checkout's facade, for the version package.json pins.
    assert "solc" not in profile
    pinned = json.loads((REPO / "package.json").read_text())["devDependencies"]["solc"]
    runner = (REPO / "audit" / "run_audit.sh").read_text()
    assert 'export FOUNDRY_SOLC="$facade"' in runner and pinned not in runner
    assert (REPO / ".solcx" / f"solc-v{pinned}").exists()
    assert profile["invariant"]["runs"] >= 256 and profile["invariant"]["depth"] >= 64


def test_slither_installed() -> None:
    """slither comes with the dev extra (make setup); halmos lives in its own venv that only the opt-in
    ``make audit-halmos`` installs (its solver needs longer than ``make test`` allows here: docs/audit.md)."""
    out = subprocess.run([sys.executable, "-m", "pip", "show", "slither-analyzer"], capture_output=True, text=True)
    assert "Version: 0.11.6" in out.stdout


def test_triage_file_parses_with_one_line_reasons() -> None:
    entries = _gate_module().load_triage(TRIAGE)
    assert entries
    assert all(key.split(":", 1)[0] and ":" in key for key in entries)


def _report(check: str, impact: str, function: str) -> dict:
    element = {"type": "function", "name": function.split("(")[0],
               "type_specific_fields": {"signature": function, "parent": {"type": "contract", "name": "C"}}}
    return {"results": {"detectors": [{"check": check, "impact": impact, "description": "d\n", "elements": [element]}]}}


@pytest.mark.parametrize(("status", "fails"), [(None, True), ("open", True), ("fixed", True), ("justified", False)])
def test_gate_fails_on_untriaged_open_or_falsely_fixed(status: str | None, fails: bool) -> None:
    gate = _gate_module()
    findings = gate.gated_findings(_report("unused-return", "Medium", "f(uint256)"))
    assert [f.key for f in findings] == ["unused-return:C.f(uint256)"]
    triage = {} if status is None else {"unused-return:C.f(uint256)": {"status": status, "reason": "r"}}
    assert bool(gate.gate(findings, triage)) is fails


def test_gate_ignores_low_impact() -> None:
    assert _gate_module().gated_findings(_report("naming-convention", "Low", "f()")) == []


def test_triage_rejects_multiline_reason(tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"findings": {"x:C.f()": {"status": "justified", "reason": "a\nb"}}}))
    with pytest.raises(ValueError, match="one-line"):
        _gate_module().load_triage(bad)
