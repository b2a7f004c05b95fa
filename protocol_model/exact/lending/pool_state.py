"""Mutable state of the exact engine (the contract's storage, field for field)."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol_model.exact.math_lib import RAY, ray_mul_down, ray_mul_up


@dataclass
class AssetState:
    """``LendingPool.AssetState``: totals in scaled units, indexes in RAY, amounts in token units."""

    decimals: int
    last_update: int
    total_scaled_supply: int = 0
    total_scaled_debt: int = 0
    supply_index_ray: int = RAY
    borrow_index_ray: int = RAY
    reserves: int = 0
    bad_debt: int = 0

    def total_supply(self) -> int:
        """Suppliers' claims in token units (rounded down)."""
        return ray_mul_down(self.total_scaled_supply, self.supply_index_ray)

    def total_debt(self) -> int:
        """Borrowers' debt in token units (rounded up)."""
        return ray_mul_up(self.total_scaled_debt, self.borrow_index_ray)


@dataclass
class Ledger:
    """ERC-20 balances and allowances of every token the pool touches (OpenZeppelin semantics)."""

    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    allowances: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def balance(self, token: str, account: str) -> int:
        return self.balances.get((token, account), 0)

    def mint(self, token: str, account: str, amount: int) -> None:
        self.balances[(token, account)] = self.balance(token, account) + amount

    def approve(self, token: str, owner: str, spender: str, amount: int) -> None:
        self.allowances[(token, owner, spender)] = amount

    def transfer(self, token: str, src: str, dst: str, amount: int) -> None:
        from protocol_model.exact import errors

        have = self.balance(token, src)
        if have < amount:
            raise errors.ERC20InsufficientBalance(src, have, amount)
        self.balances[(token, src)] = have - amount
        self.balances[(token, dst)] = self.balance(token, dst) + amount

    def transfer_from(self, token: str, spender: str, src: str, dst: str, amount: int) -> None:
        from protocol_model.exact import errors

        allowed = self.allowances.get((token, src, spender), 0)
        if allowed != 2**256 - 1:
            if allowed < amount:
                raise errors.ERC20InsufficientAllowance(spender, allowed, amount)
            self.allowances[(token, src, spender)] = allowed - amount
        self.transfer(token, src, dst, amount)
