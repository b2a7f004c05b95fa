"""The oracle Morpho Blue 1.0.0 ships, twin of ``src/mocks/OracleMock.sol``: a settable ``price`` (loan-token
units per collateral-token unit, scaled by ``ORACLE_PRICE_SCALE`` = 1e36)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class OracleMock:
    """``OracleMock``: ``price()`` returns the last ``setPrice`` (0 before any)."""

    price: int = 0

    def set_price(self, new_price: int) -> None:
        """``setPrice(newPrice)``: anyone may call it; never reverts."""
        self.price = new_price
