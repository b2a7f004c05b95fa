"""The lending fuzzers' rules: each draws its parameters from a small space and turns them, with the model's
current state, into the actions both twins then run.

One table (``RULES``) serves two drivers: the hypothesis state machine of tests/crosscheck/test_differential_fuzz.py
(each parameter space becomes a hypothesis strategy, ``Param`` values below) and the seeded campaign of
``chain/fuzz_campaign.py`` (``draw`` samples the same spaces with a ``random.Random``). Amounts come from the
model's state where the rule needs them (percent of a balance, a debt or the borrow headroom), so most calls
reach the pool's deeper checks instead of reverting at the first one.

The rules cover supplies (own and for another account), borrows and withdrawals (own and on behalf, after
granting or revoking the operator), turning a supply's use as collateral on and off, repays, liquidations, price
moves, oracle failures (zero and negative answers, stale, future, incomplete and out-of-band rounds, breaker trips,
huge answers), warps, pauses, donations (plain token transfers to the pool) and the empty-market pattern (a dust
supply, a donation and a borrow of most of the cash, then time: debt beyond the supply, the suppliers' cap's case of
P-POOL-06).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from protocol_model.exact.errors import PoolError
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.oracle.oracle_policy import DEFAULT_MAX_AGE_S
from protocol_model.exact.oracle.price_router import price_wad
from protocol_model.world.action import Action
from protocol_model.world.lending_properties import clone


@dataclass(frozen=True)
class Ints:
    """An integer in ``[lo, hi]`` (both included)."""

    lo: int
    hi: int


@dataclass(frozen=True)
class Pick:
    """One of ``values``."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class OneOf:
    """A value of one of ``options`` (each option equally likely in ``draw``)."""

    options: tuple[Ints | Pick, ...]


@dataclass(frozen=True)
class Name:
    """An account name (``what='account'``) or an asset name (``what='asset'``) of the scenario."""

    what: str


Param = Ints | Pick | OneOf | Name
"""A parameter's space."""

ACCOUNT, ASSET = Name("account"), Name("asset")
BOOL = Pick((False, True))
PERCENT = OneOf((Ints(1, 100), Ints(95, 105), Pick((100,))))
SECONDS = OneOf((Ints(1, 3600), Ints(3600, 365 * 86_400)))


def draw(param: Param, rng: random.Random, accounts: list[str], assets: list[str]) -> Any:
    """One value of ``param``'s space from ``rng`` (names from ``accounts`` / ``assets``)."""
    if isinstance(param, Ints):
        return rng.randint(param.lo, param.hi)
    if isinstance(param, Pick):
        return rng.choice(param.values)
    if isinstance(param, OneOf):
        return draw(rng.choice(param.options), rng, accounts, assets)
    return rng.choice(accounts if param.what == "account" else assets)


# ------------------------------------------------------------------ amounts from the model's state

def _decimals(model: Any, asset: str) -> int:
    return model.pool.assets[asset].state.decimals


def _listed_answer(model: Any, asset: str) -> int:
    return model.scenario.asset(asset).answer()


def _answer_or_listed(model: Any, asset: str) -> int:
    answer = model.pool.feeds[asset].answer
    return answer if answer > 0 else _listed_answer(model, asset)


def units_worth(model: Any, account: str, asset: str, percent: int) -> int:
    """``percent``% of ``account``'s borrow headroom (capacity − debt, USD) in ``asset`` units, at least 1 (also
    when a price cannot be read)."""
    pool = model.pool
    try:
        v = pool.account_values(account)
        price = price_wad(asset, pool.feeds[asset])
    except Exception:
        return 1
    headroom = max(v.borrow_capacity_wad - v.debt_wad, 0)
    return max(headroom * percent // 100 * 10 ** _decimals(model, asset) // price, 1)


def _share(balance: int, percent: int, everything: bool) -> int:
    return UINT256_MAX if everything else max(balance * percent // 100, 1)


def policy_asset(model: Any) -> str:
    """The first asset read through an oracle policy of its own (the fuzz protocol's WBTC)."""
    return next(a.name for a in model.scenario.assets if a.oracle is not None)


# ------------------------------------------------------------------ rules: model + parameters -> actions

def supply(model: Any, account: str, asset: str, whole: int, frac: int) -> list[Action]:
    """``account`` supplies about ``whole`` USD of ``asset`` (plus ``frac`` units) for itself."""
    return [Action("supply", account, asset, _usd_units(model, asset, whole, frac), on_behalf=account)]


def supply_for_another(model: Any, payer: str, account: str, asset: str, whole: int) -> list[Action]:
    """A third party supplies ``whole``/100 tokens on ``account``'s behalf (from 1 unit): credited, never made
    collateral for it (P-POOL-08)."""
    return [Action("supply", payer, asset, max(whole * 10 ** _decimals(model, asset) // 100, 1), on_behalf=account)]


def borrow(model: Any, account: str, asset: str, percent: int) -> list[Action]:
    """``account`` borrows ``percent``% of its headroom in ``asset``."""
    return [Action("borrow", account, asset, units_worth(model, account, asset, percent))]


def borrow_within(model: Any, account: str, asset: str, percent: int) -> list[Action]:
    """``account`` borrows ``percent``% of the smaller of its headroom and what the pool can lend of ``asset``
    (``lendable``: cash less reserves), so the borrow usually passes and the sequence carries debt."""
    cash = model.pool.lendable(asset)
    amount = min(units_worth(model, account, asset, percent), max(cash * percent // 100, 1))
    return [Action("borrow", account, asset, amount)]


def withdraw(model: Any, account: str, asset: str, percent: int, everything: bool) -> list[Action]:
    """``account`` withdraws ``percent``% of its supply of ``asset``, or ``max``."""
    return [Action("withdraw", account, asset, _share(model.pool.supply_balance(asset, account), percent, everything))]


def act_on_behalf(model: Any, caller: str, account: str, asset: str, percent: int, borrow: bool, everything: bool,
                  grant: bool | None) -> list[Action]:
    """borrowOnBehalf / withdrawOnBehalf by ``caller`` for ``account``, after ``account`` granted (True) or revoked
    (False) ``caller``'s authorization, or neither (None); an unauthorized call is Unauthorized (P-POOL-09)."""
    out = [] if grant is None else [Action("delegate", account, operator=caller, enabled=grant)]
    if borrow:
        amount = units_worth(model, account, asset, percent)
    else:
        amount = _share(model.pool.supply_balance(asset, account), percent, everything)
    return out + [Action("borrow" if borrow else "withdraw", caller, asset, amount, on_behalf=account)]


def use_as_collateral(model: Any, account: str, asset: str, enabled: bool) -> list[Action]:
    """``account`` turns its ``asset`` supply's use as collateral on (NoSupplyBalance without a supply, P-POOL-20)
    or off (with debt: HealthFactorTooLow unless it stays at HF >= 1, P-POOL-17)."""
    return [Action("use_as_collateral", account, asset, enabled=enabled)]


def repay(model: Any, payer: str, account: str, asset: str, percent: int, everything: bool) -> list[Action]:
    """``payer`` repays ``percent``% of ``account``'s debt in ``asset``, or ``max``."""
    amount = _share(model.pool.debt_balance(asset, account), percent, everything)
    return [Action("repay", payer, asset, amount, on_behalf=account)]


def liquidate(model: Any, liquidator: str, borrower: str, collateral: str, debt: str, percent: int,
              everything: bool) -> list[Action]:
    """``liquidator`` repays ``percent``% of ``borrower``'s ``debt`` (or ``max``) and seizes ``collateral``."""
    amount = _share(model.pool.debt_balance(debt, borrower), percent, everything)
    return [Action("liquidate", liquidator, amount=amount, borrower=borrower, collateral=collateral, debt=debt)]


def move_price(model: Any, asset: str, factor_pct: int) -> list[Action]:
    """``asset``'s price moves to ``factor_pct``% (from the listed price after a failed answer)."""
    return [Action("price", asset=asset, answer=max(_answer_or_listed(model, asset) * factor_pct // 100, 1))]


def oracle_failure(model: Any, asset: str, answer: int) -> list[Action]:
    """A zero or negative answer: every operation that needs this price must revert InvalidPrice."""
    return [Action("price", asset=asset, answer=answer)]


def wbtc_stale_round(model: Any, age: int, factor_pct: int) -> list[Action]:
    """A round of the policy asset published ``age`` seconds ago: older than its maximum age is StalePrice."""
    asset = policy_asset(model)
    answer = max(model.pool.feeds[asset].answer, 1) * factor_pct // 100
    return [Action("feed", asset=asset, source="primary", answer=answer, seconds=age)]


def wbtc_jump(model: Any, jump_pct: int) -> list[Action]:
    """The policy asset moves ``jump_pct``% in one round: beyond its breaker's bound it is PriceJump."""
    asset = policy_asset(model)
    return [Action("price", asset=asset, answer=max(_answer_or_listed(model, asset) * (100 + jump_pct) // 100, 1))]


def round_fields(model: Any, asset: str, factor_pct: int, updated_age: int, started_lead: int, zero: bool,
                 lag: int) -> list[Action]:
    """A round with every field chosen: zero, future, incomplete or older than the (default) maximum age is
    rejected by name under every policy, on both twins alike."""
    answer = max(model.pool.feeds[asset].answer, 1) * factor_pct // 100
    return [Action("feed_round", asset=asset, source="primary", answer=answer, seconds=updated_age,
                   amount=started_lead, rounds=lag, flag=zero)]


def huge_answer(model: Any, asset: str, answer: int) -> list[Action]:
    """An answer at or above the largest price: PriceOverflow, never a panic; a borrow then reads it, and the
    answer is restored so the rest of the sequence keeps a usable price."""
    before = model.pool.feeds[asset].answer
    return [Action("price", asset=asset, answer=answer), Action("borrow", model.account_names[0], asset, 1),
            Action("price", asset=asset, answer=before)]


def _usd_units(model: Any, asset: str, whole: int, frac: int) -> int:
    """About ``whole`` USD of ``asset`` at its listed price, plus ``frac`` units (at least 1 unit)."""
    price_usd = max(_listed_answer(model, asset) // 10**8, 1)
    return max(whole * 10 ** _decimals(model, asset) // price_usd + frac, 1)


def donate(model: Any, account: str, asset: str, whole: int, frac: int) -> list[Action]:
    """``account`` transfers about ``whole`` USD of ``asset`` (plus ``frac`` units) to the pool with a plain token
    transfer: cash no supplier claims, lendable all the same (docs/SPEC.md §3.3, the suppliers' cap)."""
    return [Action("donate", account, asset, _usd_units(model, asset, whole, frac))]


def empty_market(model: Any, supplier: str, donor: str, borrower: str, asset: str, collateral: str, tiny: int,
                 whole: int, percent: int, seconds: int) -> list[Action]:
    """The empty-market (inflation) attack. A fresh round of every feed at its answer (the listed one after a failed
    answer: a stale or broken price rarely stops the pattern); ``supplier`` supplies ``tiny`` units of ``asset``;
    ``donor`` donates about ``whole`` USD of it; ``borrower`` pledges three times the loan's value in ``collateral``
    (the next asset when it is ``asset``) and borrows all the pool can then lend but (100 − ``percent``)% of the
    donation; then ``seconds`` pass. When the borrow passes, the debt exceeds the supply by about ``percent``% of the
    donation (the cash left is less than what was donated), so the accrual that follows is the suppliers' cap's case
    (P-POOL-06 checked with D > S)."""
    if collateral == asset:
        names = model.asset_names
        collateral = names[(names.index(asset) + 1) % len(names)]
    beats = [Action("price", asset=a, answer=_answer_or_listed(model, a)) for a in model.asset_names]
    donated = _usd_units(model, asset, whole, 0)
    pool, at = clone(model.pool), model.view_now + len(beats)
    with suppress(PoolError):  # the cash and reserves as the borrow will see them (a reverted step changes nothing)
        pool.supply(supplier, asset, tiny, supplier, at + 1)
    with suppress(PoolError):
        pool.ledger.transfer(asset, donor, POOL, donated)
    pool._accrue_all(at + 4)
    amount = max(pool.lendable(asset) - donated * (100 - percent) // 100, 1)
    usd8 = amount * _answer_or_listed(model, asset) // 10 ** _decimals(model, asset)
    pledged = 3 * usd8 * 10 ** _decimals(model, collateral) // _answer_or_listed(model, collateral) + 1
    return beats + [Action("supply", supplier, asset, tiny, on_behalf=supplier),
                    Action("donate", donor, asset, donated),
                    Action("supply", borrower, collateral, pledged, on_behalf=borrower),
                    Action("borrow", borrower, asset, amount)] + warp(model, seconds)


def warp(model: Any, seconds: int) -> list[Action]:
    """Time passes; assets without an oracle policy of their own keep their heartbeat (a new round at the same
    answer), so only policy assets go stale by waiting."""
    beats = [Action("price", asset=a.name, answer=model.pool.feeds[a.name].answer)
             for a in model.scenario.assets if a.oracle is None]
    return [Action("warp", seconds=seconds)] + beats


def pause(model: Any, supply_paused: bool, borrow_paused: bool) -> list[Action]:
    """The guardian sets the supply and borrow pauses."""
    return [Action("pause", supply_paused=supply_paused, borrow_paused=borrow_paused)]


@dataclass(frozen=True)
class Rule:
    """A rule: its parameters' spaces (in the builder's argument order) and the builder
    ``build(model, **params) -> list[Action]``."""

    params: dict[str, Param]
    build: Callable[..., list[Action]]


RULES: dict[str, Rule] = {
    "supply": Rule({"account": ACCOUNT, "asset": ASSET, "whole": Ints(1, 100_000), "frac": Ints(0, 999)}, supply),
    "supply_for_another": Rule({"payer": ACCOUNT, "account": ACCOUNT, "asset": ASSET, "whole": Ints(0, 100)},
                               supply_for_another),
    "borrow": Rule({"account": ACCOUNT, "asset": ASSET, "percent": PERCENT}, borrow),
    "borrow_within": Rule({"account": ACCOUNT, "asset": ASSET, "percent": PERCENT}, borrow_within),
    "withdraw": Rule({"account": ACCOUNT, "asset": ASSET, "percent": PERCENT, "everything": BOOL}, withdraw),
    "act_on_behalf": Rule({"caller": ACCOUNT, "account": ACCOUNT, "asset": ASSET, "percent": PERCENT,
                           "borrow": BOOL, "everything": BOOL, "grant": Pick((None, True, False))}, act_on_behalf),
    "use_as_collateral": Rule({"account": ACCOUNT, "asset": ASSET, "enabled": BOOL}, use_as_collateral),
    "repay": Rule({"payer": ACCOUNT, "account": ACCOUNT, "asset": ASSET, "percent": PERCENT, "everything": BOOL},
                  repay),
    "liquidate": Rule({"liquidator": ACCOUNT, "borrower": ACCOUNT, "collateral": ASSET, "debt": ASSET,
                       "percent": PERCENT, "everything": BOOL}, liquidate),
    "move_price": Rule({"asset": ASSET, "factor_pct": OneOf((Ints(30, 150), Ints(85, 100)))}, move_price),
    "oracle_failure": Rule({"asset": ASSET, "answer": Pick((0, -1))}, oracle_failure),
    "wbtc_stale_round": Rule({"age": OneOf((Ints(0, 3 * 86_400), Ints(3 * 86_400 + 1, 30 * 86_400))),
                              "factor_pct": Ints(50, 200)}, wbtc_stale_round),
    "wbtc_jump": Rule({"jump_pct": OneOf((Ints(-60, 60), Pick((-31, -30, -29, 29, 30, 31))))}, wbtc_jump),
    "round_fields": Rule({"asset": ASSET, "factor_pct": Ints(50, 200),
                          "updated_age": OneOf((Ints(-86_400, 40 * 86_400),
                                                Pick((-1, 0, DEFAULT_MAX_AGE_S, DEFAULT_MAX_AGE_S + 1)))),
                          "started_lead": Ints(0, 86_400), "zero": BOOL, "lag": Pick((0, 0, 1, 2))}, round_fields),
    "huge_answer": Rule({"asset": ASSET, "answer": Pick((2**255 - 1, 10**36 // 10**10 + 1, 10**36 // 10**10))},
                        huge_answer),
    "donate": Rule({"account": ACCOUNT, "asset": ASSET, "whole": Ints(1, 10_000), "frac": Ints(0, 999)}, donate),
    "empty_market": Rule({"supplier": ACCOUNT, "donor": ACCOUNT, "borrower": ACCOUNT, "asset": ASSET,
                          "collateral": ASSET, "tiny": Ints(1, 1000), "whole": Ints(1, 10_000),
                          "percent": Ints(90, 100), "seconds": SECONDS}, empty_market),
    "warp": Rule({"seconds": SECONDS}, warp),
    "pause": Rule({"supply_paused": BOOL, "borrow_paused": BOOL}, pause),
}
"""Every lending rule by name."""


WEIGHTS: dict[str, int] = {"supply": 8, "supply_for_another": 2, "borrow": 3, "borrow_within": 8, "withdraw": 3,
                           "act_on_behalf": 4, "use_as_collateral": 2, "repay": 4, "liquidate": 5, "move_price": 4,
                           "warp": 3, "empty_market": 3}
"""How often ``draw_rule`` picks each rule (others: 1): positions are opened far more often than the oracle is
broken or the pool paused, so most sequences carry debt through interest, price moves and liquidations."""


def draw_rule(model: Any, rng: random.Random, name: str | None = None, **fixed: Any) -> tuple[str, list[Action]]:
    """A rule (``name``, else one chosen by ``WEIGHTS``), its parameters drawn from ``rng`` (except ``fixed``
    ones) and its actions built on ``model``'s state."""
    names = list(RULES)
    name = name or rng.choices(names, weights=[WEIGHTS.get(n, 1) for n in names])[0]
    rule = RULES[name]
    kwargs = {k: draw(p, rng, model.account_names, model.asset_names) for k, p in rule.params.items()}
    return name, rule.build(model, **{**kwargs, **fixed})

