"""The token ledger every exact twin shares: ERC-20 balances and allowances (OpenZeppelin ERC20 semantics).

One :class:`Ledger` object is the model's chain-wide token state: the lending pool, the AMM pairs, the looper,
the leveraged token and the perp engine are accounts in it. It also holds the chain's revert
:class:`~protocol_model.exact.journal.Journal`, so a call that spans several twins is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from protocol_model.exact import errors
from protocol_model.exact.journal import Journal, reverts_atomically
from protocol_model.exact.math_lib import UINT256_MAX


@dataclass
class Ledger:
    """Balances ``(token, account) -> amount`` and allowances ``(token, owner, spender) -> amount``, in token
    units (the token's own decimals). ``journal`` is the open transaction, not token state (never compared)."""

    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    allowances: dict[tuple[str, str, str], int] = field(default_factory=dict)
    journal: Journal = field(default_factory=Journal, compare=False, repr=False)

    journal_links: ClassVar[tuple[str, ...]] = ()
    """The ledger calls no other twin."""

    def balance(self, token: str, account: str) -> int:
        """``balanceOf(account)`` of ``token`` (0 for an unknown pair)."""
        return self.balances.get((token, account), 0)

    def mint(self, token: str, account: str, amount: int) -> None:
        """Credit ``amount`` to ``account`` (a test token's ``mint``; never reverts)."""
        self.balances[(token, account)] = self.balance(token, account) + amount

    def approve(self, token: str, owner: str, spender: str, amount: int) -> None:
        """``approve(spender, amount)`` sent by ``owner``: sets (does not add to) the allowance."""
        self.allowances[(token, owner, spender)] = amount

    @reverts_atomically
    def transfer(self, token: str, src: str, dst: str, amount: int) -> None:
        """``transfer``: move ``amount`` from ``src`` to ``dst``.

        Raises ``ERC20InsufficientBalance`` when ``src`` holds less than ``amount``."""
        have = self.balance(token, src)
        if have < amount:
            raise errors.ERC20InsufficientBalance(src, have, amount)
        self.balances[(token, src)] = have - amount
        self.balances[(token, dst)] = self.balance(token, dst) + amount

    @reverts_atomically
    def transfer_from(self, token: str, spender: str, src: str, dst: str, amount: int) -> None:
        """``transferFrom`` sent by ``spender``: spend the allowance (an unlimited ``2**256 - 1`` one is never
        decreased, as OpenZeppelin's ``_spendAllowance``), then transfer.

        Raises ``ERC20InsufficientAllowance`` (allowance below ``amount``) or ``ERC20InsufficientBalance``; on
        either the allowance is as before."""
        allowed = self.allowances.get((token, src, spender), 0)
        if allowed != UINT256_MAX:
            if allowed < amount:
                raise errors.ERC20InsufficientAllowance(spender, allowed, amount)
            self.allowances[(token, src, spender)] = allowed - amount
        self.transfer(token, src, dst, amount)
