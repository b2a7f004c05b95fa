"""protocol_model: state a lending protocol's risk parameters once, model them exactly and at scale.

The package core is pure Python (no ape/web3 import, no I/O at import time). Chain adapters live in
``protocol_model.chain`` and are imported only by scripts and tests that talk to a chain.

``import protocol_model`` is cheap: the notebook API below is imported on first use (module ``__getattr__``).

- :func:`load` (``protocol_model.api.load``): any file kind, by path or bundled name, validated.
- :func:`model`: the exact model (``ModelWorld`` / ``PerpModelWorld``) of a protocol in one call.
- :func:`play`: a story in the exact model with the state after every step (:class:`StoryRun`).
- :class:`Action`: one pool call in token units, for ``world.apply(action, now)``.
- :func:`simulate` / :func:`run_sweep`: the risk lab on a loaded simulation / sweep.
- :mod:`protocol_model.data`: the bundled protocol files, stories, contracts and compiled artifacts.

Every result has ``to_frame()`` (pandas, human units; ``raw=True`` for the exact integers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The project's version (``[project] version`` in pyproject.toml is read from here)."""

_LAZY = {
    "load": "protocol_model.api.load",
    "model": "protocol_model.api.load",
    "resolve_path": "protocol_model.api.load",
    "play": "protocol_model.api.story",
    "StoryRun": "protocol_model.api.story",
    "Action": "protocol_model.world.action",
    "simulate": "protocol_model.sim.run",
    "run_sweep": "protocol_model.sim.sweep",
}
"""Public name -> the module it is imported from on first access."""

__all__ = ["Action", "StoryRun", "__version__", "load", "model", "play", "resolve_path", "run_sweep", "simulate"]

if TYPE_CHECKING:
    from protocol_model.api.load import load, model, resolve_path
    from protocol_model.api.story import StoryRun, play
    from protocol_model.sim.run import simulate
    from protocol_model.sim.sweep import run_sweep
    from protocol_model.world.action import Action


def __getattr__(name: str) -> Any:
    """Import a public name of the notebook API on first access (PEP 562); ``AttributeError`` otherwise."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'protocol_model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
