"""Designer units in files, engine units in the twins: the one place they are converted.

Files write a share as a percent (``"82.5%"``) or in basis points (``"8250 bps"``, or a bare integer,
which is basis points), and prices and amounts as exact decimal USD / whole tokens. The engine works in
basis points (integers), WAD (1e18) prices and per-second RAY rates (``RateParams.from_annual_bps``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator

from protocol_model.exact.math_lib import WAD

BPS_PATTERN = r"^\s*-?[0-9]+(\.[0-9]+)?\s*(%|bps)\s*$"


def parse_bps(value: Any) -> Any:
    """``"80%"`` -> 8000, ``"8000 bps"`` -> 8000, ``8000`` -> 8000. Finer than one basis point, a float or
    a bool is an error (ValueError); anything else is passed on for pydantic to reject."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"write a share as a percent ('80%') or in basis points ('8000 bps' or 8000), "
                         f"not {value!r}")
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.endswith("%"):
        number, scale = text[:-1], Decimal(100)
    elif text.endswith("bps"):
        number, scale = text[:-3], Decimal(1)
    else:
        raise ValueError(f"'{value}' has no unit: write a percent ('80%') or basis points ('8000 bps')")
    try:
        bps = Decimal(number.strip()) * scale
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    if bps != bps.to_integral_value():
        raise ValueError(f"'{value}' is finer than one basis point")
    return int(bps)


def format_bps(bps: int) -> str:
    """8250 -> ``"82.5%"`` (the designer's unit, for messages)."""
    text = f"{Decimal(bps) / 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


class _BpsSchema:
    """JSON Schema of a share: the integer (basis points, with its bounds) or a string with a unit."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict:
        return {"anyOf": [handler(core_schema), {"type": "string", "pattern": BPS_PATTERN}], "x-unit": "bps"}


Bps = Annotated[int, BeforeValidator(parse_bps), _BpsSchema()]
"""A share in basis points; files may write ``"80%"`` or ``"8000 bps"``."""


def usd_to_wad(price_usd: Decimal) -> int:
    """Decimal USD -> WAD integer (rounded to the nearest unit)."""
    return int((Decimal(price_usd) * WAD).to_integral_value())
