"""Every public module, class and function of the package has a docstring (issue #12, item 7).

Public: a module whose file name does not start with ``_`` (a package's ``__init__.py`` stands for the
package), and every class, function or method defined in it whose name does not start with ``_``, at module
level or inside a public class (nested classes included; functions inside functions are not API). Read from
the source with ``ast`` (no import: the chain layer's modules need ape), so a class built by a factory call
(``errors._make``) is not walked; its docstring is the factory's argument.

The modules under ``COVERED`` are checked: the whole package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "protocol_model"

COVERED = ("protocol_model",)
"""Dotted module names (``pkg.__init__`` for a package's own file); an entry covers itself and every module
below it. The whole package is covered."""


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _covered(dotted: str) -> bool:
    return any(dotted == c or dotted.startswith(c + ".") for c in COVERED)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if (p.name == "__init__.py" or not p.name.startswith("_")) and _covered(_dotted(p)))


def _undocumented(body: list[ast.stmt], prefix: str) -> Iterator[str]:
    for node in body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) or node.name.startswith("_"):
            continue
        name = f"{prefix}{node.name}"
        if not ast.get_docstring(node):
            yield f"{name} (line {node.lineno})"
        if isinstance(node, ast.ClassDef):
            yield from _undocumented(node.body, f"{name}.")


def _missing(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    head = [] if ast.get_docstring(tree) else ["module docstring"]
    return head + list(_undocumented(tree.body, ""))


def test_covered_entries_exist() -> None:
    """A COVERED entry that names no module (a typo, a rename) would silently check nothing."""
    dotted = {_dotted(p) for p in PACKAGE.rglob("*.py")}
    stale = [c for c in COVERED if not any(d == c or d.startswith(c + ".") for d in dotted)]
    assert not stale, f"COVERED names no module: {stale}"


@pytest.mark.parametrize("path", _modules(), ids=_dotted)
def test_public_api_has_docstrings(path: Path) -> None:
    missing = _missing(path)
    assert not missing, f"{path.relative_to(PACKAGE.parent)}: no docstring on " + ", ".join(missing)


def test_the_walk_finds_undocumented_definitions() -> None:
    """The checker itself: public definitions without a docstring are reported, private ones are not."""
    source = '''
class Public:
    def method(self): pass
    def _private(self): pass
    class Inner:
        """Documented."""
        def deep(self): pass
def function():
    def local(): pass
async def coroutine(): pass
def _helper(): pass
'''
    found = list(_undocumented(ast.parse(source).body, ""))
    assert [f.split(" ")[0] for f in found] == ["Public", "Public.method", "Public.Inner.deep", "function",
                                                "coroutine"]
