"""Load any file kind by path or bundled name, and build the exact model of a protocol in one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

from protocol_model.data import path as bundled_path
from protocol_model.scenario.kinds import KINDS, read_kind
from protocol_model.scenario.perp import PerpScenario, load_perp_scenario, perp_scenario_on
from protocol_model.scenario.protocol import ProtocolFile, load_protocol
from protocol_model.scenario.story import Scenario, load_scenario, scenario_on
from protocol_model.sim.spec import SimulationSpec, SweepSpec, load_simulation, load_sweep
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.perp_world import PerpModelWorld

START = 1_700_000_000
"""Block time a model built here starts at (the same as ``run_model``'s default)."""

Loaded = Union[ProtocolFile, Scenario, PerpScenario, SimulationSpec, tuple[SweepSpec, SimulationSpec]]
"""What :func:`load` returns, by kind: protocol, story, perp_story, simulation, sweep (with its simulation)."""

Source = Union[str, Path, ProtocolFile, Scenario, PerpScenario]
"""What :func:`model` builds from: a file (path or bundled name) or an already loaded object."""

Accounts = Union[Mapping[str, Mapping[str, Union[int, float, str, Decimal]]], Sequence[str], None]
"""Accounts of a model built from a protocol: name -> {asset: whole tokens minted at the start}, or names."""

LOADERS: dict[str, Callable[[Path], Any]] = {
    "protocol": load_protocol, "story": load_scenario, "perp_story": load_perp_scenario,
    "simulation": load_simulation, "sweep": load_sweep,
}
"""kind -> the loader that validates a file of that kind with everything it refers to."""


def resolve_path(name: str | Path) -> Path:
    """Where a file named by the user is: an existing path as given, else a bundled file, looked up as a
    protocol name (``generic``) and then as a path under the bundled ``scenarios`` (``stories/bad_debt``,
    ``lab/eth_crash.yaml``).

    Raises ``FileNotFoundError`` naming what was tried.
    """
    path = Path(name)
    if path.is_file():
        return path
    tried = [str(path)]
    for parts in (("protocols", path.name if path.suffix else f"{path}.yaml"),
                  ("scenarios", str(path) if path.suffix else f"{path}.yaml")):
        try:
            return bundled_path(*parts)
        except FileNotFoundError:
            tried.append("bundled " + "/".join(parts))
    raise FileNotFoundError(f"no file {name!r} (tried: {', '.join(tried)})")


def load(path: str | Path) -> Loaded:
    """Read any file kind (its ``kind:`` says which) and validate it with everything it refers to, as
    ``protocol-model check`` does: a ``ProtocolFile``, a ``Scenario`` (story), a ``PerpScenario``, a
    ``SimulationSpec``, or ``(SweepSpec, SimulationSpec)`` for a sweep.

    ``path`` may be a bundled name (:func:`resolve_path`). Raises ``FileNotFoundError`` and ``ScenarioError``
    (one line: file, field path, rule).
    """
    found = resolve_path(path)
    kind, _ = read_kind(found, *KINDS)
    return LOADERS[kind](found)


def _accounts(accounts: Accounts) -> list[dict[str, Any]]:
    if accounts is None:
        accounts = ["alice"]
    if isinstance(accounts, Mapping):
        return [{"name": name, "balances": {a: str(v) for a, v in balances.items()}}
                for name, balances in accounts.items()]
    return [{"name": name} for name in accounts]


def model(source: Source, accounts: Accounts = None, *, assets: list[str] | None = None,
          start: int = START) -> ModelWorld | PerpModelWorld:
    """The exact model of a protocol (or story) in one call, every asset listed at block time ``start``.

    ``source``: a protocol, story or perp story file (path or bundled name, :func:`resolve_path`) or an
    object :func:`load` returned. A protocol with assets gives a ``ModelWorld`` (``.pool`` is the
    ``LendingPool`` twin, ``.apply(Action, now)`` runs a call, ``.snapshot().to_frame()`` shows it) with
    ``accounts`` (name -> whole tokens minted per asset, or bare names; default ``["alice"]``) and the named
    ``assets`` (default: all); a protocol with only a perp engine gives a ``PerpModelWorld`` (each account
    gets ``balance`` tokens of the settlement token when ``accounts`` maps it to ``{"balance": n}``). A story
    gives its world before the first step (its own accounts; ``accounts`` must be ``None``).

    Raises ``FileNotFoundError``, ``ScenarioError`` (a bad file, account or asset), ``TypeError`` for a
    source of another kind (a simulation or sweep has no exact world) and ``ValueError`` for ``accounts``
    given with a story.
    """
    obj: Any = load(source) if isinstance(source, (str, Path)) else source
    if isinstance(obj, (Scenario, PerpScenario)) and accounts is not None:
        raise ValueError("a story brings its own accounts: build from its protocol to choose them")
    if isinstance(obj, ProtocolFile):
        if obj.assets:
            obj = scenario_on(obj, {"name": obj.name, "accounts": _accounts(accounts)}, assets, obj.name)
        else:
            perp_accounts = [{"name": a["name"], "balance": a.get("balances", {}).get("balance", "0")}
                             for a in _accounts(accounts)]
            obj = perp_scenario_on(obj, {"name": obj.name, "accounts": perp_accounts}, None, obj.name)
    if isinstance(obj, Scenario):
        return ModelWorld(obj, {a.name: start for a in obj.assets})
    if isinstance(obj, PerpScenario):
        return PerpModelWorld(obj, [start] * len(obj.markets))
    raise TypeError(f"no exact model of a {type(obj).__name__}: give a protocol, story or perp story")
