"""Mutation testing: flip one rounding direction, comparison or sign at a time and see whether the checks notice.

``python tools/mutate.py [--sample N] [--seed S] [--files GLOB ...] [--anvil] [--list]`` (``make mutate``).

Mutation operators (one mutant = one textual change):

- **rounding**: a call of a function (lower-case first letter: not an error or event) whose name ends in
  ``Down``/``Up`` (Solidity) or ``_down``/``_up`` (Python) is replaced by its twin in the other direction
  (``rayMulDown(`` -> ``rayMulUp(``); ``Math.Rounding.Ceil`` -> ``Floor``.
  Declarations are never renamed (only call sites).
- **comparison**: ``<`` <-> ``<=``, ``>`` <-> ``>=`` (the boundary moves by one).
- **sign**: binary ``+`` <-> ``-`` and ``+=`` <-> ``-=`` (unary minus is left alone).

Comments, strings (including docstrings and f-strings), ``pragma`` and ``import`` lines are never mutated.

Each mutant is applied to a **scratch copy** of the checkout (copied to a temporary directory; ``node_modules``
and ``.solcx`` are linked, the compiled ``.build`` is copied), never to the working tree. A baseline run of the
whole fast stage under coverage.py (one context per test) must pass first; it also maps each Python line to the
tests that execute it (cached in ``.mutate-cache/`` per input hash). The kill check runs in stages and stops at
the first that fails (the mutant is then *killed*):

1. Solidity mutants: a direct solc-js compile of the mutated file (and, for a library, its importers) with ape's
   settings into the copy's manifest, used only if it reproduced every baseline bytecode (else ``ape compile
   --force``); a compile error makes the mutant *invalid*, an unchanged bytecode *equivalent*.
2. Python mutants: ``pytest -p no:ape_test -x`` on the tests that execute the mutated line (cheapest first); a
   survivor is re-run on the whole fast stage, so a subset only ever kills. A line no fast test executes
   survives without running.
3. The fast stage: the model-only twin tests and the model-vs-chain differential on the in-process chain (revm;
   boundary probes, ``tests/chain/test_inprocess.py``, ``tests/mutation/test_inprocess_differential.py``, a short
   lending fuzz), against the scratch copy's compiled bytecode (Solidity mutants: the in-process part only).
4. With ``--anvil``, for mutants still alive: a short run of the hypothesis differential fuzzer on anvil and the
   chain-side oracle policy and MathLib tests.

Results (``--json``) are keyed by file, the mutated line's text, the change and its occurrence, with a hash of
the enclosing function: they survive line moves, and ``--stale`` lists those an edit invalidated (docs/mutation.md).

A mutant that makes a stage time out is killed (a hang is a detected change). The score is
killed / (killed + survived). Exit status 0 always (the score is a measurement); 2 if the unmutated baseline
fails its own checks (then every "kill" would be meaningless).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TARGETS = (
    "contracts/libraries/MathLib.sol",
    "contracts/lending/LendingPool.sol",
    "contracts/oracle/PriceRouter.sol",
    "protocol_model/exact/math_lib.py",
    "protocol_model/exact/lending/lending_pool.py",
    "protocol_model/exact/lending/liquidation.py",
    "protocol_model/exact/lending/kinked_rate_model.py",
    "protocol_model/exact/oracle/oracle_policy.py",
    "protocol_model/exact/oracle/price_router.py",
)

COMPARISON = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
SIGN = {"+": "-", "-": "+", "+=": "-=", "-=": "+="}

MODEL_CHECKS = (
    "tests/model/test_fixed_point.py",
    "tests/model/test_rules.py",
    "tests/model/test_pool_fault_properties.py",
    "tests/model/test_flash_loan_model.py",
    "tests/exact",
    "tests/model/test_feeds.py",
    "tests/model/test_stories_model.py",
    "tests/model/test_oracle_stories_model.py",
    "tests/model/test_pool_widths.py",
    "tests/model/test_donation_attack.py",
    "tests/model/test_pool_admin_bounds.py",
    "tests/model/test_rate_bounds.py",
    "tests/model/test_collateral_consent.py",
)
"""Model-only checks (no chain): a Python mutant is usually killed here, in seconds; Solidity mutants skip them."""
INPROCESS_CHECKS = (
    "tests/mutation/test_boundaries.py",
    "tests/mutation/test_liquidation_bounds.py",
    "tests/chain/test_inprocess.py",
    "tests/chain/test_inprocess_widths.py",
    "tests/chain/test_inprocess_rate_bounds.py",
    "tests/chain/test_inprocess_checked_arithmetic.py",
    "tests/chain/test_inprocess_dust_blocks_write_off.py",
    "tests/chain/test_inprocess_forced_rejection.py",
    "tests/chain/test_inprocess_consent_cleared.py",
    "tests/chain/test_inprocess_asset_limit.py",
    "tests/mutation/test_inprocess_differential.py",
    "tests/mutation/test_misc_bounds.py",
    "tests/crosscheck/test_fuzz_inprocess.py::test_model_and_in_process_chain_agree",
)
"""The model-vs-chain differential on the in-process chain: exact-boundary stories, the story and random-run
cross-checks, and a short run of the lending fuzzer with every rule (``INPROCESS_ENV``)."""
INPROCESS_ENV = {"INPROCESS_FUZZ_EXAMPLES": "60", "FUZZ_SHRINK": "0"}
FAST_CHECKS = MODEL_CHECKS + INPROCESS_CHECKS

_UP_SINCE_NOW = ("at upSince == block.timestamp both versions revert GracePeriodNotOver: the second clause, "
                 "0 <= gracePeriodSec, holds for every grace period (uint32 in the contract, validated >= 0 in the "
                 "twin)")
_REPAY_EXACT = ("amount == debt = ceil(s*BI/RAY) burns floor(debt*RAY/BI) = s scaled units either way: "
                "s <= debt*RAY/BI < s + RAY/BI <= s + 1 because the borrow index never falls below RAY "
                "(P-POOL-02), so both "
                "branches repay the debt and burn all s")
_CAP_AT_BONUS = ("at cap == BPS + bonus both branches return the bonus: the first returns it, the second returns "
                 "cap - BPS = bonus (cap > BPS for bonus > 0; for bonus 0, cap == BPS and the second returns 0)")
_CAP_AT_BPS = "at cap == BPS both branches return 0 (cap - BPS = 0)"
_AT_THE_KINK = ("at utilization == optimal both branches give base + slope1: slope1·opt/opt exactly, and "
                "slope2·0/(WAD − opt) = 0 (0 < optimal < WAD is validated, so WAD − opt > 0)")
_SUPPLY_AT_DEBT = ("at totalSupply == totalDebt the cap is interest * S / D = interest exactly, never below the "
                   "suppliers' share (interest minus the reserve factor's part): min() keeps the share either way")
_LENDABLE_AT_RESERVES = "at cash == reserves both branches give 0 (cash - reserves = 0)"
_MIN_AT_EQUAL = "at a == b both branches return the same value (a == b)"
_JUMP_AT_PREV = ("at answer == prev both branches give diff = 0 (answer - prev = prev - answer = 0, no overflow), so "
                 "the breaker passes either way")
_DT_ZERO_RETURNED = "dt == 0 has returned 0 on the line before, so dt < 0 and dt <= 0 hold for the same dt"
_CLAMP_AT_MAX = "at rateRay == MAX the clamp assigns MAX to rateRay, which holds MAX already"
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("contracts/lending/LendingPool.sol",
     "if (rateRay > MAX_BORROW_RATE_PER_SECOND_RAY) rateRay = MAX_BORROW_RATE_PER_SECOND_RAY;", ">->>="):
        _CLAMP_AT_MAX,
    ("contracts/lending/LendingPool.sol", "return cash > reserves ? cash - reserves : 0;", ">->>="):
        _LENDABLE_AT_RESERVES,
    ("protocol_model/exact/lending/lending_pool.py", "return cash - reserves if cash > reserves else 0", ">->>="):
        _LENDABLE_AT_RESERVES,
    ("contracts/lending/LendingPool.sol", "return a < b ? a : b;", "<-><="): _MIN_AT_EQUAL,
    ("contracts/oracle/PriceRouter.sol",
     "uint256 diff = answer > prev ? uint256(answer - prev) : uint256(prev - answer);", ">->>="): _JUMP_AT_PREV,
    ("protocol_model/exact/lending/kinked_rate_model.py", "if dt < 0:", "<-><="): _DT_ZERO_RETURNED,
    ("contracts/lending/LendingPool.sol",
     "if (totalSupply < totalDebt) toSuppliers = _min(toSuppliers, interest.mulDivDown(totalSupply, totalDebt));",
     "<-><="): _SUPPLY_AT_DEBT,
    ("protocol_model/exact/lending/kinked_rate_model.py",
     "if total_supply < total_debt:  # no interest on debt beyond the supply: unfunded cash lent (P-POOL-06)",
     "<-><="): _SUPPLY_AT_DEBT,
    ("protocol_model/exact/lending/kinked_rate_model.py", "if utilization_wad <= opt:", "<=-><"): _AT_THE_KINK,
    ("contracts/lending/LendingPool.sol", "if (capBps >= BPS + bonusBps) return bonusBps;", ">=->>"): _CAP_AT_BONUS,
    ("protocol_model/exact/lending/liquidation.py", "if cap >= BPS + bonus_bps:", ">=->>"): _CAP_AT_BONUS,
    ("contracts/lending/LendingPool.sol", "return capBps > BPS ? capBps - BPS : 0;", ">->>="): _CAP_AT_BPS,
    ("protocol_model/exact/lending/liquidation.py", "return cap - BPS if cap > BPS else 0", ">->>="): _CAP_AT_BPS,
    ("contracts/lending/LendingPool.sol",
     "if (amount >= debt) (amount, scaled) = (debt, userScaled);", ">=->>"): _REPAY_EXACT,
    ("protocol_model/exact/lending/lending_pool.py", "if amount >= debt:", ">=->>"): _REPAY_EXACT,
    ("contracts/oracle/PriceRouter.sol",
     "if (upSince > block.timestamp || block.timestamp - upSince <= p.gracePeriodSec) {", ">->>="): _UP_SINCE_NOW,
    ("protocol_model/exact/oracle/oracle_policy.py",
     "if up_since > now or now - up_since <= grace_period_s:", ">->>="): _UP_SINCE_NOW,
}
"""Provably equivalent mutants, excluded from the score's denominator (and listed): (path, the mutated line's
source text stripped, ``original->replacement``) -> why no input can tell the mutant from the original."""

ANVIL_CHECKS = (
    "tests/crosscheck/test_differential_fuzz.py::test_model_and_chain_agree",
    "tests/contracts/test_oracle_policy.py",
    "tests/contracts/test_math_lib.py",
)


@dataclass(frozen=True)
class Mutant:
    """One textual change: ``path`` (repository-relative), 1-based ``line``/``col``, character ``offset`` of
    ``original`` in the file, and its ``replacement``; ``kind`` is rounding, comparison or sign. ``key`` names
    it without line numbers (path, the line's source text, the change and its occurrence among identical
    (text, change) pairs of the file), so results survive edits that move lines; ``scope`` is a hash of the
    enclosing function's text (whitespace-normalized): a result is current only while both match."""

    path: str
    line: int
    col: int
    offset: int
    kind: str
    original: str
    replacement: str
    key: str = ""
    scope: str = ""

    @property
    def ident(self) -> str:
        """``path:line:col original->replacement``."""
        return f"{self.path}:{self.line}:{self.col} {self.original}->{self.replacement}"

    def apply(self, text: str) -> str:
        """``text`` with this one change made; raises ValueError if the text at the offset is not ``original``."""
        end = self.offset + len(self.original)
        if text[self.offset:end] != self.original:
            raise ValueError(f"{self.ident}: source changed under the mutant")
        return text[:self.offset] + self.replacement + text[end:]


def _flip_rounding(name: str, down: str, up: str) -> str | None:
    if name.endswith(down):
        return name[: -len(down)] + up
    if name.endswith(up):
        return name[: -len(up)] + down
    return None


# ------------------------------------------------------------------ Solidity

_SOL_TOKEN = re.compile(r"\d[\w.]*|[A-Za-z_$][\w$]*|<<=|>>=|<<|>>|<=|>=|=>|==|!=|\+\+|--|\+=|-=|\*\*|&&|\|\||\S")
_SOL_MASK = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|^\s*(?:pragma|import)\b[^\n]*",
                       re.S | re.M)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def solidity_mutants(path: str, text: str) -> Iterator[Mutant]:
    """Every mutant of one Solidity source (comments, strings, pragma and import lines masked out)."""
    code = _SOL_MASK.sub(_blank, text)
    tokens = [(m.start(), m.group(0)) for m in _SOL_TOKEN.finditer(code)]
    for i, (offset, tok) in enumerate(tokens):
        prev = tokens[i - 1][1] if i else ""
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if tok == "Ceil" and prev == "." and i >= 2 and tokens[i - 2][1] == "Rounding":
            yield _mutant(path, text, offset, "rounding", tok, "Floor")
        elif (nxt == "(" and prev != "function" and tok[:1].islower()
              and (flipped := _flip_rounding(tok, "Down", "Up"))):
            yield _mutant(path, text, offset, "rounding", tok, flipped)
        elif tok in COMPARISON:
            yield _mutant(path, text, offset, "comparison", tok, COMPARISON[tok])
        elif tok in SIGN and (tok.endswith("=") or re.fullmatch(r"[\w$.]+|\)|\]", prev)):
            if prev not in ("return", "returns"):
                yield _mutant(path, text, offset, "sign", tok, SIGN[tok])


# ------------------------------------------------------------------ Python

_PY_NOT_OPERAND = {"return", "and", "or", "not", "in", "is", "if", "else", "elif", "lambda", "yield", "assert",
                   "raise", "while", "for", "await", "del", "with", "as", "from", "import"}


def python_mutants(path: str, text: str) -> Iterator[Mutant]:
    """Every mutant of one Python source (tokenize: strings and comments are their own tokens, never mutated)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    for i, t in enumerate(toks):
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        offset = starts[t.start[0] - 1] + t.start[1]
        if t.type == tokenize.NAME and nxt is not None and nxt.string == "(" and (prev is None or prev.string != "def"):
            flipped = _flip_rounding(t.string, "_down", "_up")
            if flipped:
                yield _mutant(path, text, offset, "rounding", t.string, flipped)
        elif t.type == tokenize.OP and t.string in COMPARISON:
            yield _mutant(path, text, offset, "comparison", t.string, COMPARISON[t.string])
        elif t.type == tokenize.OP and t.string in SIGN and prev is not None:
            name = prev.type == tokenize.NAME and prev.string not in _PY_NOT_OPERAND
            operand = name or prev.type == tokenize.NUMBER or prev.string in (")", "]", "}")
            if t.string.endswith("=") or operand:
                yield _mutant(path, text, offset, "sign", t.string, SIGN[t.string])


def _mutant(path: str, text: str, offset: int, kind: str, original: str, replacement: str) -> Mutant:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Mutant(path, line, col, offset, kind, original, replacement)


def all_mutants(root: Path, targets: tuple[str, ...] = TARGETS) -> list[Mutant]:
    """Every mutant of every target file, in file order, each with its ``key`` and ``scope``."""
    out: list[Mutant] = []
    for rel in targets:
        text = (root / rel).read_text()
        found = list(solidity_mutants(rel, text) if rel.endswith(".sol") else python_mutants(rel, text))
        lines = text.splitlines()
        scopes = sol_scopes(text) if rel.endswith(".sol") else py_scopes(text)
        seen: dict[tuple[str, str], int] = {}
        for m in found:
            change = f"{m.original}->{m.replacement}"
            source = lines[m.line - 1].strip()
            n = seen[(source, change)] = seen.get((source, change), 0) + 1
            scope = next((h for start, end, h in scopes if start <= m.offset < end), _digest(source))
            out.append(replace(m, key=f"{rel} | {source} | {change} #{n}", scope=scope))
    return out


def _digest(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:12]


def sol_scopes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, hash) of every function, modifier and constructor body of a Solidity source (innermost
    first is irrelevant: they do not nest)."""
    code = _SOL_MASK.sub(_blank, text)
    out = []
    for m in re.finditer(r"\b(?:function|modifier|constructor)\b", code):
        brace, semi = code.find("{", m.start()), code.find(";", m.start())
        if brace < 0 or (0 <= semi < brace):
            continue  # a declaration without a body
        depth, i = 0, brace
        while i < len(code):
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            if depth == 0:
                break
            i += 1
        out.append((m.start(), i + 1, _digest(code[m.start():i + 1])))
    return out


def py_scopes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, hash) of every function of a Python source, innermost first (character offsets)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
            start = starts[node.lineno - 1] + node.col_offset
            end = starts[node.end_lineno - 1] + (node.end_col_offset or 0)
            out.append((start, end, _digest(text[start:end])))
    return sorted(out, key=lambda s: s[1] - s[0])


# ------------------------------------------------------------------ running


@dataclass
class Result:
    """One mutant's fate: status killed / survived / invalid / equivalent, the stage that decided it and seconds
    spent; ``key`` and ``scope`` are the mutant's (``Mutant``), ``mutant`` its ident when it ran (line numbers
    of that commit: informative only); ``tests`` how many tests the fast stage ran (0: the whole stage)."""

    mutant: str
    kind: str
    status: str
    stage: str
    seconds: float
    key: str = ""
    scope: str = ""
    tests: int = 0
    cpu: float = 0.0
    """CPU seconds of the checks' processes (the machine is shared: wall time alone says little)."""


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Scratch:
    """A throw-away copy of the checkout in a temporary directory (never the working tree)."""

    def __init__(self, source: Path, keep: bool = False) -> None:
        self.source = source
        self.dir = Path(tempfile.mkdtemp(prefix="pm-mutate-"))
        self.keep = keep
        excludes = [".venv", "node_modules", ".solcx", ".git", "out", ".stamps", ".hypothesis", "__pycache__",
                    ".mypy_cache", ".ruff_cache", ".pytest_cache"]
        top = set(excludes)
        for entry in source.iterdir():
            if entry.name in top:
                continue
            if entry.is_dir():
                shutil.copytree(entry, self.dir / entry.name, symlinks=True,
                                ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
            else:
                shutil.copy2(entry, self.dir / entry.name)
        for link in ("node_modules", ".solcx"):
            if (source / link).exists():
                (self.dir / link).symlink_to(source / link)
        self.baseline_build = self.dir.parent / (self.dir.name + "-build")
        if (self.dir / ".build").exists():
            shutil.copytree(self.dir / ".build", self.baseline_build)
        venv_bin = source / ".venv" / "bin"
        anvil_bin = source / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin"
        self.env = dict(os.environ, PYTHONPATH=str(self.dir), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg",
                        SOLCX_BINARY_PATH=str(source / ".solcx"),
                        PATH=f"{anvil_bin}:{venv_bin}:{os.environ['PATH']}")
        self.direct = False
        """Solidity mutants compile directly (``direct_compile``); set once the baseline is reproduced."""
        self.python = str(venv_bin / "python")
        self.ape = str(venv_bin / "ape")

    def run(self, cmd: list[str], timeout: float, extra_env: dict[str, str] | None = None) -> tuple[str, str]:
        """Run ``cmd`` in the copy; returns (status, tail of output): status 'pass', 'fail' or 'timeout'."""
        env = dict(self.env, **(extra_env or {}))
        try:
            p = subprocess.run(cmd, cwd=self.dir, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout", ""
        return ("pass" if p.returncode == 0 else "fail"), (p.stdout + p.stderr)[-2000:]

    def restore_build(self) -> None:
        """Put the baseline compiled artifacts back (after a Solidity mutant recompiled them)."""
        if self.baseline_build.exists():
            shutil.rmtree(self.dir / ".build", ignore_errors=True)
            shutil.copytree(self.baseline_build, self.dir / ".build")

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            shutil.rmtree(self.baseline_build, ignore_errors=True)


def _pytest(scratch: Scratch, checks: tuple[str, ...], timeout: float) -> tuple[str, str]:
    return scratch.run([scratch.python, "-m", "pytest", "-p", "no:ape_test", "-p", "no:cacheprovider", "-x", "-q",
                        *checks], timeout, INPROCESS_ENV)


def fast_check(scratch: Scratch, timeout: float, model: bool = True,
               only: tuple[str, ...] = ()) -> tuple[str, str]:
    """The fast stage: the model-only checks (when ``model``: a Solidity mutant cannot change them), then the
    in-process differential; (status, output tail) of the first that does not pass. ``only``: just these checks
    (``--checks``; a kill is a kill, but a mutant surviving a subset is not known to survive the whole stage)."""
    if only:
        return _pytest(scratch, only, timeout)
    if model:
        status, out = _pytest(scratch, MODEL_CHECKS, timeout)
        if status != "pass":
            return status, out
    return _pytest(scratch, INPROCESS_CHECKS, timeout)


COVERAGE_FILE = ".mutate-coverage"


def coverage_baseline(scratch: Scratch, timeout: float) -> tuple[str, str]:
    """The whole fast stage on the unmutated copy, once, under coverage.py with one context per test
    (pytest-cov ``--cov-context=test``): the baseline check and the line -> tests map in one run."""
    cov = [f"--cov={p}" for p in sorted({str(Path(t).parent) for t in TARGETS if t.endswith(".py")})]
    return scratch.run([scratch.python, "-m", "pytest", "-p", "no:ape_test", "-p", "no:cacheprovider", "-q",
                        *cov, "--cov-context=test", "--cov-report=", f"--junitxml={scratch.dir / JUNIT}",
                        *FAST_CHECKS], timeout, dict(INPROCESS_ENV, COVERAGE_FILE=str(scratch.dir / COVERAGE_FILE)))


JUNIT = ".mutate-baseline.xml"


def test_seconds(scratch: Scratch) -> dict[str, float]:
    """``path::function`` -> seconds the baseline spent in it (all its parameters), from the junit report."""
    import xml.etree.ElementTree as ET

    out: dict[str, float] = {}
    for case in ET.parse(scratch.dir / JUNIT).iter("testcase"):
        parts = case.get("classname", "").split(".")
        for cut in range(len(parts), 0, -1):  # the module part of "tests.x.test_y[.Class]"
            if (scratch.dir / Path(*parts[:cut])).with_suffix(".py").is_file():
                path = "/".join(parts[:cut]) + ".py"
                name = "::".join([path, *parts[cut:], re.sub(r"\[.*\]$", "", case.get("name", ""))])
                out[name] = out.get(name, 0.0) + float(case.get("time", 0) or 0)
                break
    return out


def in_order(tests: set[str], seconds: dict[str, float]) -> tuple[str, ...]:
    """``tests`` cheapest first (with ``-x`` the first failing test ends the run: cheap kills come first); a
    whole file or directory counts as the sum of its tests."""
    def cost(t: str) -> float:
        return sum(v for k, v in seconds.items() if within(k, t))
    return tuple(sorted(tests, key=lambda t: (cost(t), t)))


def within(test: str, entry: str) -> bool:
    """Whether ``test`` (``path::function``) is run by ``entry`` (a directory, a file or ``path::function``)."""
    path = test.split("::")[0]
    return test == entry or path == entry or path.startswith(entry.rstrip("/") + "/")


def line_contexts(scratch: Scratch) -> dict[str, dict[int, set[str]]]:
    """repository-relative path -> line -> the coverage contexts (``nodeid|setup/run/teardown``, or '' for
    code run at import) that executed it, from ``coverage_baseline``'s data."""
    from coverage import CoverageData

    data = CoverageData(str(scratch.dir / COVERAGE_FILE))
    data.read()
    out: dict[str, dict[int, set[str]]] = {}
    for measured in data.measured_files():
        try:
            rel = str(Path(measured).resolve().relative_to(scratch.dir.resolve()))
        except ValueError:
            continue
        out[rel] = {line: set(ctxs) for line, ctxs in data.contexts_by_lineno(measured).items()}
    return out


def statement_lines(text: str, line: int) -> set[int]:
    """``line`` and the first line of the innermost statement containing it (coverage.py records a statement
    that spans lines at its first line; a compound statement's header, not its body)."""
    best: ast.stmt | None = None
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            body_start = min((b.lineno for f in ("body", "orelse", "finalbody", "handlers")
                              for b in getattr(node, f, []) or []), default=None)
            if body_start is not None and line >= body_start:
                continue  # inside the body: a nested statement is the one
            if best is None or node.lineno >= best.lineno:
                best = node
    return {line} | ({best.lineno} if best is not None else set())


def _fast_entries_of(file: str) -> list[str]:
    """The fast-stage entries that run tests of ``file`` (the file itself, or the tests the stage names)."""
    return [file if within(file, e) else e for e in FAST_CHECKS if within(file, e) or e.startswith(file + "::")]


def select_tests(m: Mutant, text: str, contexts: dict[str, dict[int, set[str]]],
                 seconds: dict[str, float]) -> tuple[str, ...] | None:
    """The fast-stage tests that execute ``m``'s line in the unmutated baseline, in the stage's order (model
    checks first); ``()`` when none does; None when the whole stage must run (the line runs at import: module
    constants, default arguments). A test whose fixture set-up or tear-down ran the line brings every test of
    its file that the stage runs (module fixtures are shared)."""
    seen: set[str] = set()
    for line in statement_lines(text, m.line):
        seen |= contexts.get(m.path, {}).get(line, set())
    if "" in seen:
        return None
    picked: set[str] = set()
    for ctx in seen:
        nodeid, _, phase = ctx.rpartition("|")
        nodeid = re.sub(r"\[.*\]$", "", nodeid)
        if phase == "run":
            picked.add(nodeid)
        else:
            picked.update(_fast_entries_of(nodeid.split("::")[0]))
    return in_order(picked, seconds)


def anvil_check(scratch: Scratch, timeout: float, examples: int) -> tuple[str, str]:
    return scratch.run([scratch.ape, "test", *ANVIL_CHECKS, "--network", "ethereum:local:foundry", "-x", "-q",
                        "-p", "no:cacheprovider"], timeout, {"FUZZ_EXAMPLES": str(examples)})


_METADATA = re.compile(r"a264697066735822[0-9a-f]{68}64736f6c6343[0-9a-f]{6}0033")


def bytecodes(build: Path) -> dict[str, tuple[str, str]]:
    """Every compiled contract's (deployment, runtime) bytecode in ``build``'s ape manifest, the CBOR metadata
    (which hashes the source text) cut out."""
    types = json.loads((build / "__local__.json").read_text())["contractTypes"]
    code = lambda ct, key: _METADATA.sub("", ((ct.get(key) or {}).get("bytecode") or "").lower())  # noqa: E731
    return {name: (code(ct, "deploymentBytecode"), code(ct, "runtimeBytecode")) for name, ct in types.items()}


def equivalence(m: Mutant, text: str) -> str | None:
    """Why ``m`` is provably equivalent (``EQUIVALENT``), or None."""
    line = text.splitlines()[m.line - 1].strip()
    return EQUIVALENT.get((m.path, line, f"{m.original}->{m.replacement}"))


def run_mutant(scratch: Scratch, m: Mutant, args: argparse.Namespace,
               contexts: dict[str, dict[int, set[str]]] | None = None) -> Result:
    """Apply ``m`` in the scratch copy, run the staged kill check, then put the file (and build) back. With
    ``contexts`` (``line_contexts``) a Python mutant first runs only the tests that execute its line
    (``select_tests``): a failure there is a kill; a survivor is confirmed on the whole fast stage, so a subset
    only ever decides kills. A line no fast check executes survives without running."""
    start, cpu = time.monotonic(), children_cpu()
    target = scratch.dir / m.path
    original = target.read_text()
    done = lambda status, stage, tests=0: Result(m.ident, m.kind, status, stage,  # noqa: E731
                                                 time.monotonic() - start, m.key, m.scope, tests,
                                                 children_cpu() - cpu)
    if equivalence(m, original):
        return done("equivalent", "-")
    solidity = m.path.endswith(".sol")
    selected = None if solidity or contexts is None or args.checks else select_tests(m, original, contexts,
                                                                                   args.seconds)
    if selected == () and not args.anvil:
        return done("survived", "not executed")
    target.write_text(m.apply(original))
    try:
        if solidity:
            status = compile_mutant(scratch, m, args.timeout)
            if status != "pass":
                return done("invalid", "compile")
            if bytecodes(scratch.dir / ".build") == bytecodes(scratch.baseline_build):
                # no deployed contract changed (e.g. an internal library function no contract calls): provably
                # equivalent for every check, whatever it runs
                return done("equivalent", "same bytecode")
        if selected:
            status, _ = _pytest(scratch, selected, args.timeout)
            if status != "pass":
                return done("killed", f"covering ({status})", len(selected))
        if selected is None or (selected and args.confirm):
            only = tuple(args.checks or ()) or (args.inprocess_order if solidity else ())
            status, _ = fast_check(scratch, args.timeout, model=not solidity, only=only)
            if status != "pass":
                return done("killed", f"fast ({status})")
        if args.anvil:
            status, _ = anvil_check(scratch, args.timeout * 2, args.anvil_examples)
            if status != "pass":
                return done("killed", f"anvil ({status})")
        stage = "subset" if args.checks else "not executed" if selected == () else \
            "covering tests" if selected and not args.confirm else "-"
        return done("survived", stage, len(selected or ()))
    finally:
        target.write_text(original)
        if solidity:
            scratch.restore_build()


def compile_mutant(scratch: Scratch, m: Mutant, timeout: float) -> str:
    """Recompile after a Solidity mutant: 'pass', 'fail' or 'timeout'. When ``scratch.direct`` (the direct
    compile reproduced every baseline bytecode), only the sources that import the mutated file are compiled
    by the solc-js facade with ape's settings and their bytecode written into the copy's manifest
    (``direct_compile``); else ``ape compile --force`` (every contract: ape recompiles only the changed file
    otherwise, not the contracts that import it, so a MathLib mutant would never reach the pool's bytecode)."""
    if scratch.direct:
        return direct_compile(scratch, m.path, timeout, only_own=own_bytecode_only(scratch.dir, m))
    status, out = scratch.run([scratch.ape, "compile", "--force"], timeout)
    return "fail" if status == "pass" and "ERROR" in out else status


_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*from\s+)?["\']([^"\']+)["\']', re.M)


def dependents(root: Path, sources: list[str], changed: str) -> list[str]:
    """The project sources (repository-relative) that are ``changed`` or import it, directly or not."""
    imports: dict[str, set[str]] = {}
    for src in sources:
        imports[src] = {os.path.normpath(os.path.join(os.path.dirname(src), imp))
                        for imp in _IMPORT.findall((root / src).read_text()) if imp.startswith(".")}
    out, grew = {changed}, True
    while grew:
        grew = False
        for src, deps in imports.items():
            if src not in out and deps & out:
                out.add(src)
                grew = True
    return sorted(out & set(sources))


def own_bytecode_only(root: Path, m: Mutant) -> bool:
    """Whether ``m`` can change only the bytecode of the contracts of its own file: it lies inside a concrete
    ``contract`` that no project source inherits (``is X``) or creates (``new X``). A library, an abstract
    contract, a file-level constant or function is inlined into its importers, which must be compiled too."""
    code = _SOL_MASK.sub(_blank, (root / m.path).read_text())
    owner = None
    for d in re.finditer(r"^(abstract\s+contract|contract|library|interface)\s+(\w+)", code, re.M):
        if d.start() < m.offset:
            owner = d
    if owner is None or owner.group(1) != "contract":
        return False
    end = code.find("\n}", owner.start())
    if not (owner.start() < m.offset < end):
        return False  # after the contract's closing brace: file level
    name = owner.group(2)
    uses = re.compile(rf"\bis\b[^{{;]*\b{name}\b|\bnew\s+{name}\b")
    return not any(uses.search(_SOL_MASK.sub(_blank, f.read_text())) for f in (root / "contracts").rglob("*.sol")
                   if "/.cache/" not in str(f))


def direct_compile(scratch: Scratch, changed: str, timeout: float, only_own: bool = False) -> str:
    """Compile ``changed`` and every project source importing it (``only_own``: ``changed`` alone) with ape's
    compiler settings (from the manifest) through the solc-js facade, and write the new deployment and runtime
    bytecode into the copy's ``.build`` manifest: 'pass', 'fail' (a compile error) or 'timeout'."""
    manifest_path = scratch.dir / ".build" / "__local__.json"
    manifest = json.loads(manifest_path.read_text())
    compiler = manifest["compilers"][0]
    for remapping in compiler["settings"].get("remappings", []):  # ape's dependency cache, from node_modules
        prefix, _, cached = remapping.partition("=")
        link = scratch.dir / cached
        if prefix.startswith("@") and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(scratch.source / "node_modules" / prefix)
    settings = {k: v for k, v in compiler["settings"].items() if k != "outputSelection"}
    names = [changed] if only_own else \
        dependents(scratch.dir, [s for s in manifest["sources"] if "/.cache/" not in s], changed)
    standard = {"language": "Solidity",
                "sources": {n: {"content": (scratch.dir / n).read_text()} for n in names},
                "settings": {**settings, "outputSelection": {n: {"*": ["evm.bytecode.object",
                                                                       "evm.deployedBytecode.object"]}
                                                             for n in names}}}
    solc = next(Path(scratch.env["SOLCX_BINARY_PATH"]).glob(f"solc-v{compiler['version'].split('+')[0]}"))
    try:
        p = subprocess.run([str(solc), "--standard-json", "--base-path", str(scratch.dir)], cwd=scratch.dir,
                           env=scratch.env, input=json.dumps(standard), capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    out = json.loads(p.stdout or "{}")
    if p.returncode or any(e.get("severity") == "error" for e in out.get("errors", [])) or "contracts" not in out:
        return "fail"
    types = manifest["contractTypes"]
    for contracts in out["contracts"].values():
        for name, c in contracts.items():
            if name in types:
                types[name].setdefault("deploymentBytecode", {})["bytecode"] = "0x" + c["evm"]["bytecode"]["object"]
                types[name].setdefault("runtimeBytecode", {})["bytecode"] = \
                    "0x" + c["evm"]["deployedBytecode"]["object"]
    manifest_path.write_text(json.dumps(manifest))
    return "pass"


def direct_compile_reproduces(scratch: Scratch, targets: tuple[str, ...], timeout: float) -> bool:
    """Whether ``direct_compile`` of each unmutated Solidity target gives ape's baseline bytecode exactly
    (metadata cut): the condition for using it instead of ``ape compile --force``."""
    baseline = bytecodes(scratch.baseline_build)
    try:
        for target in (t for t in targets if t.endswith(".sol")):
            if direct_compile(scratch, target, timeout) != "pass" or bytecodes(scratch.dir / ".build") != baseline:
                return False
        return True
    finally:
        scratch.restore_build()


def report(results: list[Result], total: int, wall: float) -> str:
    """The Markdown summary: score, counts per kind and every survivor."""
    killed = sum(r.status == "killed" for r in results)
    survived = [r for r in results if r.status == "survived"]
    invalid = sum(r.status == "invalid" for r in results)
    equivalent = [r for r in results if r.status == "equivalent"]
    scored = killed + len(survived)
    score = 100.0 * killed / scored if scored else 0.0
    lines = [f"mutation score: {killed}/{scored} killed = {score:.1f}% "
             f"({invalid} invalid, {len(equivalent)} equivalent, {len(results)} run of {total} mutants, {wall:.0f} s)"]
    for kind in ("rounding", "comparison", "sign"):
        rs = [r for r in results if r.kind == kind and r.status in ("killed", "survived")]
        lines.append(f"  {kind:>10}: {sum(r.status == 'killed' for r in rs)}/{len(rs)} killed")
    lines += ["survivors:"] + [f"  {r.mutant}" for r in survived]
    lines += ["equivalent (not scored):"] + [f"  {r.mutant}" for r in equivalent]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--sample", type=int, default=0, help="run a seeded random sample of N mutants (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", nargs="*", default=None, help="only these target files (repository-relative)")
    parser.add_argument("--kinds", nargs="*", default=None, help="only these kinds: rounding comparison sign")
    parser.add_argument("--anvil", action="store_true", help="also run the anvil stage on mutants still alive")
    parser.add_argument("--anvil-examples", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per stage")
    parser.add_argument("--json", type=Path, default=None,
                        help="write every result to this JSON file (after each mutant)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the results already in --json and run only the mutants not in it")
    parser.add_argument("--ids", nargs="*", default=None,
                        help="only the mutants whose ``path:line:col original->replacement`` contains one of these")
    parser.add_argument("--checks", nargs="*", default=None,
                        help="run only these checks in the fast stage (survivors then say 'survived (subset)')")
    parser.add_argument("--retry-survivors", action="store_true",
                        help="with --resume: run the saved survivors again (after checks were added)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy (its path is printed)")
    parser.add_argument("--no-confirm", dest="confirm", action="store_false",
                        help="a survivor of its covering tests is not re-run on the whole fast stage")
    parser.add_argument("--ape-compile", action="store_true",
                        help="Solidity mutants: always ape compile --force (not the direct compile)")
    parser.add_argument("--no-select", action="store_true",
                        help="run the whole fast stage for every mutant (no per-mutant selection by coverage)")
    parser.add_argument("--report", action="store_true",
                        help="with --json: print the score of the saved results still current, and exit")
    parser.add_argument("--stale", action="store_true",
                        help="with --json: list the saved results the current sources invalidate, and exit")
    args = parser.parse_args(argv)

    targets = tuple(args.files) if args.files else TARGETS
    mutants = [m for m in all_mutants(ROOT, targets) if (not args.kinds or m.kind in args.kinds)
               and (not args.ids or any(i in m.ident for i in args.ids))]
    if args.list:
        for m in mutants:
            print(f"{m.kind:>10}  {m.ident}")
        print(f"{len(mutants)} mutants")
        return 0
    total = len(mutants)
    if args.sample and args.sample < total:
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=lambda m: (m.path, m.offset))

    saved = load_results(args.json) if args.json else []
    current, stale = split_current(saved, all_mutants(ROOT, TARGETS))
    if args.report:
        print(report(current, total, sum(r.seconds for r in current)))
        print(f"CPU: {sum(r.cpu for r in current):.0f} s over {len(current)} results"
              f" ({sum(r.cpu for r in current if r.status == 'killed'):.0f} s on kills)")
        return 0
    if args.stale:
        print(f"{len(current)} results current, {len(stale)} need a re-run (line text or function changed):")
        print("\n".join(f"  {r.key or r.mutant}  [{r.status}]" for r in stale))
        missing = [m for m in mutants if m.key not in {r.key for r in current}]
        print(f"{len(missing)} mutants without a current result:")
        print("\n".join(f"  {m.ident}" for m in missing))
        return 0
    wall = time.monotonic()
    scratch = Scratch(ROOT, keep=args.keep)
    print(f"scratch copy: {scratch.dir}", flush=True)
    try:
        select = not args.no_select and not args.checks and any(m.path.endswith(".py") for m in mutants)
        solidity = any(m.path.endswith(".sol") for m in mutants) and not args.ape_compile
        cache = ROOT / ".mutate-cache" / baseline_key(scratch.dir)
        if select and (cache / "baseline.json").exists():
            for name in (COVERAGE_FILE, JUNIT):
                shutil.copy2(cache / name, scratch.dir / name)
            scratch.direct = solidity and json.loads((cache / "baseline.json").read_text())["direct"]
            print(f"baseline: cached in {cache} (same sources, tests and build)", flush=True)
        else:
            start, cpu = time.monotonic(), children_cpu()
            if select:
                status, out = coverage_baseline(scratch, args.timeout * 4)
            else:
                status, out = fast_check(scratch, args.timeout * 2, only=tuple(args.checks or ()))
            if status != "pass":
                print(f"baseline fails its own fast checks ({status}):\n{out}")
                return 2
            print(f"baseline passed in {time.monotonic() - start:.0f} s wall, {children_cpu() - cpu:.0f} s CPU",
                  flush=True)
            if solidity:
                start = time.monotonic()
                scratch.direct = direct_compile_reproduces(scratch, TARGETS, args.timeout)
                print("Solidity mutants: " + ("direct compile (reproduces ape's bytecode" if scratch.direct
                                              else "ape compile --force (the direct compile differs from ape's")
                      + f", checked in {time.monotonic() - start:.0f} s)", flush=True)
            if select:
                cache.mkdir(parents=True, exist_ok=True)
                for name in (COVERAGE_FILE, JUNIT):
                    shutil.copy2(scratch.dir / name, cache / name)
                (cache / "baseline.json").write_text(json.dumps({"direct": scratch.direct}))
        contexts = line_contexts(scratch) if select else None
        args.seconds = test_seconds(scratch) if select else {}
        args.inprocess_order = in_order({t for t in args.seconds if any(within(t, e) for e in INPROCESS_CHECKS)},
                                        args.seconds)
        results = current if args.resume else []
        retry = {r.key for r in results if r.status == "survived"} if args.retry_survivors else set()
        results = [r for r in results if r.key not in retry]
        done = {r.key for r in results}
        todo = interleaved([m for m in mutants if m.key not in done])
        todo.sort(key=lambda m: m.key not in retry)  # the survivors being retried first
        for i, m in enumerate(todo, 1):
            r = run_mutant(scratch, m, args, contexts)
            results.append(r)
            print(f"[{i}/{len(todo)}] {r.status:>10} {r.stage:<16} {r.seconds:6.1f}s wall {r.cpu:6.1f}s CPU "
                  f"{r.tests or 'all':>4} tests  {r.mutant}", flush=True)
            if args.json:
                save_results(args.json, results)
    finally:
        scratch.close()
    print(report(results, total, time.monotonic() - wall))
    return 0


def interleaved(mutants: list[Mutant]) -> list[Mutant]:
    """``mutants`` with the files interleaved in proportion (each file's mutants in order): a run stopped
    part-way has sampled every file evenly."""
    by_file: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_file.setdefault(m.path, []).append(m)
    return sorted(mutants, key=lambda m: ((by_file[m.path].index(m) + 0.5) / len(by_file[m.path]), m.path))


def baseline_key(root: Path) -> str:
    """A hash of everything the baseline depends on: the sources, tests, contracts and tools of the copy and its
    compiled manifest (a cached baseline is reused only for identical inputs)."""
    digest = hashlib.sha1()
    for top in ("protocol_model", "tests", "contracts", "tools", "pyproject.toml"):
        for f in sorted([root / top] if (root / top).is_file() else (root / top).rglob("*")):
            if f.is_file() and not {"__pycache__", ".cache", ".hypothesis"} & set(f.parts):
                digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    digest.update((root / ".build" / "__local__.json").read_bytes())
    return digest.hexdigest()[:16]


def split_current(saved: list[Result], mutants: list[Mutant]) -> tuple[list[Result], list[Result]]:
    """(results still valid for the current sources, results to re-run). A result is current when a mutant
    with its ``key`` exists and the enclosing function's ``scope`` hash is unchanged. Results saved before
    keys existed are matched by their ident (``path:line:col change``) and take that mutant's key."""
    by_key = {m.key: m for m in mutants}
    by_ident = {m.ident: m for m in mutants}
    latest: dict[str, Result] = {}
    for r in saved:  # the last result of each mutant counts
        if not r.key and r.mutant in by_ident:
            r = replace(r, key=by_ident[r.mutant].key, scope=by_ident[r.mutant].scope)
        latest[r.key or r.mutant] = r
    current = [r for r in latest.values() if r.key in by_key and by_key[r.key].scope == r.scope]
    return current, [r for r in latest.values() if r not in current]


def load_results(path: Path) -> list[Result]:
    """The results saved by an earlier run (none if the file does not exist)."""
    return [Result(**r) for r in json.loads(path.read_text())] if path.exists() else []


def save_results(path: Path, results: list[Result]) -> None:
    """Write ``results`` as JSON (one object per mutant, in run order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
