"""Lab paths in the exact preset twins: the ``aave-v3`` and ``morpho-blue`` counterpart of ``sim.exact``.

:func:`preset_keeper` opens a lab book in the exact twin of the protocol's preset
(``protocol_model.exact.presets.aave_v3.pool.Pool`` or ``protocol_model.exact.presets.morpho_blue.morpho.Morpho``,
integer token units), then per step posts the lab's oracle prices and lets a keeper liquidate every borrower
the twin finds liquidatable, taking the most the protocol allows:

* Aave V3: ``liquidationCall(collateral, debt, user, type(uint256).max, false)`` when
  ``getUserAccountData(user).healthFactor`` < 1e18 and the user still has collateral (a user whose collateral is
  gone keeps its debt: 1.19.3 writes none off, and no liquidation can touch it);
* Morpho Blue: ``liquidate`` by repaying all the borrower's shares when the collateral covers what they seize,
  else by seizing all the collateral (the rest of the debt is then realised as bad debt), when ``_isHealthy`` is
  false. The oracle price is the lab's collateral price over the loan token's, at 1e36 scale.

Every call runs at one block time, so no interest accrues (the lab's preset runs have none either); caps, debt
ceilings and isolation are cleared on the Aave market (the lab does not model them), and no account is in an
eMode category. Each liquidation is recorded as (step, position, repaid units, seized units including the
protocol fee, protocol fee units, bad-debt units): the same tuple as ``sim.exact.ExactRun.events``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from protocol_model.exact.presets.aave_v3.wad_ray_math import WAD
from protocol_model.exact.presets.morpho_blue.market_params_lib import market_id
from protocol_model.scenario.protocol import ProtocolFile
from protocol_model.sim.books import Book
from protocol_model.sim.config import CascadeParams
from protocol_model.sim.exact import START, units
from protocol_model.world import aave_v3 as aave
from protocol_model.world.morpho_blue_world import MorphoAddresses, MorphoModelWorld, MorphoOp, setup_ops

Event = tuple[int, int, int, int, int, int]
"""(step, position, repaid units, seized units, fee units, bad-debt units)"""


@dataclass(frozen=True)
class PresetRun:
    """One lab path replayed in an exact preset twin by :func:`preset_keeper`."""

    events: list[Event]
    """every liquidation, in the order made"""
    bad_debt_units: dict[str, int]
    """asset -> debt left without collateral (Aave: still owed; Morpho: realised on the suppliers), token units"""
    market: Any = None
    """what the twin was built from, for a chain deployment: Aave's ``MarketParams`` (caps, debt ceilings and eMode
    cleared) or the ``MorphoBlueSpec``"""
    accounts: tuple[str, ...] = ()
    """the twin's account names: one per book position (``b0``, ...), then ``supplier`` and ``keeper``"""
    balances: dict[str, dict[str, int]] = field(default_factory=dict)
    """Aave: every account's starting token balances (token units); Morpho: empty (balances are set by calls)"""
    addresses: MorphoAddresses | None = None
    """Morpho: the twin's stand-in addresses (``MorphoAddresses.for_model``) its calls use"""
    calls: list[tuple[Any, str]] = field(default_factory=list)
    """every call made to the twin after it was built (Aave: ``AaveAction``; Morpho: ``MorphoOp`` after
    ``setup_ops``), in order, with its outcome (``ok`` or the error's name): what a chain replays"""


def _answer(price: float) -> int:
    """A lab oracle price (USD, already 8-decimal) as the integer feed answer."""
    return int(round(price * 1e8))


def _opening(params: CascadeParams, book: Book) -> tuple[list[tuple[int, int, int, int]], list[int]]:
    """Per position (collateral asset, debt asset, collateral units, debt units), and the total debt per asset."""
    dec = [a.decimals for a in params.assets]
    rows, debt = [], [0] * len(dec)
    for i in range(len(book)):
        c, d = int(book.coll_asset[i]), int(book.debt_asset[i])
        du = units(book.debt_tokens[i], dec[d])
        rows.append((c, d, units(book.coll_tokens[i], dec[c]), du))
        debt[d] += du
    return rows, debt


def preset_keeper(protocol: ProtocolFile, params: CascadeParams, book: Book, oracle_path: np.ndarray) -> PresetRun:
    """Play one lab path (``oracle_path``: (steps + 1, assets) oracle prices, USD) on ``protocol``'s exact preset
    twin with the keeper of the module docstring. ``params`` is the lab's (``rules`` must be the protocol's).
    Raises ValueError for a generic protocol, keeper economics (``params.liquidators``, not replayed here) or
    mismatched rules; AssertionError when the twin refuses the opening or a liquidation the keeper chose."""
    if protocol.rules != params.rules or protocol.rules == "generic":
        raise ValueError(f"rules: the protocol says {protocol.rules}, the lab {params.rules}; this replays presets "
                         f"(generic: sim.exact.exact_keeper)")
    if params.liquidators.filters_profit or params.liquidators.limited:
        raise ValueError("liquidators: the preset replay takes every liquidation (no keeper economics)")
    play = _aave if protocol.rules == "aave-v3" else _morpho
    return play(protocol, params, book, oracle_path)


def _aave(protocol: ProtocolFile, params: CascadeParams, book: Book, oracle_path: np.ndarray) -> PresetRun:
    assert protocol.aave_v3 is not None
    market = protocol.aave_v3.params()
    market = replace(market, reserves=tuple(replace(r, supply_cap=0, borrow_cap=0, debt_ceiling=0, emode_category=0)
                                            for r in market.reserves), emodes=())
    names = [a.name for a in params.assets]
    rows, debt_total = _opening(params, book)
    users = [f"b{i}" for i in range(len(book))]
    balances: dict[str, dict[str, int]] = {u: {names[c]: cu} for u, (c, _, cu, _) in zip(users, rows, strict=True)}
    balances["supplier"] = {names[k]: 2 * x for k, x in enumerate(debt_total) if x}
    balances["keeper"] = {names[k]: x for k, x in enumerate(debt_total) if x}
    pool = aave.new_model(market, balances).at(START)
    calls: list[tuple[Any, str]] = []

    def call(action: aave.AaveAction) -> None:
        outcome = aave.apply(pool, action, START)
        if outcome != aave.OK:
            raise AssertionError(f"Aave V3 twin: {action.describe()} -> {outcome}")
        calls.append((action, outcome))

    for k, a in enumerate(names):
        call(aave.AaveAction("price", asset=a, number=_answer(oracle_path[0][k])))
    for asset, amount in balances["supplier"].items():
        call(aave.AaveAction("supply", "supplier", asset, amount))
    for u, (c, d, cu, du) in zip(users, rows, strict=True):
        call(aave.AaveAction("supply", u, names[c], cu))
        if du:
            call(aave.AaveAction("borrow", u, names[d], du))
    events: list[Event] = []
    bad = dict.fromkeys(names, 0)
    for t in range(1, len(oracle_path)):
        for k, a in enumerate(names):
            if _answer(oracle_path[t][k]) != _answer(oracle_path[t - 1][k]):
                call(aave.AaveAction("price", asset=a, number=_answer(oracle_path[t][k])))
        for i, (u, (c, d, _, _)) in enumerate(zip(users, rows, strict=True)):
            cn, dn = names[c], names[d]
            coll, owed = pool.a_token_balance(cn, u), pool.variable_debt_balance(dn, u)
            if owed == 0 or coll == 0 or pool.get_user_account_data(u).health_factor >= WAD:
                continue
            fee_before = pool.a_token_balance(cn, aave.TREASURY)
            call(aave.AaveAction("liquidate", "keeper", cn, aave.MAX, other=u, asset2=dn))
            left_coll, left_debt = pool.a_token_balance(cn, u), pool.variable_debt_balance(dn, u)
            left = left_debt if left_coll == 0 else 0
            bad[dn] += left
            events.append((t, i, owed - left_debt, coll - left_coll, pool.a_token_balance(cn, aave.TREASURY)
                           - fee_before, left))
    return PresetRun(events, bad, market, (*users, "supplier", "keeper"), balances, None, calls)


def _morpho(protocol: ProtocolFile, params: CascadeParams, book: Book, oracle_path: np.ndarray) -> PresetRun:
    spec = protocol.morpho
    assert spec is not None
    names = [a.name for a in params.assets]
    dec = [a.decimals for a in params.assets]
    rows, debt_total = _opening(params, book)
    users = [f"b{i}" for i in range(len(book))]
    addr = MorphoAddresses.for_model(spec, [*users, "supplier", "keeper"])
    world = MorphoModelWorld.build(spec, addr)
    acct, owner = addr.accounts, addr.owner
    calls: list[tuple[Any, str]] = []

    def call(op: MorphoOp) -> str:
        outcome = world.apply(op, START)
        if outcome != "ok" and op.kind != "liquidate":
            raise AssertionError(f"Morpho Blue twin: {op.describe()} -> {outcome}")
        calls.append((op, outcome))
        return outcome

    def market_of(c: int, d: int) -> str:
        return next(n for n, m in spec.markets.items()
                    if m.loan_token == names[d] and m.collateral_token == names[c])

    pairs = sorted({(c, d) for c, d, _, _ in rows})
    markets = {pair: market_of(*pair) for pair in pairs}

    def post(t: int) -> None:  # collateral price in loan units per collateral unit, × 1e36 (floor)
        for (c, d), m in markets.items():
            pc, pd = _answer(oracle_path[t][c]), _answer(oracle_path[t][d])
            call(MorphoOp("set_price", owner, market=m, value=pc * 10 ** (36 + dec[d]) // (pd * 10 ** dec[c])))

    for op in setup_ops(spec, addr, None):
        call(op)
    calls.clear()  # the set-up is the deployment's own (``chain.morpho_blue.deploy``)
    post(0)
    for k, x in enumerate(debt_total):
        if x:
            token = addr.tokens[names[k]]
            call(MorphoOp("set_balance", owner, token=token, on_behalf=acct["supplier"], value=2 * x))
            call(MorphoOp("set_balance", owner, token=token, on_behalf=acct["keeper"], value=x))
            for (_c, d), m in markets.items():  # each market of this loan token gets the whole liquidity
                if d == k:
                    call(MorphoOp("supply", acct["supplier"], m, assets=x, on_behalf=acct["supplier"]))
    for u, (c, d, cu, du) in zip(users, rows, strict=True):
        m, who = markets[(c, d)], acct[u]
        call(MorphoOp("set_balance", owner, token=addr.tokens[names[c]], on_behalf=who, value=cu))
        call(MorphoOp("supply_collateral", who, m, assets=cu, on_behalf=who))
        if du:
            call(MorphoOp("borrow", who, m, assets=du, on_behalf=who, receiver=who))
    events: list[Event] = []
    bad = dict.fromkeys(names, 0)
    morpho = world.morpho
    mids = {m: market_id(world.params[m]) for m in markets.values()}
    for t in range(1, len(oracle_path)):
        if any(_answer(oracle_path[t][k]) != _answer(oracle_path[t - 1][k]) for k in range(len(names))):
            post(t)
        for i, (u, (c, d, _, _)) in enumerate(zip(users, rows, strict=True)):
            m, who = markets[(c, d)], acct[u]
            pos = morpho.position_of(mids[m], who)
            if pos.borrow_shares == 0 or morpho.is_healthy(world.params[m], who):
                continue
            coll, supply = pos.collateral, morpho.market_of(mids[m]).total_supply_assets
            paid = morpho.ledger.balance(addr.tokens[names[d]], acct["keeper"])
            by_shares = MorphoOp("liquidate", acct["keeper"], m, shares=pos.borrow_shares, on_behalf=who)
            if call(by_shares) != "ok":  # the shares would seize more than the collateral: seize all of it
                outcome = call(MorphoOp("liquidate", acct["keeper"], m, assets=coll, on_behalf=who))
                if outcome != "ok":
                    raise AssertionError(f"Morpho Blue twin: liquidating {u} -> {outcome}")
            # bad debt: at one block time (no interest) the only change to the supply assets
            left = supply - morpho.market_of(mids[m]).total_supply_assets
            bad[names[d]] += left
            repaid = paid - morpho.ledger.balance(addr.tokens[names[d]], acct["keeper"])
            events.append((t, i, repaid, coll - morpho.position_of(mids[m], who).collateral, 0, left))
    return PresetRun(events, bad, spec, (*users, "supplier", "keeper"), {}, addr, calls)
