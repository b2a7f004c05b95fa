"""A perp scenario's world in the exact model; actions shared with the chain adapter; the snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.perp_engine import ENGINE, PerpEngine
from protocol_model.exact.perp.perp_math import to_int256
from protocol_model.scenario.perp import PerpScenario, answer, wad
from protocol_model.world.action import play_steps
from protocol_model.world.snapshot import diff_tables

if TYPE_CHECKING:
    import pandas as pd

GLOBAL_FIELDS = ("insurance_fund_wad", "unsocialized_loss_wad", "engine_token_balance")
MARKET_FIELDS = ("cum_long_wad", "cum_short_wad", "mark_price_wad", "long_oi_wad", "short_oi_wad",
                 "last_funding_time", "index_ok", "index_price_wad", "mark_time")
ACCOUNT_FIELDS = ("cross_balance_wad", "token_balance", "cross_ok", "cross_equity_wad", "cross_initial_wad",
                  "cross_maintenance_wad")
POSITION_FIELDS = ("size_wad", "open_notional_wad", "funding_snapshot_wad", "isolated", "isolated_balance_wad",
                   "iso_ok", "iso_equity_wad", "iso_initial_wad", "iso_maintenance_wad")
PERP_TABLES = ("global", "markets", "accounts", "positions")
"""The perp snapshot's tables, in the order :meth:`PerpSnapshot.frames` returns them."""


@dataclass(frozen=True)
class PerpAction:
    """One call in integer units (token units for deposits, WAD for sizes, prices and margin transfers)."""

    kind: str
    account: str = ""
    market: int = 0
    amount: int = 0
    target: str = ""
    buyer: str = ""
    seller: str = ""
    size_wad: int = 0
    price_wad: int = 0
    isolated: bool = False
    asset: str = ""
    answer: int = 0
    seconds: int = 0

    def describe(self) -> str:
        """``kind(field=value, ...)`` with the non-default fields only, for reports and mismatch messages."""
        fields = {k: v for k, v in self.__dict__.items() if v not in ("", 0, False) and k != "kind"}
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in fields.items())})"


def resolve(step, sc: PerpScenario) -> PerpAction:
    """A validated perp step -> :class:`PerpAction` (token amounts -> units, sizes/prices/margin -> WAD, USD
    index prices -> 8-decimal answers). Raises ``ValueError`` for an unknown step kind.
    """
    k = step.op
    if k in ("deposit", "fund_insurance", "withdraw"):
        return PerpAction(k, step.account, amount=sc.units(step.amount))
    if k == "margin_mode":
        return PerpAction(k, step.account, sc.market_id(step.market), isolated=step.isolated)
    if k == "transfer_margin":
        return PerpAction(k, step.account, sc.market_id(step.market), amount=wad(step.amount))
    if k == "trade":
        return PerpAction(k, market=sc.market_id(step.market), buyer=step.buyer, seller=step.seller,
                          size_wad=wad(step.size), price_wad=wad(step.price_usd))
    if k == "liquidate":
        return PerpAction(k, step.account, sc.market_id(step.market), target=step.target)
    if k == "price":
        return PerpAction(k, asset=step.asset, answer=answer(step.price_usd))
    if k == "warp":
        return PerpAction(k, seconds=step.seconds)
    raise ValueError(f"unknown step kind {k}")


@dataclass(frozen=True)
class PerpSnapshot:
    """The observable state of a perp engine, the same tables from the model and from ``PerpLens`` on chain.

    ``globals_`` -> GLOBAL_FIELDS; market id -> MARKET_FIELDS; account -> ACCOUNT_FIELDS; (account, market id)
    -> POSITION_FIELDS. Integers: WAD quote/base units, token units for token balances, seconds, 0/1 flags
    (``*_ok`` = 0 with zeros where a price or margin cannot be read).
    """

    globals_: tuple[int, ...]
    markets: Mapping[int, tuple[int, ...]]
    accounts: Mapping[str, tuple[int, ...]]
    positions: Mapping[tuple[str, int], tuple[int, ...]]
    collateral_decimals: int | None = field(default=None, compare=False)
    """Decimals of the settlement token, for human units in :meth:`to_frame` (not compared)."""

    def diff(self, other: PerpSnapshot) -> list[str]:
        """Every field that differs, as 'where.field: self != other' (a key on one side only is listed too)."""
        out = [f"global.{n}: {a} != {b}" for n, a, b in zip(GLOBAL_FIELDS, self.globals_, other.globals_, strict=True)
               if a != b]
        return out + diff_tables((("market", self.markets, other.markets, MARKET_FIELDS),
                                  ("account", self.accounts, other.accounts, ACCOUNT_FIELDS),
                                  ("position", self.positions, other.positions, POSITION_FIELDS)))

    def field(self, kind: str, key, name: str) -> int:
        """One value: ``kind`` is ``global``/``market``/``account``/``position``. Raises ``KeyError`` for an unknown
        kind or key and ``ValueError`` for an unknown field name.
        """
        if kind == "global":
            return self.globals_[GLOBAL_FIELDS.index(name)]
        tables: dict[str, tuple[Mapping[Any, tuple[int, ...]], tuple[str, ...]]] = {
            "market": (self.markets, MARKET_FIELDS), "account": (self.accounts, ACCOUNT_FIELDS),
            "position": (self.positions, POSITION_FIELDS)}
        table, names = tables[kind]
        return table[key][names.index(name)]

    def to_frame(self, table: str = "markets", *, raw: bool = False) -> pd.DataFrame:
        """One table as a pandas DataFrame: ``global`` (one row), ``markets`` (by market id), ``accounts`` (by
        account) or ``positions`` (by account and market id).

        Columns are labelled in human units (``"mark price (USD)"``, ``"size (base)"``; see
        :mod:`protocol_model.world.frames`); ``raw=True`` keeps the field names and the exact integers.
        Raises ``KeyError`` for a table not in ``PERP_TABLES`` and ``ValueError`` when the settlement token's
        decimals are unknown (use ``raw=True``).
        """
        from protocol_model.world import frames

        specs: dict[str, tuple[Mapping[Any, tuple[int, ...]], tuple[str, ...], dict, str | list[str]]] = {
            "global": ({"engine": self.globals_}, GLOBAL_FIELDS, frames.PERP_GLOBAL_UNITS, "engine"),
            "markets": (self.markets, MARKET_FIELDS, frames.PERP_MARKET_UNITS, "market"),
            "accounts": (self.accounts, ACCOUNT_FIELDS, frames.PERP_ACCOUNT_UNITS, "account"),
            "positions": (self.positions, POSITION_FIELDS, frames.PERP_POSITION_UNITS, ["account", "market"]),
        }
        values, names, units, index = specs[table]
        return frames.table(values, names, units, index, raw=raw, decimals=lambda _key, _kind: self.collateral_decimals)

    def frames(self, *, raw: bool = False) -> dict[str, pd.DataFrame]:
        """Every table as :meth:`to_frame` builds it, by name (in ``PERP_TABLES`` order)."""
        return {table: self.to_frame(table, raw=raw) for table in PERP_TABLES}

    def n_fields(self) -> int:
        """Number of values the snapshot holds (what a model == chain check compares)."""
        return (len(self.globals_) + sum(map(len, self.markets.values())) + sum(map(len, self.accounts.values()))
                + sum(map(len, self.positions.values())))


class PerpModelWorld:
    """The exact engine, its feeds and every account's tokens, built from a perp scenario.

    ``listed_at``: block time each market was listed (one per market). Raises ``PerpEngine.list_market``'s
    errors (``MarginRatiosInvalid``, ``BpsOutOfRange``, ``ZeroFundingPeriod``, ``FeedNotSet``,
    ``InvalidPrice``) for a market the contract would reject.
    """

    def __init__(self, scenario: PerpScenario, listed_at: list[int]):
        self.scenario = scenario
        self.view_time = max(listed_at)
        """Time of the last call that changed the chain (the block the chain's views are read in)."""
        self.account_names = [a.name for a in scenario.accounts]
        c = scenario.collateral
        self.engine = PerpEngine(c.name, c.decimals)
        for idx in scenario.indexes:
            self.engine.set_feed(idx.name, Feed(answer(idx.price_usd), 8))
        for spec, t in zip(scenario.markets, listed_at, strict=True):
            self.engine.list_market(spec.index, spec.params(), t)
        for acct in scenario.accounts:
            self.engine.ledger.mint(c.name, acct.name, scenario.units(acct.balance))
            self.engine.ledger.approve(c.name, acct.name, ENGINE, UINT256_MAX)

    def apply(self, a: PerpAction, now: int) -> str:
        """Run one action at block time ``now`` on the ``PerpEngine`` twin; returns 'ok' or the revert's error
        name (state unchanged). Raises ``ValueError`` for an unknown action kind.
        """
        e = self.engine
        try:
            if a.kind == "deposit":
                e.deposit(a.account, a.amount)
            elif a.kind == "fund_insurance":
                e.fund_insurance(a.account, a.amount)
            elif a.kind == "withdraw":
                e.withdraw(a.account, a.amount, now)
            elif a.kind == "margin_mode":
                e.set_margin_mode(a.account, a.market, a.isolated)
            elif a.kind == "transfer_margin":
                e.transfer_margin(a.account, a.market, a.amount, now)
            elif a.kind == "trade":
                e.trade(a.market, a.buyer, a.seller, a.size_wad, a.price_wad, now)
            elif a.kind == "liquidate":
                e.liquidate(a.account, a.target, a.market, now)
            elif a.kind == "price":
                old = e.feeds[a.asset]
                e.set_feed(a.asset, old.pushed(a.answer, now))  # MockAggregator.setAnswer: heartbeats
            elif a.kind != "warp":
                raise ValueError(f"unknown action {a.kind}")
        except errors.PoolError as err:
            return err.name
        if a.kind != "warp":
            self.view_time = now
        return "ok"

    def snapshot(self) -> PerpSnapshot:
        """Every readable field, margin views as of ``view_time`` (pending funding included, as on chain).

        Raises ``SafeCastOverflowedUintToInt`` where ``PerpLens.snapshot`` reverts: an unsigned field (insurance
        fund, unsocialised loss, a token balance, mark or index price, open interest, a margin requirement) at or
        above 2^255, which the lens's int256 tables cannot hold; fields are converted in the lens's order."""
        e, now = self.engine, self.view_time
        glob = (to_int256(e.insurance_fund_wad), to_int256(e.unsocialized_loss_wad),
                to_int256(e.ledger.balance(e.collateral, ENGINE)))
        markets: dict[int, tuple[int, ...]] = {}
        for i, m in enumerate(e.markets):
            fields = (m.cum_long_wad, m.cum_short_wad, to_int256(m.mark_price_wad), to_int256(m.long_oi_wad),
                      to_int256(m.short_oi_wad), m.last_funding_time)
            try:
                ok, price = 1, e.index_price(m.index_asset, now)
            except errors.PoolError:
                ok, price = 0, 0
            markets[i] = (*fields, ok, to_int256(price), m.mark_time)
        accounts: dict[str, tuple[int, ...]] = {}
        positions: dict[tuple[str, int], tuple[int, ...]] = {}
        for a in self.account_names:
            accounts[a] = (e.cross_balance_wad.get(a, 0), to_int256(e.ledger.balance(e.collateral, a))) + (
                _margin_fields(e, a, False, 0, now))
            for i in range(len(e.markets)):
                p = e.position(a, i)
                positions[(a, i)] = (p.size_wad, p.open_notional_wad, p.funding_snapshot_wad, int(p.isolated),
                                     e.isolated(a, i)) + _margin_fields(e, a, True, i, now)
        return PerpSnapshot(glob, markets, accounts, positions, self.scenario.collateral.decimals)


def _margin_fields(e: PerpEngine, account: str, iso: bool, market: int, now: int) -> tuple[int, ...]:
    """(ok, equity, initial, maintenance) of one bucket as the lens reads it: zeros when the margin view reverts;
    requirements through SafeCast outside that catch (``SafeCastOverflowedUintToInt`` at or above 2^255)."""
    try:
        mg = e.margin(account, iso, market, now)
    except errors.PoolError:
        return (0, 0, 0, 0)
    return (1, mg.equity_wad, to_int256(mg.initial_wad), to_int256(mg.maintenance_wad))


def run_perp_model(scenario: PerpScenario, start: int = 1_700_000_000) -> tuple[PerpModelWorld, list[str]]:
    """Play a story in the model alone (one second per step, warps as written); returns the outcomes.

    Each outcome is 'ok' or a revert's error name. Raises ``ValueError`` as :func:`resolve`.
    """
    world = PerpModelWorld(scenario, [start] * len(scenario.markets))
    return world, play_steps(world, scenario.steps, lambda step: resolve(step, scenario), start)
