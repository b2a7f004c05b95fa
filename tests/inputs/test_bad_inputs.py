"""The bad-input corpus (issue #15): every case of cases.yaml runs a ``protocol-model`` command on a bad file,
option or output path. Each must exit non-zero with exactly one line on stderr that names the file (or
the option's path), the field path or line, and the rule; no traceback; nothing on stdout; and no file
created or changed in the case's folder (the check runs before any work).

A few cases also run as a real process (``python -m protocol_model``) to show the console entry point
prints the same one line and no traceback.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from protocol_model.cli import main

HERE = Path(__file__).resolve().parent
BASES = HERE / "bases"
PROTOCOL = HERE.parents[1] / "protocols" / "generic.yaml"
"""The base protocol file (risk parameters are stated only in protocols/): copied as protocol.yaml."""
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text())["cases"]
ROOT = HERE.parents[1]


def _walk(data: Any, dotted: str) -> tuple[Any, Any]:
    """The container holding the last part of ``dotted`` and that part (an int for a list index)."""
    parts: list[Any] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node = data
    for p in parts[:-1]:
        node = node[p]
    return node, parts[-1]


def _build(spec: Any) -> bytes:
    """A case file's bytes from its spec (see cases.yaml)."""
    if isinstance(spec, str):
        return spec.encode()
    if "binary" in spec:
        return bytes.fromhex(spec["binary"].replace(" ", ""))
    if "nest" in spec:  # a hostile file: a value nested `nest` brackets deep
        return f"kind: protocol\nx: {'[' * spec['nest']}{']' * spec['nest']}\n".encode()
    text = (PROTOCOL if spec["from"] == "protocol.yaml" else BASES / spec["from"]).read_text()
    for old, new in spec.get("replace", []):
        assert old in text, old
        text = text.replace(old, new)
    if any(k in spec for k in ("set", "drop", "rename")):
        data = yaml.safe_load(text)
        for dotted, value in spec.get("set", {}).items():
            node, key = _walk(data, dotted)
            node[key] = value
        for dotted in spec.get("drop", []):
            node, key = _walk(data, dotted)
            del node[key]
        for dotted, new in spec.get("rename", {}).items():
            node, key = _walk(data, dotted)
            node[new] = node.pop(key)
        text = yaml.safe_dump(data, sort_keys=False)
    return (text + spec.get("append", "")).encode()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with its content hash (folders: 'dir')."""
    out = {}
    for p in sorted(folder.rglob("*")):
        out[p.relative_to(folder).as_posix()] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _readonly(folder: Path) -> str:
    """An output path no process here may write: under /sys for root (permission bits do not stop root),
    else under a folder without write permission."""
    if os.geteuid() == 0:
        return "/sys/protocol-model-out"
    ro = folder / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return str(ro / "out")


def _setup(case: dict[str, Any], folder: Path) -> tuple[list[str], str]:
    for base in BASES.iterdir():
        (folder / base.name).write_bytes(base.read_bytes())
    (folder / "protocol.yaml").write_bytes(PROTOCOL.read_bytes())
    for name, spec in (case.get("files") or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(_build(spec))
    for name in case.get("mkdir", []):
        (folder / name).mkdir()
    readonly = _readonly(folder) if case.get("readonly") else ""
    return [str(a).replace("{readonly}", readonly) for a in case["argv"]], readonly


def _named(case: dict[str, Any], argv: list[str], readonly: str) -> str:
    if "names" in case:
        return str(case["names"]).replace("{readonly}", readonly)
    return argv[1] if argv[0] != "formats" else argv[-1]


def test_corpus_size():
    """The issue asks for at least 60 cases across every kind and command."""
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES), "case ids repeat"
    commands = {c["argv"][0] for c in CASES}
    assert {"check", "simulate", "sweep", "stablecoin", "story", "report", "formats"} <= commands
    for option in ("--paths", "--workers", "--scheduler", "--out", "--docs"):
        assert any(option in c["argv"] for c in CASES), option


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv, readonly = _setup(case, tmp_path)
    before = _snapshot(tmp_path)
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse: --help or a usage error
        code = stop.code
    out, err = capsys.readouterr()
    assert code not in (0, None), f"exit {code}; stderr: {err}"
    assert out == "", out
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    for fragment in case["expect"]:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert _named(case, argv, readonly) in err, err
    assert _snapshot(tmp_path) == before, "a file was created or changed"
    if readonly.startswith("/sys"):
        assert not Path(readonly).exists()


@pytest.mark.parametrize("case_id", ["binary-simulation", "sweep-paths-negative", "simulate-scheduler-unreachable",
                                     "unknown-option", "simulate-out-is-a-file"])
def test_bad_input_as_a_process(case_id, tmp_path):
    """The real entry point: one line on stderr, no traceback, exit 2, within seconds."""
    case = next(c for c in CASES if c["id"] == case_id)
    argv, _ = _setup(case, tmp_path)
    before = _snapshot(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "protocol_model", *argv], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in case["expect"]:
        assert fragment in done.stderr
    assert _snapshot(tmp_path) == before
