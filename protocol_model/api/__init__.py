"""The notebook API: load any file, build the exact model of a protocol in one call, play a story step by
step, and see every result as a pandas DataFrame.

>>> import protocol_model as pm
>>> protocol = pm.load("generic")                      # a bundled protocol (or any file path, any kind)
>>> world = pm.model(protocol, accounts={"alice": {"WETH": 10}, "bob": {"USDC": 50_000}})
>>> world.apply(pm.Action("supply", "alice", "WETH", 10 * 10**18), now=1_700_000_001)
'ok'
>>> run = pm.play("stories/bad_debt")                  # a bundled story: per-step snapshots
>>> run.to_frame()                                     # one row per step, labelled columns in human units

Every result type has ``to_frame()`` (``raw=True`` for the exact integers): ``Snapshot``/``PerpSnapshot``
(:mod:`protocol_model.world.frames`), :class:`StoryRun`, ``SimulationResult`` and ``SweepResult``
(:mod:`protocol_model.sim.frames`).
"""

from __future__ import annotations

from protocol_model.api.load import load, model, resolve_path
from protocol_model.api.story import StoryRun, play

__all__ = ["StoryRun", "load", "model", "play", "resolve_path"]
