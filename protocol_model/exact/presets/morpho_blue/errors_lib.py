"""Morpho Blue's reverts, twin of ``src/libraries/ErrorsLib.sol`` (1.0.0): one exception per ErrorsLib constant,
with the constant's name; its ``name`` is the revert string the chain reports (``require(cond, ErrorsLib.X)``
reverts with ``Error(X)``), so a cross-check compares the model's and the chain's reverts by that string.

Solidity 0.8's checked arithmetic reverts with ``Panic(0x11)`` (overflow, underflow) and ``Panic(0x12)``
(division by zero): :class:`Panic` carries the code.
"""

from __future__ import annotations

from typing import ClassVar

from protocol_model.exact.errors import PoolError


class MorphoError(PoolError):
    """A revert of Morpho Blue: ``reason`` is the ErrorsLib string (the chain's revert name)."""

    reason: ClassVar[str] = ""

    @property
    def name(self) -> str:
        """The revert string, as the chain decodes ``Error(string)``."""
        return self.reason


class Panic(PoolError):
    """Solidity's ``Panic(uint256)``: ``code`` 0x11 arithmetic over/underflow, 0x12 division by zero."""

    ARITHMETIC = 0x11
    DIVISION_BY_ZERO = 0x12

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code

    @property
    def name(self) -> str:
        """``Panic(0x11)`` etc., as the chain reports it."""
        return f"Panic({hex(self.code)})"


def _error(name: str, reason: str) -> type[MorphoError]:
    return type(name, (MorphoError,), {"reason": reason, "__doc__": f"``require`` failed: {reason!r}."})


NOT_OWNER = _error("NOT_OWNER", "not owner")
MAX_LLTV_EXCEEDED = _error("MAX_LLTV_EXCEEDED", "max LLTV exceeded")
MAX_FEE_EXCEEDED = _error("MAX_FEE_EXCEEDED", "max fee exceeded")
ALREADY_SET = _error("ALREADY_SET", "already set")
IRM_NOT_ENABLED = _error("IRM_NOT_ENABLED", "IRM not enabled")
LLTV_NOT_ENABLED = _error("LLTV_NOT_ENABLED", "LLTV not enabled")
MARKET_ALREADY_CREATED = _error("MARKET_ALREADY_CREATED", "market already created")
NO_CODE = _error("NO_CODE", "no code")
MARKET_NOT_CREATED = _error("MARKET_NOT_CREATED", "market not created")
INCONSISTENT_INPUT = _error("INCONSISTENT_INPUT", "inconsistent input")
ZERO_ASSETS = _error("ZERO_ASSETS", "zero assets")
ZERO_ADDRESS = _error("ZERO_ADDRESS", "zero address")
UNAUTHORIZED = _error("UNAUTHORIZED", "unauthorized")
INSUFFICIENT_COLLATERAL = _error("INSUFFICIENT_COLLATERAL", "insufficient collateral")
INSUFFICIENT_LIQUIDITY = _error("INSUFFICIENT_LIQUIDITY", "insufficient liquidity")
HEALTHY_POSITION = _error("HEALTHY_POSITION", "position is healthy")
INVALID_SIGNATURE = _error("INVALID_SIGNATURE", "invalid signature")
SIGNATURE_EXPIRED = _error("SIGNATURE_EXPIRED", "signature expired")
INVALID_NONCE = _error("INVALID_NONCE", "invalid nonce")
TRANSFER_REVERTED = _error("TRANSFER_REVERTED", "transfer reverted")
TRANSFER_RETURNED_FALSE = _error("TRANSFER_RETURNED_FALSE", "transfer returned false")
TRANSFER_FROM_REVERTED = _error("TRANSFER_FROM_REVERTED", "transferFrom reverted")
TRANSFER_FROM_RETURNED_FALSE = _error("TRANSFER_FROM_RETURNED_FALSE", "transferFrom returned false")
MAX_UINT128_EXCEEDED = _error("MAX_UINT128_EXCEEDED", "max uint128 exceeded")


def require(condition: bool, error: type[MorphoError]) -> None:
    """``require(condition, ErrorsLib.X)``: raise ``error`` when ``condition`` is false."""
    if not condition:
        raise error()
