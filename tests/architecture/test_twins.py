"""Every contract with an exact twin has it at the mirrored path, named as the snake_case of the contract, and
the twin's module docstring names its contract (docs/ARCHITECTURE.md, "exact/ — the twins")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
EXACT = ROOT / "protocol_model" / "exact"
TWINNED_FOLDERS = ("lending", "oracle", "strategies", "perp")
"""Folders whose every contract (not a library of errors/events, not a lens) has a twin."""
EXTRA = {"libraries/MathLib.sol": "math_lib.py"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def twinned_contracts() -> list[Path]:
    found = [CONTRACTS / p for p in EXTRA]
    for folder in TWINNED_FOLDERS:
        for sol in sorted((CONTRACTS / folder).glob("*.sol")):
            if sol.stem.endswith(("ErrorsLib", "EventsLib", "Lens")):
                continue
            found.append(sol)
    return found


def twin_of(sol: Path) -> Path:
    rel = sol.relative_to(CONTRACTS).as_posix()
    if rel in EXTRA:
        return EXACT / EXTRA[rel]
    return EXACT / sol.parent.name / f"{snake(sol.stem)}.py"


@pytest.mark.parametrize("sol", twinned_contracts(), ids=lambda p: p.relative_to(CONTRACTS).as_posix())
def test_twin_exists_and_names_its_contract(sol: Path) -> None:
    twin = twin_of(sol)
    assert twin.is_file(), f"{sol.relative_to(ROOT)} has no twin at {twin.relative_to(ROOT)}"
    doc = ast.get_docstring(ast.parse(twin.read_text())) or ""
    assert sol.name in doc or sol.stem in doc, f"{twin.relative_to(ROOT)}: module docstring does not name {sol.name}"


def test_snake_case_rule() -> None:
    assert snake("LendingPool") == "lending_pool"
    assert snake("PairPriceFeed") == "pair_price_feed"
    assert snake("MathLib") == "math_lib"
