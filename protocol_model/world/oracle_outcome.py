"""What an oracle story did, measured at market prices: liquidations, users liquidated while healthy at
the market, bad debt written off, insolvency left hidden on the books, each account's profit.

``OutcomeTracker.before``/``after`` wrap every step of a model run (alone or inside a chain replay).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import LendingPool
from protocol_model.exact.math_lib import WAD
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.world.action import Action
from protocol_model.world.model_world import whole

if TYPE_CHECKING:
    from protocol_model.scenario.story import Scenario
    from protocol_model.world.model_world import ModelWorld



def market_pool(world: ModelWorld) -> LendingPool:
    """A copy of the pool whose only price source is the market (no policy, no fallback, no sequencer)."""
    pool = copy.deepcopy(world.pool)
    pool.feeds = {a: Feed(world.market[a], 8) for a in world.asset_names}
    pool.oracle_policies, pool.fallback_feeds, pool.sequencer_feed = {}, {}, None
    return pool


def _value_wad(units: int, answer: int, decimals: int) -> int:
    return units * answer * 10**10 // 10**decimals


@dataclass
class Outcome:
    """What an oracle story cost, measured at market prices (USD as ``Decimal``)."""

    liquidations: int = 0
    wrongly_liquidated: list[str] = field(default_factory=list)
    """Accounts liquidated while their health factor at market prices was >= 1."""
    bad_debt_usd: Decimal = Decimal(0)
    """Debt written off by the pool, valued at the market price at the end."""
    hidden_insolvency_usd: Decimal = Decimal(0)
    """Σ over accounts of (debt − collateral) at market prices where positive, still on the books."""
    profit_usd: dict[str, Decimal] = field(default_factory=dict)
    """Each account's equity (``equity_wad``) at the final market prices, end holdings minus start holdings."""

    @property
    def loss_usd(self) -> Decimal:
        """Bad debt written off plus hidden insolvency (USD)."""
        return self.bad_debt_usd + self.hidden_insolvency_usd

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows of a report table; accounts with zero profit are left out."""
        out = [("liquidations executed", str(self.liquidations)),
               ("users wrongly liquidated", ", ".join(self.wrongly_liquidated) or "none"),
               ("bad debt written off (USD)", f"{self.bad_debt_usd:,.2f}"),
               ("hidden insolvency (USD)", f"{self.hidden_insolvency_usd:,.2f}")]
        out += [(f"profit of {a} (USD)", f"{p:,.2f}") for a, p in self.profit_usd.items() if p]
        return out


def holdings(world: ModelWorld, account: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(wallet, supply, debt) of ``account`` in token units, by asset."""
    p = world.pool
    return ({a: p.ledger.balance(a, account) for a in world.asset_names},
            {a: p.supply_balance(a, account) for a in world.asset_names},
            {a: p.debt_balance(a, account) for a in world.asset_names})


def equity_wad(world: ModelWorld, held: tuple[dict[str, int], dict[str, int], dict[str, int]]) -> int:
    """Wallet + max(supply − debt, 0) at the world's current market prices (WAD USD): an account can walk
    away from a position worth less than nothing (limited liability), so that loss is the pool's."""
    wallet, supply, debt = held

    def value(book: dict[str, int]) -> int:
        return sum(_value_wad(units, world.market[a], world.pool.assets[a].state.decimals)
                   for a, units in book.items())

    return value(wallet) + max(value(supply) - value(debt), 0)


class OutcomeTracker:
    """Measures an :class:`Outcome` around every step of a run: call :meth:`before` and :meth:`after` around
    each action, then :meth:`finish` once. ``world`` is a ``ModelWorld``.
    """

    def __init__(self, world: ModelWorld):
        self.outcome = Outcome()
        self.start = {a: holdings(world, a) for a in world.account_names}
        self._hf_market: int | None = None

    def before(self, world: ModelWorld, action: Action) -> None:
        """Before a ``liquidate`` action: remember the borrower's health factor at market prices (None if it
        cannot be read).
        """
        self._hf_market = None
        if action.kind == "liquidate":
            try:
                self._hf_market = market_pool(world).health_factor(action.borrower)
            except errors.PoolError:
                self._hf_market = None

    def after(self, world: ModelWorld, action: Action, outcome: str) -> None:
        """After an action with its ``outcome`` ('ok' or an error name): count a successful liquidation, and its
        borrower as wrongly liquidated if the HF at market prices was >= 1 WAD.
        """
        if action.kind == "liquidate" and outcome == "ok":
            self.outcome.liquidations += 1
            hf = self._hf_market
            if hf is not None and hf >= WAD and action.borrower not in self.outcome.wrongly_liquidated:
                self.outcome.wrongly_liquidated.append(action.borrower)

    def finish(self, world: ModelWorld) -> Outcome:
        """Fill in bad debt, hidden insolvency and each account's profit at the final market prices; returns the
        tracker's :class:`Outcome`.
        """
        p, o = world.pool, self.outcome
        bad = sum(_value_wad(p.assets[a].state.bad_debt, world.market[a], p.assets[a].state.decimals)
                  for a in world.asset_names)
        o.bad_debt_usd = whole(bad, 18)
        mp = market_pool(world)
        hidden = 0
        for acct in world.account_names:
            coll = debt = 0
            for asset in world.asset_names:
                dec, answer = p.assets[asset].state.decimals, world.market[asset]
                if p.assets[asset].config.collateral_enabled:
                    coll += _value_wad(mp.supply_balance(asset, acct), answer, dec)
                debt += _value_wad(mp.debt_balance(asset, acct), answer, dec)
            hidden += max(debt - coll, 0)
        o.hidden_insolvency_usd = whole(hidden, 18)
        o.profit_usd = {a: whole(equity_wad(world, holdings(world, a)) - equity_wad(world, self.start[a]), 18)
                        for a in world.account_names}
        return o


def run_story_model(scenario: Scenario, start: int = 1_700_000_000) -> tuple[ModelWorld, list[str], Outcome]:
    """Play a scenario in the model alone (as ``world.run_model``) and measure its outcome.

    Returns (world, outcomes, Outcome). Raises ``ValueError`` for an unknown step kind.
    """
    from protocol_model.world.model_world import ModelWorld, resolve

    world = ModelWorld(scenario, {a.name: start for a in scenario.assets})
    tracker = OutcomeTracker(world)
    now, outcomes = start, []
    for step in scenario.steps:
        action = resolve(step, scenario)
        now += action.seconds if action.kind == "warp" else 1
        tracker.before(world, action)
        out = world.apply(action, now)
        tracker.after(world, action, out)
        outcomes.append(out)
    return world, outcomes, tracker.finish(world)

