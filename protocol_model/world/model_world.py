"""A scenario's world in the exact model: the pool, its feeds and every account's tokens.

``Action`` is a step resolved to integer token units; the chain adapter executes the same actions, so
model and chain are driven by one description.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from protocol_model.exact import errors
from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.scenario.amm import AMM_KINDS
from protocol_model.scenario.oracle import ORACLE_OPS
from protocol_model.scenario.story import Scenario
from protocol_model.world.action import Action, play_steps
from protocol_model.world.amm_world import AmmWorld, resolve_amm
from protocol_model.world.frames import LP_DECIMALS
from protocol_model.world.oracle_world import apply_oracle, resolve_oracle, setup_oracle
from protocol_model.world.snapshot import Snapshot


def resolve(step, scenario: Scenario) -> Action:
    """A validated scenario step -> Action (whole tokens -> units at the asset's decimals, ``max`` ->
    ``UINT256_MAX``, USD prices -> 8-decimal feed answers). Raises ``ValueError`` for an unknown step kind."""
    kind = step.op

    def units(asset: str, amount) -> int:
        return UINT256_MAX if amount == "max" else scenario.asset(asset).units(amount)

    if kind in ("supply", "repay"):
        return Action(kind, step.account, step.asset, units(step.asset, step.amount), step.on_behalf or step.account)
    if kind in ("withdraw", "borrow"):
        return Action(kind, step.account, step.asset, units(step.asset, step.amount), step.on_behalf or "")
    if kind == "donate":
        return Action(kind, step.account, step.asset, units(step.asset, step.amount))
    if kind == "delegate":
        return Action(kind, step.account, operator=step.operator, enabled=step.enabled)
    if kind == "use_as_collateral":
        return Action(kind, step.account, step.asset, enabled=step.enabled)
    if kind == "liquidate":
        return Action(kind, step.account, amount=units(step.debt, step.amount), borrower=step.borrower,
                      collateral=step.collateral, debt=step.debt)
    if kind == "price":
        return Action(kind, asset=step.asset, answer=step.raw_answer())
    if kind == "warp":
        return Action(kind, seconds=step.seconds)
    if kind == "accrue":
        return Action(kind, step.account)
    if kind == "pause":
        return Action(kind, supply_paused=step.supply, borrow_paused=step.borrow)
    if kind in ORACLE_OPS:
        return resolve_oracle(step, Action)

    if kind in AMM_KINDS:
        return resolve_amm(step, scenario)
    raise ValueError(f"unknown step kind {kind}")


class ModelWorld:
    """The exact engine plus token ledger, built from a scenario.

    ``listed_at``: asset (or pair, feed) name -> block time it was listed/deployed, as the chain adapter
    recorded it; ``feed_times`` the feeds' own update times when they differ. Raises the pool's
    ``PoolError``s (e.g. ``InvalidDecimals``) for a configuration the contracts would reject.
    """

    def __init__(self, scenario: Scenario, listed_at: dict[str, int], feed_times: dict[str, int] | None = None):
        self.scenario = scenario
        self.asset_names = [a.name for a in scenario.assets]
        self.account_names = [a.name for a in scenario.accounts]
        self.pool = LendingPool(params=scenario.pool.params())
        for spec in scenario.assets:
            t = listed_at[spec.name]
            self.pool.list_asset(spec.name, spec.rate.params(), spec.config(), spec.decimals, now=t)
            self.pool.set_feed(spec.name, Feed(spec.answer(), 8, updated_at=t))
        for acct in scenario.accounts:
            for asset, amount in acct.balances.items():
                self.pool.ledger.mint(asset, acct.name, scenario.asset(asset).units(amount))
            for asset in self.asset_names:
                self.pool.ledger.approve(asset, acct.name, POOL, UINT256_MAX)
        self.market: dict[str, int] = {}
        """Market price per asset as an 8-decimal answer (what a feed would publish if it tracked it)."""
        self.view_now = max(listed_at.values())
        """Block time views are read at (the chain's head block after the last step)."""
        setup_oracle(self, scenario, listed_at, feed_times)

        self.amm: AmmWorld | None = None
        """AMM pairs and the Looper (amm_world.AmmWorld) when the scenario has ``amm_pairs``."""
        if scenario.amm_pairs:
            self.amm = AmmWorld(scenario, self.pool, listed_at)

    def apply(self, action: Action, now: int) -> str:
        """Run one action at block time ``now``; returns 'ok' or the error name (state unchanged).

        Every ``PoolError`` (the contracts' revert) becomes its name; raises ``ValueError`` for an unknown
        action kind (a bug, not a revert).
        """
        p, a = self.pool, action
        self.view_now = max(self.view_now, now)
        if self.amm is not None:
            self.amm.refresh_pair_feeds(now)
        try:
            if a.kind == "supply":
                p.supply(a.account, a.asset, a.amount, a.on_behalf or a.account, now)
            elif a.kind == "withdraw":
                p.withdraw_on_behalf(a.account, a.asset, a.amount, a.on_behalf or a.account, a.account, now)
            elif a.kind == "borrow":
                p.borrow_on_behalf(a.account, a.asset, a.amount, a.on_behalf or a.account, a.account, now)
            elif a.kind == "delegate":
                p.set_authorization(a.account, a.operator, a.enabled)
            elif a.kind == "use_as_collateral":
                p.set_use_as_collateral(a.account, a.asset, a.enabled, now)
            elif a.kind == "repay":
                p.repay(a.account, a.asset, a.amount, a.on_behalf or a.account, now)
            elif a.kind == "liquidate":
                p.liquidate(a.account, a.borrower, a.collateral, a.debt, a.amount, now)
            elif a.kind == "price":
                p.set_feed(a.asset, p.feeds[a.asset].pushed(a.answer, now))
                self.market[a.asset] = a.answer
            elif a.kind == "pause":
                p.set_pause(a.supply_paused, a.borrow_paused)
            elif a.kind == "accrue":
                p.accrue_all(now)
            elif a.kind == "donate":  # a plain token transfer to the pool: no pool call, no accrual
                p.ledger.transfer(a.asset, a.account, POOL, a.amount)
            elif a.kind in ORACLE_OPS:
                apply_oracle(self, a, now)

            elif a.kind in AMM_KINDS:
                cast(AmmWorld, self.amm).apply(a, now)  # AMM steps validate only with amm_pairs
            elif a.kind != "warp":
                raise ValueError(f"unknown action {a.kind}")
        except errors.PoolError as err:
            return err.name
        return "ok"

    def snapshot(self) -> Snapshot:
        """The :class:`Snapshot` read at ``view_now`` (the chain's head after the last step): feeds of AMM pairs
        are refreshed and unreadable prices or account values become ``price_ok``/``values_ok`` = 0.
        """
        p = self.pool
        p.oracle_now = self.view_now
        if self.amm is not None:
            self.amm.refresh_pair_feeds(self.view_now)
        assets = {}
        for name in self.asset_names:
            s = p.assets[name].state
            try:
                price_ok, price = 1, p._price_wad(name)
            except errors.PoolError:
                price_ok, price = 0, 0
            assets[name] = (s.total_scaled_supply, s.total_scaled_debt, s.supply_index_ray, s.borrow_index_ray,
                            s.reserves, s.bad_debt, s.last_update, p.ledger.balance(name, POOL), price_ok, price)
        positions = {
            (asset, acct): (p.scaled_supply.get((asset, acct), 0), p.scaled_debt.get((asset, acct), 0),
                            p.supply_balance(asset, acct), p.debt_balance(asset, acct),
                            p.ledger.balance(asset, acct), int((acct, asset) in p.collateral_use))
            for asset in self.asset_names for acct in self.account_names
        }
        accounts = {}
        for acct in self.account_names:
            try:
                v = p.account_values(acct)
                accounts[acct] = (1, v.adjusted_collateral_wad, v.borrow_capacity_wad, v.debt_wad, v.health_factor_wad)
            except errors.PoolError:
                accounts[acct] = (0, 0, 0, 0, 0)
        pairs = self.scenario.amm_pairs if self.amm else []  # an imported pool (chain.importer) has no scenario
        decimals = {name: p.assets[name].state.decimals for name in self.asset_names} | {
            q.name: LP_DECIMALS for q in pairs}
        return Snapshot(assets, positions, accounts, **(self.amm.snapshot() if self.amm else {}), decimals=decimals,
                        pair_tokens={q.name: q.assets for q in pairs})


def whole(units: int, decimals: int) -> Decimal:
    """Token units -> whole tokens (for reports)."""
    return EXACT.divide(Decimal(units), Decimal(10) ** decimals)  # exact; 0 and 1 print as "0" and "1"


def run_model(scenario: Scenario, start: int = 1_700_000_000) -> tuple[ModelWorld, list[str]]:
    """Play a scenario in the model alone (one second per step, warps as written); returns outcomes.

    Each outcome is 'ok' or a revert's error name. Raises ``ValueError`` as :func:`resolve`.
    """
    world = ModelWorld(scenario, {a.name: start for a in scenario.assets})
    return world, play_steps(world, scenario.steps, lambda step: resolve(step, scenario), start)
