"""Protocol files (``protocols/*.yaml``, ``kind: protocol``): the only place a risk parameter is written.

A protocol states the pool, every asset (decimals, LTV, threshold, bonus, fees, caps, flags, rate curve,
feed and oracle policy), an optional perp engine and the rule set (``rules: generic``). Every other file
kind names one (``protocol: ../../protocols/x.yaml`` relative to the file, or a bare name looked up in
``protocols/``) and may change named fields::

    protocol: ../protocols/generic.yaml
    overrides: {assets.WETH.liquidation_threshold: 80%, pool.close_factor: 100%}

Overrides are validated exactly like the protocol itself; an error names the file, the override and the
rule. A protocol file may itself be a variant of another (``protocol:`` + ``overrides:``); a cycle of
references is an error.
"""

from __future__ import annotations

import copy
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from protocol_model.data import PROTOCOLS_DIR  # where a bare protocol name (``protocol: generic``) is looked up
from protocol_model.scenario.aave_v3 import AaveV3Market
from protocol_model.scenario.base import ScenarioError, Strict, closest, format_error
from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.morpho_blue import MorphoBlueSpec
from protocol_model.scenario.params import ASSET_NAME, AssetParams, AssetSpec, PerpSpec, PoolSpec

Overrides = dict[str, Any]
"""Field path (``assets.WETH.liquidation_threshold``) -> new value, in the protocol file's units."""


class ProtocolFile(Strict):
    """A protocol: pool, assets and perp markets with all their parameters, and the rule set."""

    kind: Literal["protocol"]
    name: str
    description: str = ""
    rules: Literal["generic", "morpho-blue", "aave-v3"]
    """The rule set the twins implement: ``generic`` (this repository's LendingPool), ``morpho-blue`` (Morpho
    Blue 1.0.0, its markets under ``morpho:``; scenario/morpho_blue.py) or ``aave-v3`` (the real Aave V3
    bytecode and its twin, configured by the ``aave_v3`` section; scenario/aave_v3.py)."""
    pool: PoolSpec = PoolSpec()
    assets: dict[str, AssetParams] = Field(default_factory=dict)
    """Listed assets by name, in listing order."""
    perp: PerpSpec | None = None
    """A perpetuals engine settled in a stablecoin (PerpEngine)."""
    morpho: MorphoBlueSpec | None = None
    """Morpho Blue's tokens and markets (``rules: morpho-blue`` only)."""
    aave_v3: AaveV3Market | None = None
    """The Aave V3 market of ``rules: aave-v3``: reserves and eMode categories (scenario/aave_v3.py)."""

    @field_validator("assets")
    @classmethod
    def _asset_names(cls, v: dict[str, AssetParams]) -> dict[str, AssetParams]:
        import re

        for name in v:
            if not re.match(ASSET_NAME, name):
                raise ValueError(f"'{name}' is not an asset name (a letter, then letters, digits, '_' or '.')")
        return v

    @model_validator(mode="after")
    def _something_listed(self) -> ProtocolFile:
        if (self.rules == "morpho-blue") != (self.morpho is not None):
            raise ValueError("rules: morpho-blue and a 'morpho:' section (tokens and markets) go together")
        if (self.rules == "aave-v3") != (self.aave_v3 is not None):
            raise ValueError("rules: aave-v3 and an aave_v3 section go together (one without the other)")
        if self.morpho is not None:
            if self.assets or self.perp is not None:
                raise ValueError("rules: morpho-blue states its markets under 'morpho:', not 'assets:' or 'perp:'")
            return self
        if not self.assets and self.perp is None and self.aave_v3 is None:
            raise ValueError("a protocol lists assets, a perp engine, or both")
        return self

    def asset_specs(self, names: list[str] | None = None, source: str = "") -> list[AssetSpec]:
        """The named assets (default: all, in listing order) with their names attached."""
        picked = list(self.assets) if names is None else names
        for name in picked:
            if name not in self.assets:
                raise ScenarioError(f"{source}: assets: '{name}' is not an asset of protocol {self.name} "
                                    f"(known: {list(self.assets)})")
        return [AssetSpec.model_validate({**self.assets[n].model_dump(), "name": n}) for n in picked]


class ReferringFile(Strict):
    """The fields every file that refers to a protocol has."""

    protocol: str
    """The protocol file: a path relative to this file, or a name in ``protocols/``."""
    overrides: Overrides = Field(default_factory=dict)
    """Protocol fields this file changes, by path (``assets.WETH.liquidation_threshold: 80%``)."""


def protocol_path(ref: str, referrer: str | Path) -> Path:
    """Where ``protocol: ref`` in ``referrer`` points (ScenarioError if no such file)."""
    if "/" in ref or ref.endswith((".yaml", ".yml")):
        path = Path(referrer).parent / ref
    else:
        path = PROTOCOLS_DIR / f"{ref}.yaml"
    if not path.is_file():
        raise ScenarioError(f"{referrer}: protocol: no such file '{ref}' ({path})")
    return path


def _inner(annotation: Any) -> Any:
    """The model (or ``('dict', model)``) a field's annotation holds, ``None`` for a plain value."""
    if isinstance(annotation, (types.UnionType,)) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _inner(args[0]) if len(args) == 1 else None
    if typing.get_origin(annotation) is dict:
        return ("dict", _inner(typing.get_args(annotation)[1]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def apply_overrides(data: dict, overrides: Any, source: str | Path, model: type[BaseModel] = ProtocolFile) -> dict:
    """``data`` (a protocol as read from its file) with ``overrides`` applied; not validated yet.

    Raises ScenarioError naming ``overrides.PATH`` for a path that names no field of ``model`` or no
    existing entry of a mapping (an asset or market that is not listed).
    """
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{source}: overrides: expected a mapping of field paths to values")
    out = copy.deepcopy(data)
    for key, value in overrides.items():
        parts = str(key).split(".")
        node: dict = out
        at: Any = model
        for i, part in enumerate(parts):
            where = f"{source}: overrides.{key}"
            if isinstance(at, tuple):  # a mapping: the entry must exist
                if part not in node:
                    raise ScenarioError(f"{where}: '{part}' is not listed in {'.'.join(parts[:i])}"
                                        f"{closest(part, list(node))} (known: {list(node)})")
                nxt = at[1]
            elif isinstance(at, type) and issubclass(at, BaseModel):
                fields = {f.alias or n: f for n, f in at.model_fields.items()}
                if part not in fields:
                    raise ScenarioError(f"{where}: no field '{part}'{closest(part, list(fields))} "
                                        f"(fields here: {', '.join(fields)})")
                nxt = _inner(fields[part].annotation)
            else:
                raise ScenarioError(f"{where}: '{parts[i - 1]}' is a value, not a group of fields")
            if i == len(parts) - 1:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                if not isinstance(node[part], dict):
                    raise ScenarioError(f"{where}: '{part}' is a value, not a group of fields")
                node, at = node[part], nxt
    return out


def _validate_protocol(data: dict, source: str | Path, overrides: Overrides) -> ProtocolFile:
    try:
        return ProtocolFile.model_validate(data)
    except ValidationError as err:
        if not overrides:
            raise ScenarioError(format_error(err, str(source))) from None
        loc = ".".join(str(p) for p in err.errors()[0]["loc"])
        culprit = next((k for k in overrides if k.startswith(loc) or loc.startswith(k)), next(iter(overrides)))
        raise ScenarioError(format_error(err, f"{source}: overrides.{culprit}")) from None


def protocol_data(path: str | Path, stack: tuple[Path, ...] = ()) -> dict:
    """A protocol file's validated contents (following ``protocol:`` + ``overrides:`` of a variant).

    Raises ScenarioError: unreadable, wrong kind, invalid field, bad override, missing or circular reference.
    """
    real = Path(path).resolve()
    if real in stack:
        chain = " -> ".join(p.name for p in (*stack, real))
        raise ScenarioError(f"{path}: protocol: circular reference ({chain})")
    _, raw = read_kind(path, "protocol")
    if "protocol" not in raw:
        _validate_protocol(raw, path, {})
        return raw
    own = {"kind", "name", "description", "protocol", "overrides"}
    extra = [k for k in raw if k not in own]
    if extra:
        raise ScenarioError(f"{path}: {extra[0]}: a protocol that refers to another one changes it only "
                            f"through overrides")
    base = protocol_data(protocol_path(str(raw["protocol"]), path), (*stack, real))
    data = apply_overrides(base, raw.get("overrides") or {}, path)
    data.update({k: raw[k] for k in ("name", "description") if k in raw})
    _validate_protocol(data, path, raw.get("overrides") or {})
    return data


def load_protocol(path: str | Path, overrides: Overrides | None = None) -> ProtocolFile:
    """Read and validate a protocol file, optionally with ``overrides`` applied (validated like the file).

    ``path`` may be a bare name (``generic``) looked up in ``protocols/``. Raises ScenarioError naming the
    file, the field and the rule.
    """
    if isinstance(path, str) and "/" not in path and not path.endswith((".yaml", ".yml")):
        path = PROTOCOLS_DIR / f"{path}.yaml"
    data = protocol_data(path)
    if not overrides:
        return ProtocolFile.model_validate(data)
    return _validate_protocol(apply_overrides(data, overrides, path), path, overrides)


def referred_protocol(raw: dict, source: str | Path) -> ProtocolFile:
    """The protocol a story / simulation / perp story names, with its ``overrides`` applied and validated."""
    ref = raw.get("protocol")
    if not isinstance(ref, str):
        raise ScenarioError(f"{source}: protocol: Field required (a protocol file or name)")
    base = protocol_data(protocol_path(ref, source), (Path(source).resolve(),))
    overrides = raw.get("overrides") or {}
    return _validate_protocol(apply_overrides(base, overrides, source), source, overrides)


def protocol_from_dict(data: dict, source: str = "protocol") -> ProtocolFile:
    """A protocol built in code (tests, tools): the same validation as a file, ``kind``/``rules`` filled in."""
    return _validate_protocol({"kind": "protocol", "rules": "generic", "name": source, **data}, source, {})
