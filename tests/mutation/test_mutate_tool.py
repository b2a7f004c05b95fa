"""tools/mutate.py's bookkeeping, without running any mutant: result keys survive line moves but not edits of the
mutated line or its function, the per-mutant test selection follows coverage contexts, and a Solidity mutant
compiles only what can change."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mutate():
    spec = importlib.util.spec_from_file_location("mutate_tool", ROOT / "tools" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate_tool"] = module  # dataclasses resolve their module
    spec.loader.exec_module(module)
    return module


SOURCE = '''def f(a, b):
    return a + b


def g(a, b):
    if a < b:
        return a + b
    return a - b
'''


def _mutants(mutate, tmp_path, text):
    (tmp_path / "m.py").write_text(text)
    return mutate.all_mutants(tmp_path, ("m.py",))


def test_keys_survive_line_moves_and_edits_invalidate(mutate, tmp_path):
    before = _mutants(mutate, tmp_path, SOURCE)
    assert len({m.key for m in before}) == len(before), "keys are unique (identical lines get an occurrence)"
    results = [mutate.Result(m.ident, m.kind, "killed", "-", 1.0, m.key, m.scope) for m in before]
    moved = _mutants(mutate, tmp_path, "X = 1\n\n\n" + SOURCE)
    assert [m.line for m in moved] == [m.line + 3 for m in before]
    current, stale = mutate.split_current(results, moved)
    assert len(current) == len(before) and not stale
    edited = _mutants(mutate, tmp_path, SOURCE.replace("return a - b", "return b - a"))
    current, stale = mutate.split_current(results, edited)
    in_g = {m.key for m in before if m.line >= 5}
    assert {r.key for r in stale} == in_g, "every mutant of the edited function re-runs, f's results stay"


def test_selection_follows_coverage_contexts(mutate):
    text = "def f(a,\n      b):\n    return (a +\n            b)\n\nX = 1 + 2\n"
    contexts = {"m.py": {3: {"tests/a.py::test_x|run", "tests/model/test_rules.py::test_y|setup"},
                         6: {""}}}
    seconds = {"tests/a.py::test_x": 2.0, "tests/model/test_rules.py::test_z": 0.5,
               "tests/model/test_rules.py::test_y": 1.0}
    plus = mutate.Mutant("m.py", 4, 13, 0, "sign", "+", "-")  # a continuation line: its statement starts at 3
    assert mutate.statement_lines(text, 4) == {3, 4}
    assert mutate.select_tests(plus, text, contexts, seconds) == ("tests/model/test_rules.py", "tests/a.py::test_x")
    module_level = replace(plus, line=6)
    assert mutate.select_tests(module_level, text, contexts, seconds) is None, "import-time code: the whole stage"
    assert mutate.select_tests(replace(plus, path="n.py"), text, contexts, seconds) == ()


def test_only_inlined_code_compiles_importers(mutate):
    by_file = {}
    for m in mutate.all_mutants(ROOT, ("contracts/libraries/MathLib.sol", "contracts/lending/LendingPool.sol")):
        by_file.setdefault(m.path, set()).add(mutate.own_bytecode_only(ROOT, m))
    assert by_file == {"contracts/libraries/MathLib.sol": {False}, "contracts/lending/LendingPool.sol": {True}}
    importers = mutate.dependents(ROOT, [str(p.relative_to(ROOT)) for p in (ROOT / "contracts").rglob("*.sol")
                                         if ".cache" not in p.parts], "contracts/libraries/MathLib.sol")
    assert {"contracts/lending/LendingPool.sol", "contracts/oracle/PriceRouter.sol"} <= set(importers)
