"""The token Morpho Blue 1.0.0 ships for its tests, twin of ``src/mocks/ERC20Mock.sol``'s ``setBalance`` (its
transfers are the shared :class:`~protocol_model.exact.ledger.Ledger`'s; Morpho reaches them through
``SafeTransferLib``, ``Morpho._safe_transfer`` / ``_safe_transfer_from``)."""

from __future__ import annotations

from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.morpho_blue.math_lib import checked


def total_supply(ledger: Ledger, token: str) -> int:
    """``totalSupply()``: every balance of ``token`` (ERC20Mock keeps it equal to their sum: only ``setBalance``
    changes it, transfers move balances)."""
    return sum(amount for (t, _), amount in ledger.balances.items() if t == token)


def set_balance(ledger: Ledger, token: str, account: str, amount: int) -> None:
    """``ERC20Mock.setBalance(account, amount)`` (anyone): the balance becomes ``amount`` and ``totalSupply``
    moves by the difference, with Solidity 0.8's checked arithmetic: ``Panic(0x11)`` when the new total supply
    would exceed 2**256 − 1 (the balance is then unchanged)."""
    checked(total_supply(ledger, token) - ledger.balance(token, account) + amount)
    ledger.balances[(token, account)] = amount
