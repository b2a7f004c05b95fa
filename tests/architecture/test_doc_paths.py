"""Every file path a doc names exists (README.md, docs/**/*.md): a renamed or deleted file is caught at once.

A path is a backticked token ending in a source/data extension. It resolves against the repository root or
the doc's own folder; a bare file name (no folder) must name some tracked file. Paths a command writes
(``out/...``) and placeholders (``X.yaml``, ``NAME``) are not files to check.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATH = re.compile(r"`([A-Za-z0-9_./-]+\.(?:py|sol|yaml|yml|md|json|cjs|sh|toml|txt|cfg|ipynb))(?::\d+)?`")
GENERATED = ("out/", ".build/", "node_modules/", "~/", "/tmp/", "$")
BASES = (ROOT, ROOT / "contracts", ROOT / "protocol_model")
"""Roots a path may be written against: the repository, or the contracts' and the package's own roots."""
SEEDS = ROOT.parent / "shared" / "seeds"
"""The seeds the docs quote live beside the repository (../shared/seeds)."""
SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def _is_seed(name: str) -> bool:
    """A seed file the docs quote: present in ../shared/seeds, or (where a checkout has no shared/ beside it)
    named as the seeds are (``NNN_<16 hex>.txt``)."""
    return (SEEDS / name).exists() if SEEDS.is_dir() else bool(SEED_NAME.match(name))


PLACEHOLDER = re.compile(r"(^|/)(X|Y|NAME|FILE|file|foo|my_[a-z_]+)\.[a-z]+$|<|\*")


def docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def tracked_names() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = {line for line in out.splitlines() if line}
    return files | {Path(f).name for f in files}


@pytest.mark.parametrize("doc", docs(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_path_exists(doc: Path) -> None:
    names = tracked_names()
    missing = []
    for token in PATH.findall(doc.read_text()):
        if token.startswith(GENERATED) or PLACEHOLDER.search(token):
            continue
        if "/" not in token:
            if token not in names and not _is_seed(token):
                missing.append(token)
            continue
        candidates = [base / token.lstrip("./") for base in BASES] + [doc.parent / token]
        if not any(c.exists() for c in candidates) and token.lstrip("./") not in names:
            missing.append(token)
    assert not missing, f"{doc.relative_to(ROOT)} names files that do not exist: {sorted(set(missing))}"
