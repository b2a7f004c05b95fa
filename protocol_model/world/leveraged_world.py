"""A leveraged-token world in the exact model alone: the WETH/USDC pool, a seeded Uniswap V2 pair and the
vaults on one ledger. ``protocol_model.chain.leveraged`` deploys the same world on chain; model-only tests,
seed examples and the analytics' exact cross-checks use this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import isqrt

from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, V2Pair
from protocol_model.exact.lending.lending_pool import LendingPool
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.exact.oracle.price_router import price_wad
from protocol_model.exact.strategies.leveraged_token import (
    DEFAULT_COOLDOWN_SECONDS,
    LeveragedToken,
    LeveragedTokenParams,
    management_fee_per_second_wad,
)
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.model_world import Action, ModelWorld

COLL, DEBT = "WETH", "USDC"
DEPOSITORS = ("alice", "bob")
KEEPER, LENDER, ARB, TREASURY = "carol", "dave", "erin", "frank"
ACTORS = (*DEPOSITORS, KEEPER, TREASURY)

SCENARIO = {
    "name": "leveraged-tokens",
    "description": "WETH/USDC pool for the 2x and 3x tokens; dave lends USDC, erin makes the pair and arbitrages it.",
    "kind": "story",
    "protocol": "generic",
    "assets": [DEBT, COLL],
    "overrides": {f"assets.{COLL}.liquidation_threshold": "85%"},
    "accounts": [
        {"name": "alice", "balances": {COLL: "1000"}},
        {"name": "bob", "balances": {COLL: "1000"}},
        {"name": KEEPER, "balances": {}},
        {"name": LENDER, "balances": {DEBT: "20000000"}},
        {"name": ARB, "balances": {COLL: "200000", DEBT: "400000000"}},
        {"name": TREASURY, "balances": {}},
    ],
}
PAIR_LIQUIDITY = {COLL: 50_000 * 10**18, DEBT: 100_000_000 * 10**6}
LENDER_SUPPLY = 20_000_000 * 10**6


def band(target: str, low: str, high: str, ripcord: str, **kw) -> LeveragedTokenParams:
    """Parameters from decimal leverages, e.g. ``band("2", "1.7", "2.3", "2.7")`` (Index Coop's FLI band).

    Leverages become WAD; ``kw`` overrides the defaults. Raises ``LeveragedTokenParams.validate``'s errors
    (``InvalidLeverageBand``, ``MaxSlippageTooHigh``, ``RebalanceFeeTooHigh``, ``ManagementFeeTooHigh``,
    ``InvalidMaxRounds``, ``CooldownTooLong``).
    """
    from decimal import Decimal

    from protocol_model.exact.decimal_context import EXACT

    wad = lambda x: int(EXACT.multiply(Decimal(x), WAD))  # noqa: E731
    defaults = dict(rebalance_interval_sec=86_400, max_slippage_bps=50, rebalance_fee_bps=10,
                    management_fee_per_second_wad=management_fee_per_second_wad(200),
                    ripcord_reward_assets=5 * 10**16, max_rounds=16, cooldown_seconds=DEFAULT_COOLDOWN_SECONDS)
    defaults.update(kw)
    return LeveragedTokenParams(wad(target), wad(low), wad(high), wad(ripcord), **defaults).validate()


DEFAULT_VAULTS = {"lev2x": band("2", "1.7", "2.3", "2.7"), "lev3x": band("3", "2.5", "3.5", "4")}




def arbitrage_trade(pool: LendingPool, pair: V2Pair) -> tuple[str, int] | None:
    """The swap (token in, amount) that brings the pair's WETH price to the oracle's (the 0.3% fee is
    ignored, so the pair ends within about 0.3% of the oracle); ``None`` if it is already there.

    Target reserves from the constant product: x' = √(k·P_debt/P_coll) in token units; the amount is in
    units of the token sold. Raises ``FeedNotSet`` / ``InvalidPrice`` for a missing or non-positive feed.
    """
    num = price_wad(COLL, pool.feeds[COLL]) * 10 ** pool.assets[DEBT].state.decimals
    den = price_wad(DEBT, pool.feeds[DEBT]) * 10 ** pool.assets[COLL].state.decimals
    r_coll, r_debt = pair.reserves(COLL)
    k = r_coll * r_debt
    coll_target = isqrt(k * den // num)
    if coll_target > r_coll:
        return COLL, (coll_target - r_coll) * 1000 // 997
    debt_target = isqrt(k * num // den)
    if debt_target > r_debt:
        return DEBT, (debt_target - r_debt) * 1000 // 997
    return None


@dataclass
class ModelLevWorld:
    """The model side alone; ``now`` is the clock every call uses (one second per call unless warped)."""

    mw: ModelWorld
    pair: V2Pair
    vaults: dict[str, LeveragedToken] = field(default_factory=dict)
    now: int = 1_700_000_000

    @classmethod
    def build(cls, vault_params: dict[str, LeveragedTokenParams] | None = None, start: int = 1_700_000_000,
              token0: str = DEBT) -> ModelLevWorld:
        """The world at ``start``: the pool of ``SCENARIO``, the pair (``token0`` first) seeded by ``ARB`` with
        ``PAIR_LIQUIDITY``, ``LENDER``'s USDC supply, then one vault per entry of ``vault_params`` (default
        ``DEFAULT_VAULTS``) approved by the depositors. One second per call.

        Raises the vaults' and pair's ``PoolError`` s, and ``AssertionError`` if the lender's supply reverts.
        """
        scenario = parse_scenario(SCENARIO, "leveraged-tokens")
        mw = ModelWorld(scenario, {a.name: start for a in scenario.assets})
        pair = V2Pair("pair", token0, COLL if token0 == DEBT else DEBT, mw.pool.ledger)
        w = cls(mw, pair, now=start)
        for name in (COLL, DEBT):
            mw.pool.ledger.approve(name, ARB, SWAPPER, UINT256_MAX)
        pair.add_liquidity(ARB, PAIR_LIQUIDITY[pair.token0], PAIR_LIQUIDITY[pair.token1], ARB, w.tick())
        assert mw.apply(Action("supply", LENDER, DEBT, LENDER_SUPPLY, LENDER), w.tick()) == "ok"
        for name, params in (vault_params or DEFAULT_VAULTS).items():
            w.vaults[name] = LeveragedToken(name, COLL, DEBT, mw.pool, pair, params, TREASURY, w.tick())
            for who in DEPOSITORS:
                mw.pool.ledger.approve(COLL, who, name, UINT256_MAX)
        return w

    def tick(self, seconds: int = 1) -> int:
        """Advance the clock by ``seconds`` and return the new block time."""
        self.now += seconds
        return self.now

    def set_price(self, price_wad_: int) -> None:
        """Move the WETH oracle and arbitrage the pair to it (two calls)."""
        pool = self.mw.pool
        feed = pool.feeds[COLL]
        answer = price_wad_ // 10 ** (18 - feed.decimals)
        pool.set_feed(COLL, feed.pushed(answer, self.tick()))
        trade = arbitrage_trade(pool, self.pair)
        if trade is not None:
            self.pair.swap_exact_in(ARB, trade[0], trade[1], 0, ARB, self.tick())

    def price_wad(self) -> int:
        """The WETH oracle price, WAD USD per whole WETH (``price_wad``).

        Raises ``FeedNotSet`` / ``InvalidPrice`` if the feed is missing or non-positive.
        """
        return price_wad(COLL, self.mw.pool.feeds[COLL])


__all__ = ["ModelLevWorld", "arbitrage_trade", "WAD"]
