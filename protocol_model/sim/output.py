"""Output folders every command writes (simulate, sweep, stablecoin, report, formats): checked before any
work, written atomically.

* :func:`check_out` runs before anything is computed: the target must not be a file, its parent must be a
  writable directory, and an existing folder is replaced only if it is empty or is an output of this
  package (it holds one of ``OUTPUT_MARKERS``), so ``--out ~`` can never replace a home directory.
* :func:`atomic_dir` yields a fresh temporary folder beside the target (same file system); when the block
  ends without an exception the folder is renamed into place — on Linux in one atomic exchange with the
  old folder (``renameat2(RENAME_EXCHANGE)``), elsewhere by two renames — and the old folder is deleted
  only then. An exception (``KeyboardInterrupt`` included) deletes the temporary folder and leaves the old
  one untouched; a killed process leaves the old folder untouched and a hidden ``.NAME.tmp-PID-…`` folder,
  which the next run of the same target deletes once that process is gone.
* :func:`atomic_file` writes one file by the same rule (a temporary file, then ``os.replace``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from protocol_model.scenario.base import ScenarioError

OUTPUT_MARKERS = ("summary.json", "sweep.json", "stable.json", "compare.json", "import.json")
"""A folder holding one of these was written by a command of this package and may be replaced."""
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class OutputError(ScenarioError):
    """An output path cannot be written; one line naming the option, the path and the rule."""


def _cannot_write(folder: Path) -> str:
    """Why a folder cannot be created in ``folder`` ('' if it can): tried, not guessed from permissions
    (root passes permission bits; a read-only or virtual file system does not)."""
    if not folder.is_dir():
        return "not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(dir=folder, prefix=".protocol-model-probe-"))
    except OSError as err:
        return err.strerror or type(err).__name__
    return ""


def is_output(folder: Path) -> str:
    """Why ``folder`` may not be replaced ('' if it may: empty, or holding one of ``OUTPUT_MARKERS``)."""
    if not any(folder.iterdir()) or any((folder / m).is_file() for m in OUTPUT_MARKERS):
        return ""
    return f"an existing folder that is not an output of protocol-model (none of {', '.join(OUTPUT_MARKERS)})"


def check_out(out: Path, option: str = "--out", replaceable: Callable[[Path], str] = is_output) -> Path:
    """Check that ``out`` can be written as a folder, before any work. Returns ``out``.

    ``replaceable(folder)`` says why an existing folder may not be replaced ('' if it may).
    Raises OutputError: ``out`` is an existing file; an existing folder ``replaceable`` refuses; its parent
    (or the nearest existing ancestor, for a new nested path) is not a writable directory.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"{option} {out}: is an existing file, not a folder (give a folder path)")
    why = replaceable(out) if out.is_dir() else ""
    if why:
        raise OutputError(f"{option} {out}: {why}; it would be replaced: give a new or empty folder")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    why = _cannot_write(ancestor)
    if why:
        raise OutputError(f"{option} {out}: cannot write there ({ancestor}: {why}); nothing was run")
    return out


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the call is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Delete temporary folders of ``out`` left by processes that no longer run (killed mid-write)."""
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        pid = stale.name.removeprefix(f".{out.name}.tmp-").split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _install(tmp: Path, out: Path) -> None:
    """Put the complete folder ``tmp`` at ``out``; the old ``out`` (if any) is deleted afterwards."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):  # tmp now holds the old folder
        shutil.rmtree(tmp)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-{os.getpid()}-"))
    os.rename(out, old / out.name)
    os.rename(tmp, out)
    shutil.rmtree(old)


@contextlib.contextmanager
def atomic_dir(out: Path, *, seed_from_old: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write into; renamed to ``out`` when the block ends normally.

    ``seed_from_old``: start from a copy of the existing ``out`` (files hard-linked: write them through
    :func:`atomic_file` or unlink before rewriting, never in place). On an exception the temporary folder
    is deleted and ``out`` is untouched. Raises OSError from the file system.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-{os.getpid()}-"))
    try:
        if seed_from_old and out.is_dir():
            tmp.rmdir()
            shutil.copytree(out, tmp, copy_function=_link_or_copy)
        yield tmp
        _install(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def atomic_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file beside it and ``os.replace`` (never half a file,
    and a hard link to the old file is left unchanged). Returns ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-{os.getpid()}-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _finite_or_null(node: Any) -> Any:
    """``node`` with every non-finite float (inf, -inf, nan) replaced by None, through dicts, lists and tuples."""
    if isinstance(node, float):
        return node if math.isfinite(node) else None
    if isinstance(node, dict):
        return {k: _finite_or_null(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_finite_or_null(v) for v in node]
    return node


def report_json(doc: Any) -> str:
    """``doc`` as strict JSON (RFC 8259, indented): a figure with no finite value — the lowest health factor of a
    book without debt (infinite), a statistic of no path — is ``null``, never Python's ``Infinity``/``NaN`` tokens,
    which strict parsers (browsers' ``JSON.parse``, jq, Go, Rust) refuse. The report renders ``null`` as '–'.
    Raises ValueError for a value JSON cannot hold."""
    return json.dumps(_finite_or_null(doc), indent=2, allow_nan=False)

