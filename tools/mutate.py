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
and ``.solcx`` are linked, the compiled ``.build`` is copied), never to the working tree. The kill check runs in
stages and stops at the first stage that fails (the mutant is then *killed*):

1. Solidity mutants only: ``ape compile --force`` in the scratch copy (every contract: a library mutant must reach
   the contracts that inline it); a compile error makes the mutant *invalid*
   (not counted in the score).
2. ``pytest -p no:ape_test -x`` on the fast checks: the model-only twin tests and the model-vs-chain
   differential on the in-process chain (revm; ``tests/chain/test_inprocess.py`` and
   ``tests/mutation/test_inprocess_differential.py``), against the scratch copy's compiled bytecode.
3. With ``--anvil``, for mutants still alive: a short run of the hypothesis differential fuzzer on anvil
   (``tests/crosscheck/test_differential_fuzz.py::test_model_and_chain_agree``, oracle failure rules included)
   and the chain-side oracle policy tests (the in-process chain does not deploy oracle policies yet).

A mutant that makes a stage time out is killed (a hang is a detected change). The score is
killed / (killed + survived). Exit status 0 always (the score is a measurement); 2 if the unmutated baseline
fails its own checks (then every "kill" would be meaningless).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator
from dataclasses import asdict, dataclass
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
)
"""Model-only checks (no chain): a Python mutant is usually killed here, in seconds; Solidity mutants skip them."""
INPROCESS_CHECKS = (
    "tests/mutation/test_boundaries.py",
    "tests/chain/test_inprocess.py",
    "tests/mutation/test_inprocess_differential.py",
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
EQUIVALENT: dict[tuple[str, str, str], str] = {
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
    ``original`` in the file, and its ``replacement``; ``kind`` is rounding, comparison or sign."""

    path: str
    line: int
    col: int
    offset: int
    kind: str
    original: str
    replacement: str

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
    """Every mutant of every target file, in file order."""
    out: list[Mutant] = []
    for rel in targets:
        text = (root / rel).read_text()
        out.extend(solidity_mutants(rel, text) if rel.endswith(".sol") else python_mutants(rel, text))
    return out


# ------------------------------------------------------------------ running


@dataclass
class Result:
    """One mutant's fate: status killed / survived / invalid, the stage that decided it and seconds spent."""

    mutant: str
    kind: str
    status: str
    stage: str
    seconds: float


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


def run_mutant(scratch: Scratch, m: Mutant, args: argparse.Namespace) -> Result:
    """Apply ``m`` in the scratch copy, run the staged kill check, then put the file (and build) back."""
    start = time.monotonic()
    target = scratch.dir / m.path
    original = target.read_text()
    if equivalence(m, original):
        return Result(m.ident, m.kind, "equivalent", "-", 0.0)
    target.write_text(m.apply(original))
    solidity = m.path.endswith(".sol")
    try:
        if solidity:
            # --force: ape recompiles only the changed file, not the contracts that import it (a MathLib mutant
            # would otherwise never reach the pool's bytecode)
            status, out = scratch.run([scratch.ape, "compile", "--force"], args.timeout)
            if status != "pass" or "ERROR" in out:
                return Result(m.ident, m.kind, "invalid", "compile", time.monotonic() - start)
            if bytecodes(scratch.dir / ".build") == bytecodes(scratch.baseline_build):
                # no deployed contract changed (e.g. an internal library function no contract calls): provably
                # equivalent for every check, whatever it runs
                return Result(m.ident, m.kind, "equivalent", "same bytecode", time.monotonic() - start)
        status, _ = fast_check(scratch, args.timeout, model=not solidity, only=tuple(args.checks or ()))
        if status != "pass":
            return Result(m.ident, m.kind, "killed", f"fast ({status})", time.monotonic() - start)
        if args.anvil:
            status, _ = anvil_check(scratch, args.timeout * 2, args.anvil_examples)
            if status != "pass":
                return Result(m.ident, m.kind, "killed", f"anvil ({status})", time.monotonic() - start)
        return Result(m.ident, m.kind, "survived", "subset" if args.checks else "-", time.monotonic() - start)
    finally:
        target.write_text(original)
        if solidity:
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

    wall = time.monotonic()
    scratch = Scratch(ROOT, keep=args.keep)
    print(f"scratch copy: {scratch.dir}", flush=True)
    try:
        status, out = fast_check(scratch, args.timeout * 2, only=tuple(args.checks or ()))
        if status != "pass":
            print(f"baseline fails its own fast checks ({status}):\n{out}")
            return 2
        results = load_results(args.json) if args.resume and args.json else []
        if args.retry_survivors:
            results = [r for r in results if r.status != "survived"]
        done = {r.mutant for r in results}
        todo = [m for m in mutants if m.ident not in done]
        for i, m in enumerate(todo, 1):
            r = run_mutant(scratch, m, args)
            results.append(r)
            print(f"[{i}/{len(todo)}] {r.status:>10} {r.stage:<16} {r.seconds:6.1f}s  {r.mutant}", flush=True)
            if args.json:
                save_results(args.json, results)
    finally:
        scratch.close()
    print(report(results, total, time.monotonic() - wall))
    return 0


def load_results(path: Path) -> list[Result]:
    """The results saved by an earlier run (none if the file does not exist)."""
    return [Result(**r) for r in json.loads(path.read_text())] if path.exists() else []


def save_results(path: Path, results: list[Result]) -> None:
    """Write ``results`` as JSON (one object per mutant, in run order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
