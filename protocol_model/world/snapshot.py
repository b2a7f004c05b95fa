"""The observable state of a pool, read the same way from the exact model and from a chain (PoolLens)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

ASSET_FIELDS = ("total_scaled_supply", "total_scaled_debt", "supply_index_ray", "borrow_index_ray", "reserves",
                "bad_debt", "last_update", "pool_token_balance", "price_ok", "price_wad")
POSITION_FIELDS = ("scaled_supply", "scaled_debt", "supply_balance", "debt_balance", "token_balance",
                   "collateral_consent")
"""Per (asset, account); ``collateral_consent`` is ``LendingPool.usesAsCollateral(account, asset)`` as 0/1."""
ACCOUNT_FIELDS = ("values_ok", "adjusted_collateral_wad", "borrow_capacity_wad", "debt_wad", "health_factor_wad")
PAIR_FIELDS = ("reserve_a", "reserve_b", "block_timestamp_last", "price_a_cumulative", "price_b_cumulative",
               "lp_total_supply", "balance_a", "balance_b")
"""Per AMM pair, in the order of the scenario's ``assets: [a, b]`` (not the chain's token0/token1)."""
HOLDING_FIELDS = ("balance",)
TABLES = ("assets", "positions", "accounts", "pairs", "holdings")
"""The snapshot's tables, in the order :meth:`Snapshot.frames` returns them."""


Table = tuple[str, Mapping[Any, tuple[int, ...]], Mapping[Any, tuple[int, ...]], Sequence[str]]
"""(label, this side's rows, the other side's rows, the rows' field names) for :func:`diff_tables`."""


def diff_tables(tables: Iterable[Table]) -> list[str]:
    """Every field that differs between two snapshots' tables, as 'label key.field: mine != theirs' in key
    order; a key present on one side only is listed as such. Shared by the pool and perp snapshots."""
    out: list[str] = []
    for label, mine, theirs, names in tables:
        for key in sorted(set(mine) | set(theirs), key=str):
            a, b = mine.get(key), theirs.get(key)
            if a is None or b is None:
                out.append(f"{label} {key}: present on one side only")
                continue
            out += [f"{label} {key}.{n}: {x} != {y}" for n, x, y in zip(names, a, b, strict=True) if x != y]
    return out


@dataclass(frozen=True)
class Snapshot:
    """The observable state of a pool after a step, the same tables from the model (``ModelWorld.snapshot``)
    and from a chain (``PoolLens`` / ``AmmLens``); model == chain means ``diff`` is empty.

    Every value is an integer: token units (balances, reserves, bad debt, LP units), scaled units, RAY
    indices, WAD prices and account values (``LendingPool.accountValues``), block seconds, 0/1 flags.
    """

    assets: Mapping[str, tuple[int, ...]]
    """asset -> ASSET_FIELDS"""
    positions: Mapping[tuple[str, str], tuple[int, ...]]
    """(asset, account) -> POSITION_FIELDS"""
    accounts: Mapping[str, tuple[int, ...]]
    """account -> ACCOUNT_FIELDS"""
    pairs: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """pair -> PAIR_FIELDS (scenarios with amm_pairs)"""
    holdings: Mapping[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    """(token or pair LP token, holder) -> HOLDING_FIELDS: the Looper's tokens, every account's LP units"""
    decimals: Mapping[str, int] = field(default_factory=dict, compare=False)
    """token (asset or pair LP token) -> its decimals, for human units in :meth:`to_frame` (not compared)"""
    pair_tokens: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False)
    """pair -> its two assets in PAIR_FIELDS order (``a``, ``b``), for human units (not compared)"""

    def diff(self, other: Snapshot) -> list[str]:
        """Every field that differs, as 'where.field: self != other' (a key on one side only is listed too)."""
        return diff_tables((("asset", self.assets, other.assets, ASSET_FIELDS),
                            ("position", self.positions, other.positions, POSITION_FIELDS),
                            ("account", self.accounts, other.accounts, ACCOUNT_FIELDS),
                            ("pair", self.pairs, other.pairs, PAIR_FIELDS),
                            ("holding", self.holdings, other.holdings, HOLDING_FIELDS)))

    def field(self, kind: str, key, name: str) -> int:
        """One value: ``kind`` is ``asset``/``position``/``account``/``pair``/``holding``, ``key`` the table's key,
        ``name`` one of that table's ``*_FIELDS``. Raises ``KeyError`` for an unknown kind or key and
        ``ValueError`` for an unknown field name.
        """
        tables: dict[str, tuple[Mapping[Any, tuple[int, ...]], tuple[str, ...]]]
        tables = {"asset": (self.assets, ASSET_FIELDS), "position": (self.positions, POSITION_FIELDS),
                  "account": (self.accounts, ACCOUNT_FIELDS), "pair": (self.pairs, PAIR_FIELDS),
                  "holding": (self.holdings, HOLDING_FIELDS)}
        table, names = tables[kind]
        return table[key][names.index(name)]

    def to_frame(self, table: str = "assets", *, raw: bool = False) -> pd.DataFrame:
        """One table as a pandas DataFrame, one row per key (``assets``: asset; ``positions``: (asset,
        account); ``accounts``: account; ``pairs``: pair; ``holdings``: (token, holder)).

        Columns are labelled in human units (``"reserves (tokens)"``, ``"price (USD)"``, ``"health factor"``;
        see :mod:`protocol_model.world.frames`); ``raw=True`` keeps the field names and the exact integers.
        Raises ``KeyError`` for a table not in ``TABLES`` and ``ValueError`` when a token's decimals are
        unknown (a snapshot read without ``decimals``: use ``raw=True``).
        """
        from protocol_model.world import frames

        specs: dict[str, tuple[Mapping[Any, tuple[int, ...]], tuple[str, ...], dict, str | list[str]]] = {
            "assets": (self.assets, ASSET_FIELDS, frames.ASSET_UNITS, "asset"),
            "positions": (self.positions, POSITION_FIELDS, frames.POSITION_UNITS, ["asset", "account"]),
            "accounts": (self.accounts, ACCOUNT_FIELDS, frames.ACCOUNT_UNITS, "account"),
            "pairs": (self.pairs, PAIR_FIELDS, frames.PAIR_UNITS, "pair"),
            "holdings": (self.holdings, HOLDING_FIELDS, frames.HOLDING_UNITS, ["token", "holder"]),
        }
        values, names, units, index = specs[table]

        def decimals(key: Any, kind: str) -> int | None:
            token = self.pair_tokens.get(key, ("", ""))[kind == "token_b"] if table == "pairs" else (
                key[0] if isinstance(key, tuple) else key)
            return self.decimals.get(token)

        return frames.table(values, names, units, index, raw=raw, decimals=decimals)

    def frames(self, *, raw: bool = False) -> dict[str, pd.DataFrame]:
        """Every table as :meth:`to_frame` builds it, by name (in ``TABLES`` order)."""
        return {table: self.to_frame(table, raw=raw) for table in TABLES}
