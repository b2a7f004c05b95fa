"""Book files: a lab book as CSV (``BOOK_COLUMNS``: ``position,collateral,debt,collateral_tokens,debt_tokens``;
amounts in whole tokens, assets by name; a position name on several rows is one cross-collateral account). Read by
``compare --book`` and by a simulation file's ``book: {file: ...}``; written by ``compare`` (``book.csv``) and
``protocol-model import --book-out``."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from protocol_model.scenario.base import ScenarioError
from protocol_model.sim.books import Book, MultiPositions
from protocol_model.sim.config import CascadeParams

BOOK_COLUMNS = ("position", "collateral", "debt", "collateral_tokens", "debt_tokens")
"""Columns of a book file (CSV, whole tokens)."""


def read_book(path: str | Path, params: CascadeParams) -> Book:
    """A book file (CSV with ``BOOK_COLUMNS``; amounts in whole tokens; assets by name) as a lab book.

    Raises ScenarioError naming the file, the row and the column for an unknown asset, a bad number, a
    missing column, a book the lab rejects (``Book``'s rules), or a cross-collateral account under a preset's
    rules (the lab's preset rules take pairs only).
    """
    path = Path(path)
    names = [a.name for a in params.assets]
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read the book file ({err.strerror})") from None
    if not rows:
        raise ScenarioError(f"{path}: the book file has no positions")
    missing = [c for c in BOOK_COLUMNS if c not in rows[0]]
    if missing:
        raise ScenarioError(f"{path}: missing column(s) {missing} (a book file has {list(BOOK_COLUMNS)})")
    cols: dict[str, list] = {c: [] for c in BOOK_COLUMNS}  # rows sharing a position name: one account
    for i, row in enumerate(rows, start=2):
        for c in ("collateral", "debt"):
            if row[c] not in names:
                raise ScenarioError(f"{path}: line {i}: {c}: unknown asset '{row[c]}' (known: {names})")
            cols[c].append(names.index(row[c]))
        for c in ("collateral_tokens", "debt_tokens"):
            try:
                v = float(row[c])
            except ValueError:
                raise ScenarioError(f"{path}: line {i}: {c}: not a number: '{row[c]}'") from None
            if not math.isfinite(v):
                raise ScenarioError(f"{path}: line {i}: {c}: not a finite number: '{row[c]}'")
            cols[c].append(v)
        cols["position"].append(row["position"])
    try:
        book = _grouped_book(cols, len(names))
    except ValueError as err:
        raise ScenarioError(f"{path}: {err}") from None
    if book.multi is not None and len(book.multi) and params.rules != "generic":
        raise ScenarioError(f"{path}: position '{book.multi.names[0]}' has several rows (a cross-collateral "
                            f"account), which only the generic pool's rule takes (the protocol says rules: "
                            f"{params.rules})")
    return book


def _grouped_book(cols: dict[str, list], n_assets: int) -> Book:
    """A book from book-file columns: a position name on one row is a pair position; on several rows, one
    cross-collateral account holding the sum of its rows per asset (``MultiPositions``). Raises ``ValueError`` as
    ``Book``."""
    rows: dict[str, list[int]] = {}
    for r, name in enumerate(cols["position"]):
        rows.setdefault(name, []).append(r)
    single = [r[0] for r in rows.values() if len(r) == 1]
    multi = [(name, r) for name, r in rows.items() if len(r) > 1]
    pick = lambda c: [cols[c][r] for r in single]  # noqa: E731
    accounts = None
    if multi:
        coll, debt = np.zeros((len(multi), n_assets)), np.zeros((len(multi), n_assets))
        for j, (_, rs) in enumerate(multi):
            for r in rs:
                coll[j, cols["collateral"][r]] += cols["collateral_tokens"][r]
                debt[j, cols["debt"][r]] += cols["debt_tokens"][r]
        accounts = MultiPositions(coll, debt, tuple(name for name, _ in multi))
    return Book.sorted(pick("collateral"), pick("debt"), pick("collateral_tokens"), pick("debt_tokens"),
                       tuple(pick("position")), accounts)
