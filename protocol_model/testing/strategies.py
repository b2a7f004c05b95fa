"""Hypothesis strategies for a protocol: pool operations (``Action`` values a ``ModelWorld`` applies) and
price paths (USD prices per step, and the ``price`` actions that push them to the feeds).

Needs ``hypothesis`` (``pip install hypothesis``); nothing here imports ape. Typical use::

    from hypothesis import given
    from protocol_model.testing import strategies as pst

    @given(ops=st.lists(pst.operations(protocol, accounts=["alice", "bob"]), max_size=30))
    def test_solvent(ops): ...

Amounts are drawn in whole tokens and fractions of a token, converted to token units at the asset's
decimals (``UINT256_MAX``, the contracts' "everything", is drawn for withdraw/repay/liquidate when
``allow_max``). Prices move by a bounded factor per step and never reach zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from hypothesis import strategies as st

from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.protocol import ProtocolFile
from protocol_model.world.action import Action

POOL_OPS = ("supply", "withdraw", "borrow", "repay", "liquidate")
"""The pool calls :func:`operations` draws (with ``price`` and ``warp`` when asked)."""


def token_amounts(decimals: int, max_tokens: int = 1_000_000, *, allow_max: bool = False) -> st.SearchStrategy[int]:
    """Token units: a whole part in ``[0, max_tokens]`` plus a fraction drawn at the token's precision (so
    the smallest unit and amounts with every digit set both come up), never 0; ``UINT256_MAX`` too when
    ``allow_max``."""
    unit = 10**decimals
    amounts = st.builds(lambda whole, frac: whole * unit + frac, st.integers(0, max_tokens),
                        st.integers(0, unit - 1)).filter(lambda v: v > 0)
    return st.one_of(amounts, st.just(UINT256_MAX)) if allow_max else amounts


def price_paths(start_usd: dict[str, Decimal | int | str], steps: int, *, max_move: float = 0.3,
                floor_usd: Decimal = Decimal("0.00000001")) -> st.SearchStrategy[list[dict[str, Decimal]]]:
    """Paths of ``steps`` price points: asset -> USD price, each step every asset moving by a factor in
    ``[1 - max_move, 1 + max_move]`` (drawn in basis points) from its previous price, never below
    ``floor_usd`` (8-decimal feeds cannot publish less). ``start_usd`` is each asset's price before the path.

    Raises ``ValueError`` for ``steps < 0`` or ``max_move`` outside ``[0, 1)``.
    """
    if steps < 0 or not 0 <= max_move < 1:
        raise ValueError(f"steps must be >= 0 and max_move in [0, 1), got {steps}, {max_move}")
    names = sorted(start_usd)
    bps = round(max_move * 10_000)
    moves = st.lists(st.lists(st.integers(10_000 - bps, 10_000 + bps), min_size=len(names), max_size=len(names)),
                     min_size=steps, max_size=steps)

    def walk(factors: list[list[int]]) -> list[dict[str, Decimal]]:
        price = {n: Decimal(str(start_usd[n])) for n in names}
        path = []
        for row in factors:
            price = {n: max(floor_usd, (price[n] * f / 10_000).quantize(floor_usd)) for n, f in zip(names, row,
                                                                                                   strict=True)}
            path.append(dict(price))
        return path

    return moves.map(walk)


def price_actions(point: dict[str, Decimal]) -> list[Action]:
    """One price point as the ``price`` actions that push it to every asset's feed (8-decimal answers)."""
    return [Action("price", asset=name, answer=usd_to_answer(str(usd))) for name, usd in sorted(point.items())]


def operations(protocol: ProtocolFile, accounts: Sequence[str], *, max_tokens: int = 1_000_000,
               prices: bool = True, warps: bool = True, max_move: float = 0.3) -> st.SearchStrategy[Action]:
    """One ``Action`` on ``protocol``'s pool by one of ``accounts``: supply, withdraw, borrow, repay (for
    oneself or another account), liquidate (any collateral/debt pair, another account as borrower when there
    is one); with ``prices`` a price move of one asset by at most ``max_move`` from its starting price, with
    ``warps`` a time jump of 1 s to a year. Amounts as :func:`token_amounts`.

    Raises ``ValueError`` when the protocol lists no assets or ``accounts`` is empty.
    """
    if not protocol.assets or not accounts:
        raise ValueError("operations need a protocol with assets and at least one account")
    assets = sorted(protocol.assets)
    who = st.sampled_from(list(accounts))

    def amount_for(asset: str, allow_max: bool) -> st.SearchStrategy[int]:
        return token_amounts(protocol.assets[asset].decimals, max_tokens, allow_max=allow_max)

    def pool_call(kind: str, asset: str) -> st.SearchStrategy[Action]:
        allow_max = kind in ("withdraw", "repay")
        if kind == "repay":
            return st.builds(lambda a, amount, b: Action(kind, a, asset, amount, b), who, amount_for(asset, True), who)
        return st.builds(lambda a, amount: Action(kind, a, asset, amount), who, amount_for(asset, allow_max))

    calls = st.tuples(st.sampled_from(POOL_OPS[:4]), st.sampled_from(assets)).flatmap(lambda ka: pool_call(*ka))
    liquidations = st.tuples(who, who, st.sampled_from(assets), st.sampled_from(assets)).flatmap(
        lambda t: amount_for(t[3], True).map(
            lambda amount: Action("liquidate", t[0], amount=amount, borrower=t[1], collateral=t[2], debt=t[3])))
    choices = [calls, liquidations]
    if prices:
        choices.append(st.sampled_from(assets).flatmap(lambda a: price_paths(
            {a: protocol.assets[a].price_usd}, 1, max_move=max_move).map(lambda path: price_actions(path[0])[0])))
    if warps:
        choices.append(st.integers(1, 365 * 86_400).map(lambda s: Action("warp", seconds=s)))
    return st.one_of(choices)
