"""The base of every file schema: strict frozen models, one error type, one YAML reader, one error format.

Every file kind (protocol, story, perp story, simulation, sweep) is a pydantic model built on ``Strict``;
an invalid file raises ``ScenarioError`` whose message is one line: ``FILE: FIELD.PATH: RULE``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class ScenarioError(ValueError):
    """A file is invalid; the message is one line naming the file, the field path and the rule."""


class Strict(BaseModel):
    """Unknown fields are errors; parsed files are immutable. Field aliases are the names files use."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)


def format_error(err: ValidationError, source: str) -> str:
    """The first pydantic error as ``SOURCE: FIELD.PATH: RULE`` (one line)."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"].removeprefix("Value error, ").replace("\n", " ")
    return f"{source}: {loc}: {msg}"


def read_yaml(path: str | Path) -> dict:
    """A YAML file's top-level mapping. Raises ``ScenarioError`` (missing file, bad YAML, not a mapping)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    except OSError as err:
        raise ScenarioError(f"{path}: {err.strerror}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping")
    return data


def to_units(amount: Decimal | str | int, decimals: int, what: str = "amount") -> int:
    """Whole tokens (exact decimal) -> integer token units; a fraction below one unit is an error.

    Raises ValueError naming ``what``.
    """
    try:
        value = Decimal(str(amount)) * (Decimal(10) ** decimals)
    except InvalidOperation:
        raise ValueError(f"{what}: '{amount}' is not a number") from None
    if value != value.to_integral_value():
        raise ValueError(f"{what}: {amount} has more than {decimals} decimals")
    return int(value)
