"""The compiled Aave V3 contracts of npm ``@aave/core-v3`` 1.19.3 (the package's own hardhat artifacts,
not recompiled), with library placeholders linked, as deployable containers for the in-process chain or ape."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "node_modules" / "@aave" / "core-v3"
VERSION = "1.19.3"


class AaveArtifactsMissing(FileNotFoundError):
    """npm ``@aave/core-v3`` is not installed (run `make setup`)."""


@cache
def _index() -> dict[str, Path]:
    base = PACKAGE / "artifacts" / "contracts"
    if not base.exists():
        raise AaveArtifactsMissing(f"{base} not found: install the npm packages first (`make setup`)")
    found: dict[str, Path] = {}
    for path in base.rglob("*.json"):
        if path.name.endswith(".dbg.json"):
            continue
        found.setdefault(path.stem, path)
    return found


@cache
def artifact(name: str) -> dict[str, Any]:
    """The hardhat artifact ``name`` (``abi``, ``bytecode``, ``linkReferences``, ``sourceName``).
    Raises ``AaveArtifactsMissing`` when the package is absent and ``KeyError`` for an unknown contract."""
    path = _index().get(name)
    if path is None:
        raise KeyError(f"@aave/core-v3 has no compiled contract {name!r}")
    return dict(json.loads(path.read_text()))


def qualified_name(name: str) -> str:
    """``sourceName:contractName`` of ``name`` (what a library placeholder hashes)."""
    return f"{artifact(name)['sourceName']}:{name}"


def linked_bytecode(name: str, libraries: dict[str, str]) -> str:
    """Creation code of ``name`` as hex (no 0x) with every library it references linked from
    ``libraries`` (library contract name -> address). Raises ``ValueError`` when one is missing."""
    data = artifact(name)
    code = str(data["bytecode"]).removeprefix("0x")
    for source, names in data.get("linkReferences", {}).items():
        for lib in names:
            if lib not in libraries:
                raise ValueError(f"{name} needs library {lib} linked")
            placeholder = f"__${keccak(text=f'{source}:{lib}').hex()[:34]}$__"
            code = code.replace(placeholder, libraries[lib].lower().removeprefix("0x"))
    if "__$" in code:
        raise ValueError(f"{name}: a library placeholder is left unlinked")
    return code
