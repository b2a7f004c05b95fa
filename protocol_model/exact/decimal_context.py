"""The Decimal context of every conversion between designer units (exact decimal USD, whole tokens, percents) and
integer engine units (token units, WAD, RAY, 8-decimal answers, Morpho's 1e36 oracle scale).

Python's default context keeps 28 significant digits and rounds silently: 52,656,145,834,278,593,348,959,013,841,
835,216,159,448 whole tokens became 5,265,614,583,427,859,334,895,901,384·10^13 of them, and a price or a balance
written back to a story file (a shrunk fuzz failure) lost its low digits. ``EXACT`` keeps 200 digits (a uint256
has 78; the scales add at most 60) and raises ``decimal.Inexact`` instead of rounding.
"""

from __future__ import annotations

from decimal import Context, DivisionByZero, Inexact, InvalidOperation, Overflow

EXACT = Context(prec=200, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
"""200 significant digits; an inexact result raises ``Inexact`` (never rounds)."""
