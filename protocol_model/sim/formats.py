"""The file-format reference: JSON Schema of every file kind, generated from the pydantic models, and
``docs/formats.md`` generated from the schemas (every field: type, unit, default, bounds, an example).

``protocol-model formats`` (or ``make formats``) regenerates both; a test regenerates them in memory and
compares with the committed files. Lives in ``sim`` because the simulation and sweep models do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from protocol_model.scenario.base import read_yaml
from protocol_model.scenario.kinds import KINDS
from protocol_model.scenario.morpho_story import MorphoStory
from protocol_model.scenario.perp import PerpStoryFile
from protocol_model.scenario.protocol import PROTOCOLS_DIR, ProtocolFile
from protocol_model.scenario.story import StoryFile
from protocol_model.sim.optimise import OptimisationSpec
from protocol_model.sim.output import OutputError, atomic_dir, atomic_file, check_out
from protocol_model.sim.spec import SimulationFile, SweepSpec

REPO = PROTOCOLS_DIR.parent
FILE_MODELS: dict[str, type[BaseModel]] = {"protocol": ProtocolFile, "story": StoryFile,
                                           "perp_story": PerpStoryFile, "simulation": SimulationFile,
                                           "sweep": SweepSpec, "optimisation": OptimisationSpec,
                                           "morpho_story": MorphoStory}
EXAMPLES = {"protocol": "protocols/generic.yaml", "story": "scenarios/default.yaml",
            "perp_story": "scenarios/perp/bankruptcy.yaml", "simulation": "scenarios/lab/stable_redeemable.yaml",
            "sweep": "scenarios/lab/sweep_eth.yaml", "optimisation": "scenarios/lab/optimise_weth.yaml",
            "morpho_story": "scenarios/presets/morpho/seize_by_collateral.yaml"}
"""A shipped file of each kind: the examples in docs/formats.md come from these."""
EXTRA_EXAMPLES = ("scenarios/fork/populated.yaml", "scenarios/loops/open_3x.yaml", "scenarios/lab/eth_crash.yaml",
                  "scenarios/oracle/single_venue_spike_protected.yaml", "scenarios/oracle/luna_floor_protected.yaml",
                  "scenarios/oracle/sequencer_outage_protected.yaml", "scenarios/lab/black_thursday.yaml",
                  "scenarios/stories/pause.yaml", "scenarios/loops/crash_cascade.yaml", "protocols/fuzz.yaml",
                  "protocols/perp.yaml", "scenarios/perp/cross_vs_isolated.yaml",
                  "scenarios/oracle/spot_manipulation_protected.yaml", "scenarios/stories/mixed_decimals.yaml")
BOUNDS = (("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"), ("exclusiveMaximum", "< {}"),
          ("minLength", "at least {} items"), ("maxLength", "at most {} items"),
          ("minItems", "at least {} items"), ("maxItems", "at most {} items"), ("pattern", "matches `{}`"))


def schemas() -> dict[str, dict]:
    """kind -> JSON Schema (draft 2020-12, field names as files write them)."""
    return {kind: model.model_json_schema(by_alias=True) for kind, model in FILE_MODELS.items()}


def _ref(node: dict) -> str | None:
    return node["$ref"].rsplit("/", 1)[-1] if "$ref" in node else None


def _type(node: dict) -> str:
    ref = _ref(node)
    if ref:
        return f"[{ref}](#{ref.lower()})"
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    if "anyOf" in node or "oneOf" in node:
        parts = [p for p in node.get("anyOf", node.get("oneOf", [])) if p.get("type") != "null"]
        text = " or ".join(dict.fromkeys(_type(p) for p in parts))
        return text + (" or null" if len(parts) < len(node.get("anyOf", node.get("oneOf", []))) else "")
    t = node.get("type", "any")
    if t == "array":
        items = node.get("prefixItems")
        if items:
            return "[" + ", ".join(_type(i) for i in items) + "]"
        return f"list of {_type(node.get('items', {}))}"
    if t == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"mapping name → {_type(node['additionalProperties'])}"
    return str(t)


def _bounds(node: dict) -> str:
    found = [fmt.format(node[key]) for key, fmt in BOUNDS if key in node]
    for part in node.get("anyOf", []):
        if part.get("type") in ("integer", "number"):
            found += [fmt.format(part[key]) for key, fmt in BOUNDS if key in part]
    return ", ".join(found)


def _unit(name: str, node: dict) -> str:
    if node.get("x-unit") == "bps":
        return "share: `\"82.5%\"`, `\"8250 bps\"` or 8250 (bps)"
    for suffix, unit in (("_usd", "USD (exact decimal)"), ("_bps", "basis points"), ("_s", "seconds"),
                         ("_seconds", "seconds"), ("_annual", "per year"), ("_steps", "steps"),
                         ("_tokens", "whole tokens"), ("_days", "days")):
        if name.endswith(suffix):
            return unit
    return ""


def _collect(schema: dict, node: dict, data: Any, out: dict[str, dict[str, Any]], model: str) -> None:
    """Record, per model and field, the first value a shipped file gives it."""
    ref = _ref(node)
    if ref:
        _collect(schema, schema["$defs"][ref], data, out, ref)
        return
    branches = node.get("anyOf") or node.get("oneOf")
    if branches and isinstance(data, dict):
        for b in branches:
            target = schema["$defs"].get(_ref(b) or "", b)
            props = target.get("properties", {})
            tags = [(k, p["const"]) for k, p in props.items() if "const" in p]
            if props and set(data) <= set(props) and all(data.get(k) == v for k, v in tags):
                _collect(schema, b, data, out, model)
                return
        return
    if isinstance(data, list) and "items" in node:
        for item in data:
            _collect(schema, node["items"], item, out, model)
    elif isinstance(data, dict) and "properties" in node:
        for key, value in data.items():
            out.setdefault(model, {}).setdefault(key, value)
            if key in node["properties"]:
                _collect(schema, node["properties"][key], value, out, model)
    elif isinstance(data, dict) and isinstance(node.get("additionalProperties"), dict):
        for value in data.values():
            _collect(schema, node["additionalProperties"], value, out, model)


def _example(value: Any) -> str:
    text = json.dumps(value, default=str)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def _table(title: str, node: dict, examples: dict[str, Any]) -> list[str]:
    lines = [f"### {title}", "", " ".join((node.get("description") or "").split()), "",
             "| field | type | unit | default | bounds | example | meaning |", "|---|---|---|---|---|---|---|"]
    required = set(node.get("required", []))
    for name, field in node.get("properties", {}).items():
        default = "required" if name in required else f"`{json.dumps(field.get('default'))}`"
        example = _example(examples[name]) if name in examples else ""
        meaning = " ".join((field.get("description") or "").split()).replace("|", "\\|")
        lines.append(f"| `{name}` | {_type(field)} | {_unit(name, field)} | {default} | {_bounds(field)} | "
                     f"{example} | {meaning} |")
    return [*lines, ""]


def render(all_schemas: dict[str, dict]) -> str:
    """docs/formats.md from the schemas (and the shipped example files)."""
    examples: dict[str, dict[str, Any]] = {}
    for kind, schema in all_schemas.items():
        for rel in (EXAMPLES[kind], *EXTRA_EXAMPLES):
            data = read_yaml(REPO / rel)
            if data.get("kind") == kind:
                _collect(schema, schema, data, examples, schema["title"])
    out = ["# File formats", "", "Generated by `protocol-model formats` from the pydantic models (JSON Schema in "
           "`docs/schemas/<kind>.json`); `tests/scenario/test_formats.py` fails when this page is stale. "
           "Every file starts with `kind:`; `protocol-model check FILE...` validates any of them.", "",
           "| kind | what it is | command | example |", "|---|---|---|---|"]
    out += [f"| `{k}` | {KINDS[k][0]} | {KINDS[k][1]} | `{EXAMPLES[k]}` |" for k in all_schemas]
    out += ["", "Shares (`x-unit: bps`) are written as a percent (`\"82.5%\"`), in basis points (`\"8250 bps\"`) "
            "or as a bare integer (basis points). Prices and amounts are exact decimals (write them as strings "
            "to keep every digit), converted without rounding up to 200 significant digits. Overrides name a "
            "protocol field by its path, e.g. "
            "`assets.WETH.liquidation_threshold: 80%` or `perp.markets.ETH-PERP.trade_fee: 0%`.", ""]
    seen: set[str] = set()
    for kind, schema in all_schemas.items():
        out += [f"## `kind: {kind}`", ""] + _table(schema["title"], schema, examples.get(schema["title"], {}))
        for name, node in schema.get("$defs", {}).items():
            if name not in seen:
                seen.add(name)
                out += _table(name, node, examples.get(name, {}))
    return "\n".join(out).rstrip() + "\n"


def write_formats(docs: Path = REPO / "docs") -> list[Path]:
    """Write ``docs/schemas/<kind>.json`` and ``docs/formats.md``; returns the paths written.

    The schemas folder is replaced atomically and formats.md through a temporary file
    (``output.atomic_dir`` / ``atomic_file``): an interrupted run leaves the previous files whole.
    Raises OutputError if ``docs`` is not a writable folder or ``docs/schemas`` holds other than JSON files.
    """
    check_formats_target(docs)
    all_schemas = schemas()
    text = render(all_schemas)
    with atomic_dir(docs / "schemas") as tmp:
        for kind, schema in all_schemas.items():
            (tmp / f"{kind}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    md = atomic_file(docs / "formats.md", text)
    return [*(docs / "schemas" / f"{kind}.json" for kind in all_schemas), md]


def check_formats_target(docs: Path) -> None:
    """Before any work: ``docs`` is a writable folder and ``docs/schemas`` (if present) holds only JSON files
    (it is replaced whole). Raises OutputError naming ``--docs`` and the rule."""
    if not docs.is_dir():
        raise OutputError(f"--docs {docs}: not an existing folder")
    check_out(docs / "schemas", "--docs", _only_schemas)


def _only_schemas(folder: Path) -> str:
    others = sorted(p.name for p in folder.iterdir() if p.suffix != ".json")
    return f"holds {others[0]}, not a generated schema" if others else ""
