"""Positions imported from a scenario file: the scenario is played in the exact model and every
indebted account becomes a lab position (one collateral asset, one debt asset)."""

from __future__ import annotations

from protocol_model.scenario.story import load_scenario
from protocol_model.sim.books import Book
from protocol_model.sim.config import CascadeParams
from protocol_model.world.model_world import run_model


def book_from_scenario(path: str, params: CascadeParams) -> Book:
    """Play the scenario file at ``path`` in the exact model (``run_model``) and return its indebted accounts
    as a lab :class:`Book` (whole tokens, floats; names = account names).

    Raises ``ValueError`` if an account has more than one collateral or debt asset, uses an asset the
    simulation (``params.assets``) does not list, or no account has debt; the scenario loader's errors
    (``ScenarioError``) for a bad file.
    """
    scenario = load_scenario(path)
    world, _ = run_model(scenario)
    pool = world.pool
    names = [a.name for a in params.assets]
    rows = []
    for acct in sorted(pool.accounts()):
        colls = [a for a in world.asset_names
                 if pool.assets[a].config.collateral_enabled and pool.supply_balance(a, acct) > 0]
        debts = [a for a in world.asset_names if pool.debt_balance(a, acct) > 0]
        if not debts:
            continue
        if len(colls) != 1 or len(debts) != 1:
            raise ValueError(f"account '{acct}' has {len(colls)} collateral and {len(debts)} debt assets; "
                             "a lab position holds exactly one of each")
        for a in (colls[0], debts[0]):
            if a not in names:
                raise ValueError(f"account '{acct}' uses asset '{a}', which the simulation does not list")
        dc, dd = pool.assets[colls[0]].state.decimals, pool.assets[debts[0]].state.decimals
        rows.append((names.index(colls[0]), names.index(debts[0]), pool.supply_balance(colls[0], acct) / 10**dc,
                     pool.debt_balance(debts[0], acct) / 10**dd, acct))
    if not rows:
        raise ValueError("no account has debt after the scenario's steps")
    c, d, ct, dt, n = zip(*rows, strict=True)
    return Book.sorted(c, d, ct, dt, n)
