"""A deterministic liquidation keeper on the exact model.

It decides; the caller executes the decision on both twins. Choice rule (documented in
docs/fork_testing.md): borrowers in scenario account order; for each one below HF 1 at the time of the
call, the debt asset with the largest debt value and the collateral with the largest collateral value
(ties: listing order); the requested repayment is the keeper's wallet balance of the debt asset capped
at the borrower's debt (the pool then applies the close factor).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import LendingPool
from protocol_model.exact.math_lib import WAD, mul_div_down, mul_div_up
from protocol_model.exact.oracle.price_router import price_wad
from protocol_model.world.model_world import Action


@dataclass(frozen=True)
class Decision:
    """The keeper's decision for one borrower below HF 1; ``health_factor_wad`` is its HF (WAD) at the call,
    ``reason`` why there is no action.
    """

    action: Action | None
    """The liquidation to send, or None when the borrower cannot be liquidated by this keeper."""
    borrower: str
    health_factor_wad: int
    reason: str = ""


def accrued(pool: LendingPool, now: int) -> LendingPool:
    """A copy of ``pool`` with every asset accrued to ``now`` (what a call at ``now`` sees)."""
    view = copy.deepcopy(pool)
    view._accrue_all(now)
    return view


def health_factor_at(pool: LendingPool, account: str) -> int | None:
    """HF of ``account`` in WAD (UINT256_MAX without debt), as ``LendingPool.accountValues``, or None if a
    price it needs is rejected."""
    try:
        return pool.account_values(account).health_factor_wad
    except errors.PoolError:
        return None


def liquidatable(pool: LendingPool, accounts: list[str], now: int) -> list[str]:
    """The ``accounts`` (in their order) whose health factor at ``now`` (every asset accrued) is below 1 WAD;
    an account whose prices are rejected (``PoolError``) is left out.
    """
    view = accrued(pool, now)
    return [a for a in accounts if (hf := health_factor_at(view, a)) is not None and hf < WAD]


def decide(pool: LendingPool, keeper: str, borrower: str, now: int) -> Decision | None:
    """The keeper's liquidation of ``borrower`` at ``now``, or None if the borrower is not liquidatable.

    Choice rule in the module docstring; values compared at the raw feed prices as of ``now`` (a pair feed's
    live; debt rounded up, collateral down, WAD USD). Raises ``FeedNotSet`` / ``InvalidPrice`` if a listed asset's
    feed is missing or <= 0.
    """
    view = accrued(pool, now)
    hf = health_factor_at(view, borrower)
    if hf is None or hf >= WAD:
        return None
    debts, colls = [], []
    for order, (asset, listed) in enumerate(view.assets.items()):
        price = price_wad(asset, view.primary_feed(asset, now))
        unit = 10**listed.state.decimals
        debt = view.debt_balance(asset, borrower)
        if debt:
            debts.append((-mul_div_up(debt, price, unit), order, asset, debt))
        if listed.config.collateral_enabled and view.scaled_supply.get((asset, borrower), 0):
            colls.append((-mul_div_down(view.supply_balance(asset, borrower), price, unit), order, asset))
    if not colls:
        return Decision(None, borrower, hf, "no collateral left to seize")
    _, _, debt_asset, debt = min(debts)
    _, _, coll_asset = min(colls)
    wallet = view.ledger.balance(debt_asset, keeper)
    if wallet == 0:
        return Decision(None, borrower, hf, f"keeper holds no {debt_asset}")
    action = Action("liquidate", keeper, amount=min(wallet, debt), borrower=borrower,
                    collateral=coll_asset, debt=debt_asset)
    return Decision(action, borrower, hf)
