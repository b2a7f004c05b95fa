"""The package's layers (docs/ARCHITECTURE.md): imports point down only, and no module imports itself back.

Every import counts, at module level, inside a function or under ``TYPE_CHECKING``: a lazy import that
climbs a layer is still a design dependency on the layer above.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "protocol_model"
LAYERS = ("data", "exact", "analytics", "scenario", "world", "sim", "chain", "api", "testing", "cli")
"""Bottom to top; a module may import from its own layer or any layer listed before it. ``data`` (where the
bundled files are) imports nothing; ``api`` (the notebook API) and ``testing`` (the pytest plugin, strategies)
sit above the chain layer so the plugin can add chain fixtures."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] == "protocol_model"}


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (itself excluded)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {t for t in _imports(path) if t in modules and t != name} for name, path in modules.items()}


def layer(module: str) -> int:
    """Index of a module's layer in LAYERS; the package root (``__init__``, ``__main__``) sits on top."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return len(LAYERS)
    return LAYERS.index(parts[1])


def test_every_module_belongs_to_a_layer() -> None:
    for module in _graph():
        assert layer(module) >= 0, module


def test_no_upward_import() -> None:
    graph = _graph()
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if layer(b) > layer(a))
    assert not upward, "imports that climb a layer:\n" + "\n".join(upward)


def test_no_import_cycle() -> None:
    graph = _graph()
    # A package imports its own submodules when they are named in ``from package import module``; that
    # edge is the package's own, not a cycle between modules.
    edges = {a: {b for b in targets if not b.startswith(a + ".")} for a, targets in graph.items()}
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as err:
        pytest.fail("import cycle: " + " -> ".join(err.args[1]))


def test_chain_is_the_only_layer_that_imports_ape_or_web3() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name.startswith("protocol_model.chain"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{name}: {m}" for m in mods if m.split(".")[0] in {"ape", "web3", "eth_abi", "pyrevm"}]
    assert not offenders, offenders


@pytest.mark.parametrize("bad", [("protocol_model.exact.a", "protocol_model.world.b")])
def test_the_layer_rule_catches_an_upward_edge(bad: tuple[str, str]) -> None:
    """The checker itself: an edge from exact to world is upward."""
    assert layer(bad[1]) > layer(bad[0])
