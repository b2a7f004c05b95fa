"""Lab paths in the exact engine: a book and one path's oracle prices become a ``Scenario``.

``exact_keeper`` opens the book in
``protocol_model.exact.lending.lending_pool.LendingPool`` (integer wei, the contracts' twin),
then per step posts the lab's oracle prices as ``price`` steps and lets a keeper liquidate, with
``amount: max``, every borrower whose exact HF is below 1. The recorded steps form a scenario that
``protocol_model.chain.replay.Replay`` plays on a chain unchanged. Without interest in the lab
(``CascadeParams.accrues`` false) the rate curves are zero. With it, each asset is listed with its rate curve and
reserve factor, the supplier deposits the lab's stated deposits (``sim.interest.deposits``), and the lab's steps
become ``step_seconds`` apart: each step warps the clock, then an ``accrue`` step (``LendingPool.accrueAll``) touches
every asset exactly ``step_seconds`` after the previous one, before the prices and liquidations — the lab's
per-step index growth ``index × (1 + rate × step_seconds)``. What remains different: the exact engine also accrues
during the one-second calls of the opening and of each step's liquidations (at the utilization of that moment), so
its indices lead the lab's by about rate × (those seconds), a relative ~1e-8 per second at 30 % a year.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.story import Scenario, parse_scenario
from protocol_model.sim.books import Book
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.interest import deposits
from protocol_model.world.keeper import decide
from protocol_model.world.model_world import Action, ModelWorld, resolve

START = 1_700_000_000
ZERO_RATES = {"base_bps": 0, "slope1_bps": 0, "slope2_bps": 0, "optimal_bps": 8000}


@dataclass(frozen=True)
class ExactRun:
    """One lab path replayed in the exact engine by :func:`exact_keeper`."""

    scenario: Scenario
    """opening + price steps + the keeper's liquidations, every step expected 'ok'"""
    events: list[tuple[int, int, int, int, int, int]]
    """(step, position, repaid units, seized units, fee units, bad-debt units)"""
    bad_debt_units: dict[str, int]
    """asset -> total written off (token units)"""
    legs: list[tuple[int, int]] = field(default_factory=list)
    """per event, its (collateral, debt) asset indices; a cross-collateral account written off has one event per
    other debt asset after its liquidation's (repaid, seized and fee 0)"""

    @property
    def liquidation_count(self) -> int:
        """Number of liquidate calls the keeper made."""
        return len(self.events)


def units(tokens: float, decimals: int) -> int:
    """Whole tokens (float) → integer token units at ``decimals``, rounded to nearest."""
    return int(round(tokens * 10**decimals))


def _dec(units_: int, decimals: int) -> str:
    return str(EXACT.scaleb(Decimal(units_), -decimals))


def _price(p: float) -> str:
    return _dec(int(round(p * 1e8)), 8)


def opening(params: CascadeParams, book: Book, prices0, names: list[str], supplier: str, keeper: str) -> dict:
    """The scenario (as data) that opens the book at ``prices0``: suppliers, collateral, borrows.

    ``prices0``: USD per whole token, one per asset (posted as 8-decimal feed answers); amounts become token
    units at each asset's decimals. Raises ``ValueError`` if an asset has nonzero ``reserves_tokens`` or
    there are fewer ``names`` than positions. With interest on (``params.accrues``) each asset carries its rate
    curve and reserve factor and the supplier deposits ``sim.interest.deposits`` (the keeper holds twice the debt).
    """
    if any(a.reserves_tokens for a in params.assets):
        raise ValueError("reserves_tokens: the exact engine starts with zero reserves; set them to 0")
    if len(names) < len(book):
        raise ValueError(f"{len(book)} positions but only {len(names)} account names")
    dec = [a.decimals for a in params.assets]
    assets = [{"name": a.name, "decimals": a.decimals, "price_usd": _price(prices0[k]), "ltv_bps": a.ltv_bps,
               "liquidation_threshold_bps": a.liquidation_threshold_bps,
               "liquidation_bonus_bps": a.liquidation_bonus_bps,
               "liquidation_protocol_fee_bps": a.liquidation_protocol_fee_bps, "rate": ZERO_RATES}
              for k, a in enumerate(params.assets)]
    if params.accrues:
        for spec, a in zip(assets, params.assets, strict=True):
            r = a.rate
            spec["rate"] = {"base_bps": r.base_bps, "slope1_bps": r.slope1_bps, "slope2_bps": r.slope2_bps,
                            "optimal_bps": r.optimal_bps}
            spec["reserve_factor_bps"] = r.reserve_factor_bps
    debt_total = [0] * len(dec)
    accounts, steps = [], []
    coll, debt = book.dense(len(dec))  # a pair position has one collateral and one debt; a cross-collateral more
    for i in range(len(book)):
        held = [(params.assets[k].name, _dec(units(coll[i, k], dec[k]), dec[k])) for k in np.flatnonzero(coll[i])]
        accounts.append({"name": names[i], "balances": dict(held)})
        steps += [{"op": "supply", "account": names[i], "asset": a, "amount": amt} for a, amt in held]
        for d in np.flatnonzero(debt[i]):
            du = units(debt[i, d], dec[d])
            debt_total[d] += du
            if du:
                steps.append({"op": "borrow", "account": names[i], "asset": params.assets[d].name,
                              "amount": _dec(du, dec[d])})
    liquidity = {params.assets[k].name: _dec(2 * u, dec[k]) for k, u in enumerate(debt_total) if u}
    deposited = liquidity
    if params.accrues:
        deposited = {params.assets[k].name: _dec(units(x, dec[k]), dec[k])
                     for k, x in enumerate(deposits(params, book)) if units(x, dec[k])}
    accounts += [{"name": supplier, "balances": deposited}, {"name": keeper, "balances": liquidity}]
    supply = [{"op": "supply", "account": supplier, "asset": a, "amount": amt} for a, amt in deposited.items()]
    return {"name": "lab-path", "description": "a risk-lab path replayed by a keeper",
            "pool": {"close_factor_bps": params.close_factor_bps, "full_close_hf_bps": params.full_close_hf_bps},
            "assets": assets, "accounts": accounts, "steps": supply + steps}


def exact_keeper(params: CascadeParams, book: Book, oracle_path: np.ndarray, *, names: list[str] | None = None,
                 supplier: str = "supplier", keeper: str = "keeper") -> ExactRun:
    """Play one lab path (``oracle_path``: (steps + 1, assets) oracle prices) in the exact engine.

    Each step posts the changed prices, then liquidates (``amount: max``) every borrower whose exact HF is
    below 1 WAD, as ``LendingPool.liquidate`` — unless the keepers' economics (``params.liquidators``) say
    no: the exact amounts at the path's oracle prices must give the minimum profit net of gas, and fit the
    step's capital in book order (the lab's rule; a refused liquidation is undone). Raises ``ValueError`` as
    :func:`opening` and ``AssertionError`` if the exact engine reverts a step (a lab book the pool would not accept).
    """
    names = names or [f"b{i}" for i in range(len(book))]
    data = opening(params, book, oracle_path[0], names, supplier, keeper)
    opened = parse_scenario(data, "lab opening")
    world = ModelWorld(opened, {a.name: START for a in params.assets})
    now = START
    steps = list(data["steps"])

    def play(action: Action, step: dict) -> None:
        nonlocal now
        now += 1
        outcome = world.apply(action, now)
        if outcome != "ok":
            raise AssertionError(f"exact engine: {step} -> {outcome}")

    for step, parsed in zip(steps, opened.steps, strict=True):
        play(resolve(parsed, opened), step)
    events, legs = [], []
    rules = params.liquidators
    economics = rules.filters_profit or rules.limited
    step_s = int(params.step_seconds)
    if params.accrues and step_s != params.step_seconds:
        raise ValueError(f"step_seconds: the exact replay needs whole seconds, got {params.step_seconds}")
    touched: int | None = None

    def accrue() -> None:  # the lab's step boundary: every index grows over exactly step_seconds
        nonlocal now, touched
        if touched is not None:  # step 0 follows the opening at once
            gap = touched + step_s - now - 1
            if gap < 0:
                raise ValueError(f"step_seconds {step_s} is shorter than one step's calls ({now - touched + 1})")
            if gap:
                steps.append({"op": "warp", "seconds": gap})
                now += gap
        steps.append({"op": "accrue", "account": keeper})
        play(Action("accrue", keeper), steps[-1])
        touched = now

    if params.accrues:
        accrue()  # step 0: the opening's interest is the replay's head start
    for t in range(1, len(oracle_path)):
        if params.accrues:
            accrue()
        for k, a in enumerate(params.assets):
            if _price(oracle_path[t][k]) != _price(oracle_path[t - 1][k]):
                steps.append({"op": "price", "asset": a.name, "price_usd": _price(oracle_path[t][k])})
                play(Action("price", asset=a.name, answer=usd_to_answer(steps[-1]["price_usd"])), steps[-1])
        capital, stopped = rules.capital_usd, False
        for i in range(len(book)):
            pool = world.pool
            if i < book.n_pairs:
                ci, di = int(book.coll_asset[i]), int(book.debt_asset[i])
                if pool.debt_balance(params.assets[di].name, names[i]) == 0:
                    continue
            if pool.health_factor(names[i]) >= WAD:
                continue
            if i >= book.n_pairs:  # cross-collateral: the project keeper's choice (largest debt, largest collateral)
                choice = decide(pool, keeper, names[i], now)
                if choice is None or choice.action is None:
                    continue
                ci, di = params.index(choice.action.collateral), params.index(choice.action.debt)
            c, d = params.assets[ci].name, params.assets[di].name
            before = copy.deepcopy(world) if economics else None
            coll_before, n_bad = pool.supply_balance(c, names[i]), len(pool.bad_debt_events)
            reserves_before = pool.assets[c].state.reserves
            debt_before = pool.debt_balance(d, names[i])
            step = {"op": "liquidate", "account": keeper, "borrower": names[i], "collateral": c, "debt": d,
                    "amount": "max"}
            play(Action("liquidate", keeper, amount=UINT256_MAX, borrower=names[i], collateral=c, debt=d), step)
            written = pool.bad_debt_events[n_bad:]  # every debt of an account left without collateral
            bad = sum(e.amount for e in written if e.asset == d)
            repaid = debt_before - pool.debt_balance(d, names[i]) - bad
            seized = coll_before - pool.supply_balance(c, names[i])
            fee = pool.assets[c].state.reserves - reserves_before
            if before is not None:  # the keeper's economics (config.Liquidators), as the lab applies them
                usd = repaid / 10**params.assets[di].decimals * oracle_path[t][di]
                got = (seized - fee) / 10**params.assets[ci].decimals * oracle_path[t][ci]
                take = got - usd - rules.gas_usd >= rules.min_profit_usd and not stopped
                if take and usd > capital:
                    stopped, take = True, False
                if not take:
                    world, now = before, now - 1  # undo: the keeper passes on this one
                    continue
                capital -= usd
            steps.append(step)
            events.append((t, i, repaid, seized, fee, bad))
            others = [(params.index(e.asset), e.amount) for e in written if e.asset != d]
            events += [(t, i, 0, 0, 0, amount) for _, amount in others]
            legs += [(ci, di)] + [(ci, k) for k, _ in others]
    pool = world.pool
    scenario = parse_scenario({**data, "steps": steps}, "lab path")
    bad_units = {a.name: pool.assets[a.name].state.bad_debt for a in params.assets}
    return ExactRun(scenario, events, bad_units, legs)
