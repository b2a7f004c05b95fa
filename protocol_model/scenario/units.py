"""Designer units in files, engine units in the twins: the one place they are converted.

Files write a share as a percent (``"82.5%"``) or in basis points (``"8250 bps"``, or a bare integer,
which is basis points), and prices and amounts as exact decimal USD / whole tokens. The engine works in
basis points (integers), WAD (1e18) prices and per-second RAY rates (``RateParams.from_annual_bps``).
"""

from __future__ import annotations

from decimal import Decimal, Inexact, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.math_lib import WAD

BPS_PATTERN = r"^\s*-?[0-9]+(\.[0-9]+)?\s*(%|bps)\s*$"


def parse_bps(value: Any) -> Any:
    """``"80%"`` -> 8000, ``"8000 bps"`` -> 8000, ``8000`` -> 8000. Finer than one basis point, a float or
    a bool is an error (ValueError); anything else is passed on for pydantic to reject."""
    if isinstance(value, bool) or isinstance(value, float):
        hint = f"did you mean {value * 100:g}%? " if isinstance(value, float) and 0 < value < 1 else ""
        raise ValueError(f"{hint}write a share as a percent ('80%') or in basis points ('8000 bps' or 8000), "
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
        bps = EXACT.multiply(Decimal(number.strip()), scale)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    except Inexact:
        raise ValueError(f"'{value}' has more than {EXACT.prec} significant digits") from None
    if not bps.is_finite():
        raise ValueError(f"'{value}' is not a finite number")
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


FEED_DECIMALS = 8
"""Feed answers carry 8 decimals (Chainlink USD feeds, MockAggregator)."""
FEED_RESOLUTION_USD = EXACT.scaleb(Decimal(1), -FEED_DECIMALS)
"""The smallest non-zero price a feed can publish (one unit of the 8-decimal answer)."""
MAX_PRICE_USD = EXACT.scaleb(Decimal((2**256 - 1) // 10 ** (18 - FEED_DECIMALS)), -FEED_DECIMALS)
"""The largest price PriceRouter can convert: ``uint256(answer) * 10**(18 - 8)`` must fit a uint256."""


def check_feed_price(price: Decimal | None) -> Decimal | None:
    """A USD price a feed can publish: zero (the field's own bound decides) or at least the feed's resolution
    (one unit of the 8-decimal answer), and at most ``MAX_PRICE_USD``. Raises ValueError naming the bound."""
    if price is None or price == 0:
        return price
    if not price.is_finite():
        raise ValueError(f"{price} is not a finite price")
    if 0 < abs(price) < FEED_RESOLUTION_USD:
        raise ValueError(f"{price} USD is below the feed's resolution ({FEED_RESOLUTION_USD:f} USD: answers "
                         f"carry {FEED_DECIMALS} decimals), so the feed would publish 0")
    if price > MAX_PRICE_USD:
        raise ValueError(f"{price:.3E} USD is above the largest price the contracts hold ({MAX_PRICE_USD:.3E} USD: "
                         f"the 8-decimal answer × 1e10 must fit a uint256)")
    return price


FeedPrice = Annotated[Decimal, AfterValidator(check_feed_price)]
"""A USD price a feed publishes (not below 8 decimals' resolution, at most ``MAX_PRICE_USD``); zero passes
(the field's own bound decides)."""


def usd_to_wad(price_usd: Decimal) -> int:
    """Decimal USD -> WAD integer (rounded to the nearest unit)."""
    return int(EXACT.multiply(Decimal(price_usd), WAD).to_integral_value())
