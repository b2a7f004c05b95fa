"""The files the package ships: example protocol files, stories, Solidity sources and compiled artifacts.

Four folders, reachable as package resources (``importlib.resources.files("protocol_model.data")``) in a
checkout and in an installed wheel alike:

==============  =========================================  ==========================================
folder          what                                       in a checkout, a link to
==============  =========================================  ==========================================
``protocols``   protocol files (``kind: protocol``)        ``protocols/``
``scenarios``   stories, perp stories, simulations, sweeps ``scenarios/``
``contracts``   the Solidity sources                       ``contracts/``
``artifacts``   what ``ape compile`` wrote                 ``.build/`` (``__local__.json``)
==============  =========================================  ==========================================

In a checkout the folders are symbolic links to the repository's top-level folders (nothing is copied, the
repository layout stays as it is); a wheel (``make dist``) holds copies taken at build time. The stories'
relative references (``protocol: ../../protocols/generic.yaml``) resolve the same way in both.

This module is the bottom layer of the package: it imports nothing from it and does no I/O at import time
(paths are computed, never read).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["ARTIFACTS_DIR", "FOLDERS", "PROTOCOLS_DIR", "SCENARIOS_DIR", "artifacts_manifest", "bundled", "path",
           "protocol_file", "resource"]

FOLDERS = ("protocols", "scenarios", "contracts", "artifacts")
"""The bundled folders (see the module docstring)."""

_HERE = Path(__file__).parent

PROTOCOLS_DIR = (_HERE / "protocols").resolve()
"""Where a bare protocol name (``protocol: generic``) is looked up: the bundled protocol files."""
SCENARIOS_DIR = (_HERE / "scenarios").resolve()
"""The bundled stories, perp stories, simulations and sweeps."""
ARTIFACTS_DIR = (_HERE / "artifacts").resolve()
"""The compiled artifacts (``__local__.json``, ``storage_layout.json``): a checkout's ``.build/``, or the copies in
an installed wheel. May not exist yet in a checkout that was never compiled."""


def resource(*parts: str) -> Traversable:
    """A bundled file or folder as a package resource (``importlib.resources``), e.g.
    ``resource("protocols", "generic.yaml")``. The result may not exist; ``.is_file()`` tells."""
    return files(__name__).joinpath(*parts)


def path(*parts: str) -> Path:
    """The file-system path of a bundled file or folder, e.g. ``path("scenarios", "stories", "bad_debt.yaml")``.

    Raises ``ValueError`` when the first part is not one of :data:`FOLDERS` and ``FileNotFoundError`` when
    nothing is there (``artifacts`` exist only after ``ape compile`` in a checkout).
    """
    if not parts or parts[0] not in FOLDERS:
        raise ValueError(f"a bundled path starts with one of {FOLDERS}, not {parts[:1]}")
    found = _HERE.joinpath(*parts).resolve()
    if not found.exists():
        raise FileNotFoundError(f"no bundled {'/'.join(parts)} ({found})")
    return found


def protocol_file(name: str) -> Path:
    """The bundled protocol file called ``name`` (``generic`` -> ``protocols/generic.yaml``).

    Raises ``FileNotFoundError`` naming the protocols that are bundled when there is no such file.
    """
    try:
        return path("protocols", f"{name}.yaml")
    except FileNotFoundError:
        known = ", ".join(bundled("protocols"))
        raise FileNotFoundError(f"no bundled protocol '{name}' (bundled: {known})") from None


def bundled(folder: str, pattern: str = "*.yaml") -> list[str]:
    """Names (relative to ``folder``, without the ``.yaml`` suffix for YAML files) of the bundled files
    matching ``pattern`` (a ``Path.glob`` pattern, ``**/`` for sub-folders), sorted.

    ``bundled("protocols")`` -> ``["fuzz", "generic", ...]``; ``bundled("scenarios", "**/*.yaml")`` ->
    ``["default", "fork/populated", ...]``. Raises ``ValueError`` / ``FileNotFoundError`` as :func:`path`.
    """
    root = path(folder)
    return sorted(str(p.relative_to(root).with_suffix("") if p.suffix == ".yaml" else p.relative_to(root))
                  for p in root.glob(pattern) if p.is_file())


def artifacts_manifest() -> Path:
    """The compiled contracts' manifest (``artifacts/__local__.json``: ABI and bytecode of every contract).

    Raises ``FileNotFoundError`` in a checkout that has not been compiled yet (``make setup``).
    """
    return path("artifacts", "__local__.json")
