"""Morpho Blue's build (toolchain/compile_morpho.cjs, run by `make setup`): the compiler is the version the sources
pin, the settings are Morpho's foundry.toml default profile, and a second run is a no-op."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "node_modules" / "@morpho-org" / "morpho-blue"
BUILD = REPO / ".build-presets" / "morpho_blue.json"


@pytest.fixture(scope="module")
def build() -> dict:
    if not BUILD.exists():
        pytest.fail(f"{BUILD} missing: `make setup` compiles Morpho Blue")
    return json.loads(BUILD.read_text())


def test_compiler_is_the_version_the_sources_pin(build):
    pragma = re.search(r"pragma solidity ([0-9.]+);", (PACKAGE / "src" / "Morpho.sol").read_text())
    assert pragma, "Morpho.sol pins an exact compiler"
    alias = json.loads((REPO / "package.json").read_text())["devDependencies"]["solc-0_8_19"]
    assert alias == f"npm:solc@{pragma.group(1)}"
    assert build["compiler"].startswith(f"{pragma.group(1)}+")
    assert build["package"] == "@morpho-org/morpho-blue@1.0.0"


def test_settings_are_morphos_foundry_profile(build):
    assert build["settings"] == {"viaIR": True, "optimizer": {"enabled": True, "runs": 999999},
                                 "evmVersion": "paris", "metadata": {"bytecodeHash": "none"}}
    assert set(build["contracts"]) == {"Morpho", "IrmMock", "OracleMock", "ERC20Mock"}
    assert all(c["bytecode"] and c["abi"] for c in build["contracts"].values())


def test_a_second_run_is_a_no_op(build):
    before = BUILD.stat().st_mtime_ns
    done = subprocess.run(["node", str(REPO / "toolchain" / "compile_morpho.cjs"), str(BUILD)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and BUILD.stat().st_mtime_ns == before
