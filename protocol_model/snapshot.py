"""The observable state of a pool, read the same way from the exact model and from a chain (PoolLens)."""

from __future__ import annotations

from dataclasses import dataclass

ASSET_FIELDS = ("total_scaled_supply", "total_scaled_debt", "supply_index_ray", "borrow_index_ray", "reserves",
                "bad_debt", "last_update", "pool_token_balance", "price_ok", "price_wad")
POSITION_FIELDS = ("scaled_supply", "scaled_debt", "supply_balance", "debt_balance", "token_balance")
ACCOUNT_FIELDS = ("values_ok", "adjusted_collateral_wad", "borrow_capacity_wad", "debt_wad", "health_factor_wad")


@dataclass(frozen=True)
class Snapshot:
    assets: dict[str, tuple[int, ...]]
    """asset -> ASSET_FIELDS"""
    positions: dict[tuple[str, str], tuple[int, ...]]
    """(asset, account) -> POSITION_FIELDS"""
    accounts: dict[str, tuple[int, ...]]
    """account -> ACCOUNT_FIELDS"""

    def diff(self, other: Snapshot) -> list[str]:
        """Every field that differs, as 'where.field: self != other'."""
        out: list[str] = []
        for label, mine, theirs, names in (("asset", self.assets, other.assets, ASSET_FIELDS),
                                           ("position", self.positions, other.positions, POSITION_FIELDS),
                                           ("account", self.accounts, other.accounts, ACCOUNT_FIELDS)):
            for key in sorted(set(mine) | set(theirs), key=str):
                a, b = mine.get(key), theirs.get(key)
                if a is None or b is None:
                    out.append(f"{label} {key}: present on one side only")
                    continue
                out += [f"{label} {key}.{n}: {x} != {y}" for n, x, y in zip(names, a, b, strict=True) if x != y]
        return out

    def field(self, kind: str, key, name: str) -> int:
        table, names = {"asset": (self.assets, ASSET_FIELDS), "position": (self.positions, POSITION_FIELDS),
                        "account": (self.accounts, ACCOUNT_FIELDS)}[kind]
        return table[key][names.index(name)]
