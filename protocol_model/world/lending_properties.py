"""The lending pool's properties checked after every fuzz step (docs/PROPERTIES.md ids), on the model.

The differential fuzzers first require model == chain to the wei on the step (P-POOL-07); the properties are
then asserted on the model, which equals the chain at that point. ``LendingProperties`` is a step observer
(``before(model, action)`` / ``after(model, action, outcome)``, as ``chain.replay.Replay.run`` calls them): it
keeps a copy of the pool before the step and checks the transition after it. A violation raises
``PropertyViolation`` (an ``AssertionError``) naming the property's id.
"""

from __future__ import annotations

import pickle
from typing import Any

from protocol_model.exact import math_lib as fp
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.world.action import Action


class PropertyViolation(AssertionError):
    """A property of docs/PROPERTIES.md does not hold: ``property_id`` (e.g. ``P-POOL-01``) and what was seen."""

    def __init__(self, property_id: str, message: str):
        super().__init__(f"{property_id}: {message}")
        self.property_id = property_id


def require(ok: bool, property_id: str, message: str) -> None:
    """Raise ``PropertyViolation(property_id, message)`` unless ``ok``."""
    if not ok:
        raise PropertyViolation(property_id, message)


def clone(pool: LendingPool) -> LendingPool:
    """An independent copy of a model pool (a pickle round trip: the same as ``copy.deepcopy`` for the model's
    plain dataclasses, and about twice as fast)."""
    return pickle.loads(pickle.dumps(pool, pickle.HIGHEST_PROTOCOL))


def pool_balances_cover_claims(pool: LendingPool, accounts: list[str]) -> None:
    """P-POOL-01 solvency: for every asset, the pool's token balance + Σ debts ≥ Σ supplies + reserves."""
    for name, market in pool.assets.items():
        supplies = sum(pool.supply_balance(name, a) for a in accounts)
        debts = sum(pool.debt_balance(name, a) for a in accounts)
        cash = pool.ledger.balance(name, POOL)
        reserves = market.state.reserves
        require(cash + debts >= supplies + reserves, "P-POOL-01", f"{name}: {cash}+{debts} < {supplies}+{reserves}")


def consent_needs_supply(pool: LendingPool) -> None:
    """P-POOL-20: every collateral consent sits on a supply: each (account, asset) in ``collateral_use`` (bit
    ``id`` of ``_accountAssets``) has a non-zero scaled supply (a supply reaching zero clears it, P-POOL-19;
    ``setUseAsCollateral(true)`` needs one, else NoSupplyBalance)."""
    bare = sorted(pair for pair in pool.collateral_use if not pool.scaled_supply.get((pair[1], pair[0]), 0))
    require(not bare, "P-POOL-20", f"collateral consent without a supply: {bare}")


def check_transition(action: Action, outcome: str, before: LendingPool, after: LendingPool, now: int,
                     pre: LendingPool | None = None) -> None:
    """P-POOL-02/03/04 on one step from ``before`` to ``after`` at block time ``now``: indexes never fall (the
    supply index only in a step that writes bad debt off from suppliers), bad debt only at zero collateral; then
    P-POOL-06 (``check_supply_rate``) and, after a liquidation, P-LIQ-01/02/04 (``check_liquidation``). ``pre``:
    a spare copy of ``before`` (accrued to ``now`` here; default: a new copy)."""
    new_bad_debt = after.bad_debt_events[len(before.bad_debt_events):]
    for name in after.assets:
        b, a = before.assets[name].state, after.assets[name].state
        require(a.borrow_index_ray >= b.borrow_index_ray, "P-POOL-02", f"{name} borrow index fell")
        written_off = [e for e in new_bad_debt if e.asset == name and e.from_suppliers]
        if not written_off:
            require(a.supply_index_ray >= b.supply_index_ray, "P-POOL-03", f"{name} supply index fell without bad debt")
    for event in new_bad_debt:
        require(not after._has_collateral(event.account), "P-POOL-04", "bad debt written off while collateral remains")
    pre = pre or clone(before)
    pre._accrue_all(now)
    check_supply_rate(before, pre)
    if action.kind == "liquidate" and outcome == "ok":
        check_liquidation(action, pre, after)


def check_supply_rate(before: LendingPool, accrued: LendingPool) -> None:
    """P-POOL-06: suppliers earn at most the interest on what they funded: supply rate <= borrow rate ×
    utilization, i.e. gain · D <= interest · min(S, D) (one unit of rounding)."""
    for name in before.assets:
        b, a = before.assets[name].state, accrued.assets[name].state
        debt, supplied = b.total_debt(), b.total_supply()
        interest = a.total_debt() - debt
        gain = fp.ray_mul_down(b.total_scaled_supply, a.supply_index_ray) - supplied
        require(gain * debt <= interest * min(supplied, debt) + debt, "P-POOL-06",
                f"{name}: suppliers gained {gain} of {interest} interest with S={supplied}, D={debt}")


def check_liquidation(action: Action, pre: LendingPool, after: LendingPool) -> None:
    """P-LIQ-01 (a healthy account is never liquidated), P-LIQ-02 (at or above the full-close line HF never
    falls, beyond one unit) and P-LIQ-04 (no dust: a side closed or both leftovers worth the minimum); ``pre``
    is the pool before the liquidation with interest accrued to its block."""
    adjusted, debt_value = pre.liquidation_values(action.borrower)
    hf_before = fp.wad_div_down(adjusted, debt_value)
    require(hf_before < fp.WAD, "P-LIQ-01", "a healthy account was liquidated")
    cfg = after.assets[action.collateral].config
    lt_wad = cfg.liquidation_threshold_bps * fp.WAD // fp.BPS
    adjusted, debt_value = after.liquidation_values(action.borrower)
    if debt_value and hf_before >= max(after.params.full_close_hf_wad, lt_wad):
        hf_after = fp.wad_div_down(adjusted, debt_value)
        # The capped bonus keeps lt·(1 + b) <= HF; rounding moves each value by at most a few wei.
        require(hf_after >= hf_before - 1, "P-LIQ-02", f"HF fell {hf_before} -> {hf_after} above the full-close line")
    minimum = after.params.min_leftover_usd_wad
    left = [(action.debt, after.debt_balance(action.debt, action.borrower)),
            (action.collateral, after.supply_balance(action.collateral, action.borrower))]
    if all(units for _, units in left):
        for asset, units in left:
            value = fp.mul_div_down(units, after._price_wad(asset), 10 ** after.assets[asset].state.decimals)
            require(value + 1 >= minimum, "P-LIQ-04", f"{asset}: a liquidation left dust worth {value}")


def check_on_behalf(action: Action, outcome: str, before: LendingPool, after: LendingPool) -> None:
    """P-POOL-08: a supply by a party the account did not authorize never turns collateral use on for it;
    P-POOL-09: borrowOnBehalf / withdrawOnBehalf by a caller that is neither the account nor its operator
    reverts Unauthorized."""
    account = action.on_behalf or action.account
    authorized = account == action.account or (account, action.account) in before.authorizations
    if authorized:
        return
    if action.kind == "supply":
        consented = (account, action.asset) in before.collateral_use
        require(((account, action.asset) in after.collateral_use) == consented, "P-POOL-08", "collateral planted")
    elif action.kind in ("borrow", "withdraw"):
        require(outcome == "Unauthorized", "P-POOL-09", f"unauthorized call gave {outcome}")


def check_borrow_or_withdraw(action: Action, outcome: str, after: LendingPool) -> None:
    """After a passing borrow, withdraw or ``setUseAsCollateral(false)`` (``outcome`` 'ok'; other steps pass):
    P-POOL-17, the account it acted for (``on_behalf`` or the caller) is left at HF >= 1 and, after a borrow, with
    its debt within its borrow capacity (without debt no price is read and HF is infinite); after a borrow or
    withdraw, P-POOL-10, the pool still holds at least the reserves of the asset in cash (reserves are never lent)."""
    stops_collateral = action.kind == "use_as_collateral" and not action.enabled
    if (action.kind not in ("borrow", "withdraw") and not stops_collateral) or outcome != "ok":
        return
    account = action.on_behalf or action.account
    if after._has_debt(account):
        v = after.account_values(account)
        if action.kind == "borrow":
            require(v.debt_wad <= v.borrow_capacity_wad, "P-POOL-17", f"{action.describe()}: debt above capacity")
        require(v.health_factor_wad >= fp.WAD, "P-POOL-17", f"{action.describe()} left HF < 1")
    if stops_collateral:
        return
    reserves = after.assets[action.asset].state.reserves
    require(after.ledger.balance(action.asset, POOL) >= reserves, "P-POOL-10",
            f"{action.describe()} lent the reserves of {action.asset}")


class LendingProperties:
    """Step observer checking the lending properties on a ``world.model_world.ModelWorld`` after each step:
    ``before`` copies the pool, ``after`` checks the on-behalf rules, a passing borrow/withdraw/collateral stop
    (P-POOL-10/17), the transition, solvency and that every consent sits on a supply (P-POOL-20). Raises
    ``PropertyViolation`` on the first property that fails."""

    def __init__(self) -> None:
        self._before: bytes | None = None

    def before(self, model: Any, action: Action) -> None:
        """Keep a copy (pickled) of ``model``'s pool as it is before ``action``."""
        self._before = pickle.dumps(model.pool, pickle.HIGHEST_PROTOCOL)

    def after(self, model: Any, action: Action, outcome: str) -> None:
        """Check every property of the step just run (``outcome``: 'ok' or the error name)."""
        if self._before is None:
            raise ValueError("LendingProperties.after called without before")
        before, pre, pool = pickle.loads(self._before), pickle.loads(self._before), model.pool
        self._before = None
        check_on_behalf(action, outcome, before, pool)
        check_borrow_or_withdraw(action, outcome, pool)
        check_transition(action, outcome, before, pool, model.view_now, pre)
        pool_balances_cover_claims(pool, model.account_names)
        consent_needs_supply(pool)
