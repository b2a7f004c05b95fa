"""The base of every file schema: strict frozen models, one error type, one YAML reader, one error format.

Every file kind (protocol, story, perp story, simulation, sweep) is a pydantic model built on ``Strict``;
an invalid file raises ``ScenarioError`` whose message is one line: ``FILE: FIELD.PATH: RULE``.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal, Inexact, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from protocol_model.exact.decimal_context import EXACT

FIELD_PATH_PREFIX = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*( \([^)]*\))?: "
"""A message that starts with a field path (``accounts.0.balances.WETH: ...``)."""
UINT256_MAX = 2**256 - 1
"""The largest token amount (in token units) a contract's ``uint256`` holds."""


class ScenarioError(ValueError):
    """A file is invalid; the message is one line naming the file, the field path and the rule."""


def closest(word: str, known: list[str]) -> str:
    """`` (did you mean 'X'?)`` for the known name closest to ``word`` (difflib), or ``''``."""
    match = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def unknown_key(key: str, known: list[str]) -> str:
    """The rule for a key no field has: the key, the closest known one, and every known one."""
    return f"unknown key '{key}'{closest(key, known)}; known keys: {', '.join(known)}"


class Strict(BaseModel):
    """Unknown fields are errors (naming the key and the closest known one); parsed files are immutable.
    Field aliases are the names files use."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)

    @model_validator(mode="wrap")
    @classmethod
    def _known_keys(cls, data: Any, handler: Any) -> Any:
        """An unknown key of this model is reported first (before the "Field required" a misspelling
        causes), naming the closest known key (difflib)."""
        try:
            return handler(data)
        except ValidationError as err:
            own = [e for e in err.errors() if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
            if not own or not isinstance(data, dict):
                raise
            first = own[0]  # before a "Field required" it may cause (a misspelt key)
            known = [f.alias or n for n, f in cls.model_fields.items()]
            hint = f"Extra inputs are not permitted: {unknown_key(str(first['loc'][0]), known)}"
            detail: InitErrorDetails = {"type": PydanticCustomError("extra_forbidden", hint), "loc": first["loc"],
                                        "input": first["input"]}
            raise ValidationError.from_exception_data(err.title, [detail]) from None


def _hint(first: Any) -> str:
    """A hint for a share written as a fraction where basis points are expected (``0.80`` -> 80%)."""
    value, field = first.get("input"), str(first["loc"][-1]) if first["loc"] else ""
    if first["type"] == "int_from_float" and field.endswith("bps") and isinstance(value, float) and 0 < value < 1:
        return f" (did you mean {value * 100:g}%? this field is in basis points: write '{value * 100:g}%')"
    return ""


def format_error(err: ValidationError, source: str) -> str:
    """The first pydantic error as ``SOURCE: FIELD.PATH: RULE`` (one line)."""
    first = err.errors()[0]
    msg = first["msg"].removeprefix("Value error, ").replace("\n", " ")
    if not first["loc"] and re.match(FIELD_PATH_PREFIX, msg):  # a whole-file check that names its field
        return f"{source}: {msg}"
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return f"{source}: {loc}: {msg}{_hint(first)}"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"line {line}: key '{key}' given twice (first on line {seen[key]})", None)
            if isinstance(key, (str, int, float, bool)):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict:
    """A YAML file's top-level mapping. Raises ``ScenarioError`` (missing or unreadable file, a binary
    file, bad YAML, a key given twice in one mapping, not a mapping)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if "\x00" in text:
            raise ScenarioError(f"{path}: (top level): not a text file (holds NUL bytes)")
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{path}: (top level): not a text file (byte {err.start} is not UTF-8)") from None
    except yaml.constructor.ConstructorError as err:
        if err.problem and err.problem.startswith("line "):
            raise ScenarioError(f"{path}: {err.problem}") from None
        raise ScenarioError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    except OSError as err:
        raise ScenarioError(f"{path}: {err.strerror or err}") from None
    except RecursionError:  # a hostile file: thousands of nested brackets
        raise ScenarioError(f"{path}: not valid YAML: nested too deeply (no file of this package nests more "
                            f"than a few levels)") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping")
    return data


def to_units(amount: Decimal | str | int, decimals: int, what: str = "amount") -> int:
    """Whole tokens (exact decimal) -> integer token units; a fraction below one unit is an error.

    Raises ValueError naming ``what``: not a number, finer than one unit, or more units than a contract's
    ``uint256`` holds.
    """
    try:
        value = EXACT.scaleb(Decimal(str(amount)), decimals)
    except InvalidOperation:
        raise ValueError(f"{what}: '{amount}' is not a number") from None
    except Inexact:
        raise ValueError(f"{what}: '{amount}' has more than {EXACT.prec} significant digits") from None
    if not value.is_finite():
        raise ValueError(f"{what}: '{amount}' is not a finite number")
    if value != value.to_integral_value():
        raise ValueError(f"{what}: {amount} has more than {decimals} decimals (the token's smallest unit)")
    if abs(value) > UINT256_MAX:
        raise ValueError(f"{what}: {amount} is {value:.3E} token units, above what a contract's uint256 holds "
                         f"(2^256 - 1 = {Decimal(UINT256_MAX):.3E} units)")
    return int(value)
