"""docs/PROPERTIES.md cannot rot: ids are unique and well formed, every row says where it is checked (or says
"not yet checked"), and every `path::name` reference names an existing file that defines ``name``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "PROPERTIES.md"
ROW = re.compile(r"^\| (P-[A-Z]+-\d{2}) \| (.+?) \| (.+) \|$")
REFERENCE = re.compile(r"`((?:tests|protocol_model)/[\w/]+\.py)(?:::(\w+))?`")


def rows() -> list[tuple[str, str, str]]:
    """(id, statement, where) for every catalogue row; a row starting with ``| P-`` that does not parse fails."""
    out = []
    for line in CATALOGUE.read_text().splitlines():
        if line.startswith("| P-"):
            m = ROW.match(line)
            assert m, f"malformed catalogue row: {line[:80]}"
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def test_ids_are_unique_and_numerous():
    ids = [r[0] for r in rows()]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicated, f"duplicated property ids: {duplicated}"
    assert len(ids) >= 60, f"only {len(ids)} properties"


def test_every_property_says_where_it_is_checked():
    for pid, _, where in rows():
        assert REFERENCE.search(where) or "not yet checked" in where, f"{pid}: no reference and not marked"


def test_every_reference_exists():
    missing = []
    for pid, _, where in rows():
        for path, name in REFERENCE.findall(where):
            file = ROOT / path
            if not file.is_file():
                missing.append(f"{pid}: {path}")
            elif name and not re.search(rf"^\s*def {name}\(", file.read_text(), re.M):
                missing.append(f"{pid}: {path}::{name}")
    assert not missing, f"references to nothing: {missing}"


def test_references_outside_backticks_are_not_silently_ignored():
    """A `tests/...py::name` written without its backticks would escape the existence check."""
    for pid, _, where in rows():
        bare = re.sub(r"`[^`]*`", "", where)
        assert "tests/" not in bare and "::" not in bare, f"{pid}: reference outside backticks: {bare}"
