"""The solc-js facade answers py-solc-x the way a native solc binary would."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import solcx
from solcx.install import get_executable

REPO = Path(__file__).resolve().parents[2]
PINNED = json.loads((REPO / "package.json").read_text())["devDependencies"]["solc"]


@pytest.fixture(scope="module")
def solc_binary() -> Path:
    path = get_executable(version=PINNED)
    assert path.exists(), f"setup did not install {path}"
    return path


def test_version_answer_matches_pin(solc_binary: Path) -> None:
    out = subprocess.run([str(solc_binary), "--version"], capture_output=True, text=True, check=True)
    assert f"Version: {PINNED}+commit." in out.stdout
    assert str(solcx.wrapper.get_solc_version(solc_binary)) == PINNED


def _source(text: str) -> dict:
    return {
        "language": "Solidity",
        "sources": {"C.sol": {"content": text}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }


def test_compile_with_openzeppelin_import(solc_binary: Path) -> None:
    src = _source(
        'pragma solidity ^0.8.20; import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";'
        ' contract T is ERC20 { constructor() ERC20("t", "t") {} }'
    )
    # Resolved through --include-path exactly as solc would.
    out = solcx.compile_standard(src, solc_binary=solc_binary, base_path=str(REPO))
    bytecode = out["contracts"]["C.sol"]["T"]["evm"]["bytecode"]["object"]
    assert len(bytecode) > 1000
    assert any(name.endswith("ERC20.sol") for name in out["sources"])


def test_compile_with_remapping_and_include_path(solc_binary: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib" / "Lib.sol"
    lib.parent.mkdir()
    lib.write_text("pragma solidity ^0.8.20; library L { function one() internal pure returns (uint) { return 1; } }")
    src = _source('pragma solidity ^0.8.20; import "mylib/Lib.sol"; '
                  'contract U { function f() external pure returns (uint) { return L.one(); } }')
    src["settings"]["remappings"] = ["mylib/=lib/"]
    proc = subprocess.run(
        [str(solc_binary), "--standard-json", "--base-path", str(tmp_path),
         "--include-path", str(REPO / "node_modules")],
        input=json.dumps(src), capture_output=True, text=True, check=True,
    )
    out = json.loads(proc.stdout)
    assert "errors" not in out or not [e for e in out["errors"] if e["severity"] == "error"]
    assert out["contracts"]["C.sol"]["U"]["evm"]["bytecode"]["object"]


def test_compile_error_is_a_clear_error(solc_binary: Path) -> None:
    src = _source("pragma solidity ^0.8.20; contract Broken { function f( }")
    with pytest.raises(solcx.exceptions.SolcError) as err:
        solcx.compile_standard(src, solc_binary=solc_binary)
    assert "ParserError" in str(err.value)


def test_missing_import_is_reported(solc_binary: Path) -> None:
    src = _source('pragma solidity ^0.8.20; import "nowhere/Missing.sol"; contract M {}')
    with pytest.raises(solcx.exceptions.SolcError) as err:
        solcx.compile_standard(src, solc_binary=solc_binary, base_path=str(REPO))
    assert "nowhere/Missing.sol" in str(err.value)


@pytest.mark.parametrize("argv", [["--bin", "x.sol"], []])
def test_unsupported_invocations_fail_loudly(solc_binary: Path, argv: list[str]) -> None:
    proc = subprocess.run([str(solc_binary), *argv], capture_output=True, text=True, env=os.environ)
    assert proc.returncode != 0
    assert "usage: solc" in proc.stderr


def test_bad_json_on_stdin(solc_binary: Path) -> None:
    proc = subprocess.run([str(solc_binary), "--standard-json"], input="{nope", capture_output=True, text=True)
    assert proc.returncode != 0
    assert "not JSON" in proc.stderr


def test_version_pins_agree() -> None:
    """The OpenZeppelin version in ape-config.yaml must be the one npm installs (one source of truth, checked)."""
    import yaml

    cfg = yaml.safe_load((REPO / "ape-config.yaml").read_text())
    dev = json.loads((REPO / "package.json").read_text())["devDependencies"]
    deps = {d["npm"]: d["version"] for d in cfg["dependencies"]}
    assert deps["@openzeppelin/contracts"] == dev["@openzeppelin/contracts"]
    installed = json.loads((REPO / "node_modules/@openzeppelin/contracts/package.json").read_text())["version"]
    assert installed == dev["@openzeppelin/contracts"]


def test_compiler_belongs_to_this_checkout(solc_binary: Path) -> None:
    """The executable py-solc-x finds lives in this checkout and runs this checkout's facade, so two clones
    on one machine never compile with each other's compiler (issue: a shared ~/.solcx link)."""
    assert Path(os.environ["SOLCX_BINARY_PATH"]).resolve() == REPO / ".solcx"
    assert solc_binary.resolve().is_relative_to(REPO / ".solcx")
    assert str(REPO / "toolchain" / "solc_facade.cjs") in solc_binary.read_text()
