"""Positions imported from a scenario file: the scenario is played in the exact model and every
indebted account becomes a lab position — a pair (one collateral asset, one debt asset) or, holding several
collaterals and/or debts, a cross-collateral account (``Book.multi``)."""

from __future__ import annotations

import numpy as np

from protocol_model.scenario.story import load_scenario
from protocol_model.sim.books import Book, MultiPositions
from protocol_model.sim.config import CascadeParams
from protocol_model.world.model_world import run_model


def book_from_scenario(path: str, params: CascadeParams) -> Book:
    """Play the scenario file at ``path`` in the exact model (``run_model``) and return its indebted accounts
    as a lab :class:`Book` (whole tokens, floats; names = account names): an account with one collateral
    asset (collateral enabled, a positive supply) and one debt asset is a pair; one with more of either is a
    cross-collateral account, its amounts a row of ``Book.multi`` (one column per ``params.assets``).

    Raises ``ValueError`` if an indebted account has no collateral, holds one asset both as collateral and as
    debt, uses an asset the
    simulation (``params.assets``) does not list, or no account has debt; the scenario loader's errors
    (``ScenarioError``) for a bad file.
    """
    scenario = load_scenario(path)
    world, _ = run_model(scenario)
    pool = world.pool
    names = [a.name for a in params.assets]
    pairs, accounts = [], []
    for acct in sorted(pool.accounts()):
        colls = [a for a in world.asset_names
                 if pool.assets[a].config.collateral_enabled and pool.supply_balance(a, acct) > 0]
        debts = [a for a in world.asset_names if pool.debt_balance(a, acct) > 0]
        if not debts:
            continue
        for a in colls + debts:
            if a not in names:
                raise ValueError(f"account '{acct}' uses asset '{a}', which the simulation does not list")
        if not colls:
            raise ValueError(f"account '{acct}' has debt but no collateral (none supplied with collateral enabled)")
        both = sorted(set(colls) & set(debts))
        if both:
            raise ValueError(f"account '{acct}' holds '{both[0]}' both as collateral and as debt; a lab position "
                             "cannot")
        coll = {a: pool.supply_balance(a, acct) / 10**pool.assets[a].state.decimals for a in colls}
        debt = {a: pool.debt_balance(a, acct) / 10**pool.assets[a].state.decimals for a in debts}
        if len(colls) == 1 and len(debts) == 1:
            pairs.append((names.index(colls[0]), names.index(debts[0]), coll[colls[0]], debt[debts[0]], acct))
        else:
            accounts.append(([coll.get(n, 0.0) for n in names], [debt.get(n, 0.0) for n in names], acct))
    if not pairs and not accounts:
        raise ValueError("no account has debt after the scenario's steps")
    multi = None
    if accounts:
        c, d, n = zip(*accounts, strict=True)
        multi = MultiPositions(np.array(c, dtype=float), np.array(d, dtype=float), tuple(n))
    if not pairs:
        return Book.sorted([], [], [], [], (), multi)
    c, d, ct, dt, n = zip(*pairs, strict=True)
    return Book.sorted(c, d, ct, dt, n, multi)
