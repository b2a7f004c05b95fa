"""Snapshots as pandas DataFrames: labelled columns in human units (tokens, USD, plain numbers), or the raw
integers.

Every field of a snapshot table has a *unit kind* that says how its integer becomes a human number:

=========  ===========================================================  =====================
kind       the integer is                                               human value
=========  ===========================================================  =====================
``token``  token units at the token's decimals (or scaled units)        ``units / 10**dec``
``lp``     Uniswap V2 LP units (18 decimals)                            ``units / 1e18``
``usd``    a WAD USD value or price (``price_wad``, ``debt_wad``)       ``wad / 1e18``
``wad``    a WAD number (health factor, perp sizes in base units)       ``wad / 1e18``
``ray``    a RAY index (``supply_index_ray``)                           ``ray / 1e27``
``s``      block seconds                                                unchanged
``flag``   0 or 1                                                       ``bool``
``raw``    a fixed-point accumulator without a human reading            unchanged
=========  ===========================================================  =====================

A WAD health factor of ``UINT256_MAX`` (no debt) reads as ``inf``. With ``raw=True`` the columns keep the
snapshot's own field names (which carry the unit: ``price_wad``, ``reserves``) and the exact integers.
pandas is imported when a frame is built, never at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from protocol_model.exact.math_lib import RAY, UINT256_MAX, WAD

if TYPE_CHECKING:
    import pandas as pd

LP_DECIMALS = 18
"""Decimals of a Uniswap V2 LP token."""

Unit = tuple[str, str, str]
"""(human label, unit kind, unit shown in the column name or ``""``)."""

ASSET_UNITS: dict[str, Unit] = {
    "total_scaled_supply": ("total scaled supply", "token", "tokens"),
    "total_scaled_debt": ("total scaled debt", "token", "tokens"),
    "supply_index_ray": ("supply index", "ray", ""),
    "borrow_index_ray": ("borrow index", "ray", ""),
    "reserves": ("reserves", "token", "tokens"),
    "bad_debt": ("bad debt", "token", "tokens"),
    "last_update": ("last update", "s", "s"),
    "pool_token_balance": ("pool balance", "token", "tokens"),
    "price_ok": ("price ok", "flag", ""),
    "price_wad": ("price", "usd", "USD"),
}
POSITION_UNITS: dict[str, Unit] = {
    "scaled_supply": ("scaled supply", "token", "tokens"),
    "scaled_debt": ("scaled debt", "token", "tokens"),
    "supply_balance": ("supply balance", "token", "tokens"),
    "debt_balance": ("debt balance", "token", "tokens"),
    "token_balance": ("wallet balance", "token", "tokens"),
    "collateral_consent": ("collateral consent", "flag", ""),
}
ACCOUNT_UNITS: dict[str, Unit] = {
    "values_ok": ("values ok", "flag", ""),
    "adjusted_collateral_wad": ("adjusted collateral", "usd", "USD"),
    "borrow_capacity_wad": ("borrow capacity", "usd", "USD"),
    "debt_wad": ("debt", "usd", "USD"),
    "health_factor_wad": ("health factor", "wad", ""),
}
PAIR_UNITS: dict[str, Unit] = {
    "reserve_a": ("reserve a", "token_a", "tokens"),
    "reserve_b": ("reserve b", "token_b", "tokens"),
    "block_timestamp_last": ("last update", "s", "s"),
    "price_a_cumulative": ("price a cumulative", "raw", "UQ112x112 s"),
    "price_b_cumulative": ("price b cumulative", "raw", "UQ112x112 s"),
    "lp_total_supply": ("LP supply", "lp", "LP"),
    "balance_a": ("balance a", "token_a", "tokens"),
    "balance_b": ("balance b", "token_b", "tokens"),
}
HOLDING_UNITS: dict[str, Unit] = {"balance": ("balance", "token", "tokens")}

PERP_GLOBAL_UNITS: dict[str, Unit] = {
    "insurance_fund_wad": ("insurance fund", "usd", "USD"),
    "unsocialized_loss_wad": ("unsocialized loss", "usd", "USD"),
    "engine_token_balance": ("engine balance", "token", "tokens"),
}
PERP_MARKET_UNITS: dict[str, Unit] = {
    "cum_long_wad": ("cumulative funding long", "wad", "USD per base"),
    "cum_short_wad": ("cumulative funding short", "wad", "USD per base"),
    "mark_price_wad": ("mark price", "usd", "USD"),
    "long_oi_wad": ("long open interest", "wad", "base"),
    "short_oi_wad": ("short open interest", "wad", "base"),
    "last_funding_time": ("last funding", "s", "s"),
    "index_ok": ("index ok", "flag", ""),
    "index_price_wad": ("index price", "usd", "USD"),
    "mark_time": ("mark time", "s", "s"),
}
PERP_ACCOUNT_UNITS: dict[str, Unit] = {
    "cross_balance_wad": ("cross balance", "usd", "USD"),
    "token_balance": ("wallet balance", "token", "tokens"),
    "cross_ok": ("cross ok", "flag", ""),
    "cross_equity_wad": ("cross equity", "usd", "USD"),
    "cross_initial_wad": ("cross initial margin", "usd", "USD"),
    "cross_maintenance_wad": ("cross maintenance margin", "usd", "USD"),
}
PERP_POSITION_UNITS: dict[str, Unit] = {
    "size_wad": ("size", "wad", "base"),
    "open_notional_wad": ("open notional", "usd", "USD"),
    "funding_snapshot_wad": ("funding snapshot", "wad", "USD per base"),
    "isolated": ("isolated", "flag", ""),
    "isolated_balance_wad": ("isolated balance", "usd", "USD"),
    "iso_ok": ("isolated ok", "flag", ""),
    "iso_equity_wad": ("isolated equity", "usd", "USD"),
    "iso_initial_wad": ("isolated initial margin", "usd", "USD"),
    "iso_maintenance_wad": ("isolated maintenance margin", "usd", "USD"),
}


def label(unit: Unit) -> str:
    """A human column name: ``"reserves (tokens)"``, ``"health factor"``."""
    return f"{unit[0]} ({unit[2]})" if unit[2] else unit[0]


def human(value: int, kind: str, decimals: int | None = None) -> Any:
    """One integer in human units (see the module table); ``decimals`` for ``token`` kinds.

    Raises ``ValueError`` for a ``token`` value whose decimals are unknown (``None``).
    """
    if kind.startswith("token"):
        if decimals is None:
            raise ValueError("the token's decimals are unknown: pass decimals= or raw=True")
        return value / 10**decimals
    if kind == "lp":
        return value / 10**LP_DECIMALS
    if kind in ("usd", "wad"):
        return float("inf") if value == UINT256_MAX else value / WAD
    if kind == "ray":
        return value / RAY
    if kind == "flag":
        return bool(value)
    return value


def table(values: Mapping[Any, Sequence[int]], names: Sequence[str], units: Mapping[str, Unit],
          index: str | list[str], *, raw: bool, decimals: Callable[[Any, str], int | None]) -> pd.DataFrame:
    """One snapshot table as a DataFrame: a row per key of ``values`` (a tuple of integers whose fields are
    ``names``), indexed by ``index`` (a list names the levels of tuple keys).

    Columns are the human labels of ``units`` (or, with ``raw``, the field names and exact integers);
    ``decimals(key, kind)`` gives the decimals of a row's ``token``/``token_a``/``token_b`` field (``None``:
    unknown). Raises ``ValueError`` as :func:`human`.
    """
    import pandas as pd

    keys = list(values)
    if raw:
        rows = [dict(zip(names, values[k], strict=True)) for k in keys]
        cols = list(names)
    else:
        rows = [{label(units[n]): human(v, units[n][1], decimals(k, units[n][1]) if units[n][1].startswith("token")
                                        else None) for n, v in zip(names, values[k], strict=True)} for k in keys]
        cols = [label(units[n]) for n in names]
    if isinstance(index, list):
        idx = pd.MultiIndex.from_arrays([[k[i] for k in keys] for i in range(len(index))], names=index)
    else:
        idx = pd.Index(keys, name=index)
    return pd.DataFrame(rows, index=idx, columns=cols)


def flatten(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """Every value of every table as one labelled record: ``{"asset WETH: reserves (tokens)": 1.5, ...}``
    (tuple keys joined with ``/``), for one row per step of a story frame."""
    out: dict[str, Any] = {}
    for table, frame in tables.items():
        for key, values in frame.iterrows():
            name = "/".join(map(str, key)) if isinstance(key, tuple) else str(key)
            out.update({f"{table} {name}: {column}": value for column, value in values.items()})
    return out
