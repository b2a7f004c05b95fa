"""AMM pairs and the Looper in a scenario's model world (the chain side is ``chain/amm_adapter.py``).

Each pair starts with the reserves the scenario gives, added by the deployer at the pair's creation time
(``listed_at[pair name]``, recorded by the chain adapter; the model alone uses the assets' time). Model
pairs keep the scenario's asset order; the snapshot is keyed by asset, so the chain's token0/token1 order
never matters (every pair formula is symmetric in the two tokens).
"""

from __future__ import annotations

from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, V2Pair
from protocol_model.exact.lending.lending_pool import LendingPool
from protocol_model.exact.math_lib import BPS, UINT256_MAX
from protocol_model.exact.strategies.looper import LOOPER, Looper
from protocol_model.scenario.amm import amm_users
from protocol_model.scenario.story import Scenario
from protocol_model.world.action import Action

DEPLOYER = "deployer"
"""Who adds each pair's initial reserves (and holds those LP units)."""


def resolve_amm(step, scenario: Scenario) -> Action:
    """A validated AMM or loop step -> Action (whole tokens -> units, leverage -> bps).

    Raises ``ValueError`` for an unknown step kind.
    """
    kind = step.op
    if kind == "swap":
        pair = scenario.pair(step.pair)
        other = pair.assets[1] if step.asset == pair.assets[0] else pair.assets[0]
        amount = UINT256_MAX if step.amount == "max" else scenario.asset(step.asset).units(step.amount)
        return Action(kind, step.account, step.asset, amount, pair=step.pair,
                      amount2=scenario.asset(other).units(step.min_out))
    if kind == "add_liquidity":
        a, b = scenario.pair(step.pair).assets
        return Action(kind, step.account, amount=scenario.asset(a).units(step.amounts[a]),
                      amount2=scenario.asset(b).units(step.amounts[b]), pair=step.pair)
    if kind == "authorize":
        return Action(kind, step.account, operator=step.operator, enabled=step.enabled)
    if kind == "loop_open":
        return Action(kind, step.account, amount=scenario.asset(step.collateral).units(step.equity),
                      collateral=step.collateral, debt=step.debt, mode=step.mode, rounds=step.rounds,
                      fraction_bps=step.borrow_fraction_bps, leverage_bps=int(step.leverage * BPS),
                      max_slippage_bps=step.max_slippage_bps)
    if kind == "loop_unwind":
        return Action(kind, step.account, collateral=step.collateral, debt=step.debt,
                      fraction_bps=step.fraction_bps, max_slippage_bps=step.max_slippage_bps)
    if kind == "price_from_pair":
        return Action(kind, asset=step.asset, pair=step.pair)
    raise ValueError(f"unknown AMM step kind {kind}")


def pair_price_answer(asset_reserve: int, other_reserve: int, asset_decimals: int, other_decimals: int,
                      other_answer: int) -> int:
    """Feed answer (8 decimals) for ``asset``: the pair's spot price in the other asset times that asset's
    own feed answer, rounded down. The same integer formula runs on chain data in the adapter:
    ``R_other·10^dec_asset·answer_other / (R_asset·10^dec_other)``. Raises ``ZeroDivisionError`` if
    ``asset_reserve`` is 0.
    """
    return other_reserve * 10**asset_decimals * other_answer // (asset_reserve * 10**other_decimals)


class AmmWorld:
    """The scenario's pairs on the pool's ledger, and the Looper twin.

    Raises the pairs' ``AmmError`` if a pair's initial reserves cannot be minted, and ``PairFeedError`` for
    an impossible pair price feed.
    """

    def __init__(self, scenario: Scenario, pool: LendingPool, listed_at: dict[str, int]):
        self.scenario, self.pool = scenario, pool
        ledger = pool.ledger
        default_t = max(listed_at[a.name] for a in scenario.assets)
        self.pairs: dict[str, V2Pair] = {}
        for spec in scenario.amm_pairs:
            a, b = spec.assets
            pair = V2Pair(spec.name, a, b, ledger)
            for asset in spec.assets:
                ledger.mint(asset, spec.name, scenario.asset(asset).units(spec.reserves[asset]))
            pair.mint(DEPLOYER, listed_at.get(spec.name, default_t))
            self.pairs[spec.name] = pair
        if scenario.pool.flash_loan_fee_bps:
            pool.set_flash_loan_fee(scenario.pool.flash_loan_fee_bps)
        self.pair_feeds = deploy_pair_feeds(scenario, self.pairs, listed_at, default_t)
        """asset -> PairPriceFeed (pair_feed.py) for pairs with a ``price_feed``; see refresh_pair_feeds."""
        pool.pair_feeds = self.pair_feeds  # the pool reads them live (a swap in the same transaction counts)
        self.looper = Looper(pool, {frozenset((p.token0, p.token1)): p for p in self.pairs.values()})
        for acct in amm_users(scenario):
            for listed in scenario.assets:
                ledger.approve(listed.name, acct, LOOPER, UINT256_MAX)
                ledger.approve(listed.name, acct, SWAPPER, UINT256_MAX)

    def apply(self, a: Action, now: int) -> None:
        """Run one AMM / loop action (raises the revert's PoolError).

        Swaps go through ``PairSwapper.swapExactIn``, loops through ``Looper`` (``openIterative``,
        ``openWithFlashLoan``, ``unwind``); ``price_from_pair`` sets the asset's feed to
        :func:`pair_price_answer`. Raises ``AmmError`` and the pool's and Looper's ``PoolError`` s, and
        ``ValueError`` for an unknown action kind.
        """
        pool = self.pool
        if a.kind == "swap":
            pair = self.pairs[a.pair]
            amount = pool.ledger.balance(a.asset, a.account) if a.amount == UINT256_MAX else a.amount
            pair.swap_exact_in(a.account, a.asset, amount, a.amount2, a.account, now)
        elif a.kind == "add_liquidity":
            self.pairs[a.pair].add_liquidity(a.account, a.amount, a.amount2, a.account, now)
        elif a.kind == "authorize":
            pool.set_authorization(a.account, LOOPER, a.enabled)
        elif a.kind == "loop_open" and a.mode == "iterative":
            self.looper.open_iterative(a.account, a.collateral, a.debt, a.amount, a.rounds, a.fraction_bps,
                                       a.max_slippage_bps, now)
        elif a.kind == "loop_open":
            self.looper.open_with_flash_loan(a.account, a.collateral, a.debt, a.amount, a.leverage_bps,
                                             a.max_slippage_bps, now)
        elif a.kind == "loop_unwind":
            self.looper.unwind(a.account, a.collateral, a.debt, a.fraction_bps, a.max_slippage_bps, now)
        elif a.kind == "price_from_pair":
            pair = self.pairs[a.pair]
            other = pair.token1 if a.asset == pair.token0 else pair.token0
            reserve_asset, reserve_other = pair.reserves(a.asset)
            answer = pair_price_answer(reserve_asset, reserve_other, pool.assets[a.asset].state.decimals,
                                       pool.assets[other].state.decimals, pool.feeds[other].answer)
            pool.set_feed(a.asset, pool.feeds[a.asset].pushed(answer, now))
        else:
            raise ValueError(f"unknown AMM action {a.kind}")

    def refresh_pair_feeds(self, now: int) -> None:
        """Set each pair-fed asset's feed to what its PairPriceFeed answers at ``now`` (the contract computes
        it at read time; the model reads it before each action and snapshot). A reverting read -> a reverting feed."""
        refresh_pair_feeds(self.pool, self.pair_feeds, now)

    def snapshot(self) -> dict:
        """``pairs`` and ``holdings`` tables of the Snapshot (see snapshot.PAIR_FIELDS; token and LP units)."""
        ledger = self.pool.ledger
        pairs = {}
        for name, p in self.pairs.items():
            pairs[name] = (p.reserve0, p.reserve1, p.block_timestamp_last, p.price0_cumulative_last,
                           p.price1_cumulative_last, p.total_supply, ledger.balance(p.token0, name),
                           ledger.balance(p.token1, name))
        holdings = {(a.name, LOOPER): (ledger.balance(a.name, LOOPER),) for a in self.scenario.assets}
        for name, p in self.pairs.items():
            for acct in self.scenario.accounts:
                holdings[(name, acct.name)] = (p.lp.get(acct.name, 0),)
        return {"pairs": pairs, "holdings": holdings}



def pair_feed_key(pair: str) -> str:
    """``listed_at`` key of a pair's PairPriceFeed deployment time."""
    return f"{pair}/feed"


def deploy_pair_feeds(scenario: Scenario, pairs: dict[str, V2Pair], listed_at: dict[str, int],
                      default_t: int) -> dict:
    """asset -> ``PairPriceFeed`` (the contract's constructor) for every pair with a ``price_feed``, deployed
    at ``listed_at[pair_feed_key(pair)]`` (default ``default_t``).

    Raises ``PairFeedError`` (``NotInPair``, ``InvalidWindow``, ``InvalidReferenceSpan``) as the constructor.
    """
    from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed

    feeds = {}
    for spec in scenario.amm_pairs:
        f = spec.price_feed
        if f is None:
            continue
        quote = spec.assets[1] if f.asset == spec.assets[0] else spec.assets[0]
        feeds[f.asset] = PairPriceFeed.deploy(pairs[spec.name], f.asset, scenario.asset(f.asset).decimals,
                                              scenario.asset(quote).decimals, f.mode == "twap", f.window_s,
                                              listed_at.get(pair_feed_key(spec.name), default_t),
                                              f.effective_reference_span_s)
    return feeds


def refresh_pair_feeds(pool: LendingPool, pair_feeds: dict, now: int) -> None:
    """Set each pair-fed asset's feed in ``pool`` to what its ``PairPriceFeed.latestRoundData`` answers at
    ``now`` (8 decimals, given the quote asset's feed); a read that would revert (a ``PairFeedError``, a
    ``Panic(0x11)`` of its arithmetic, or the quote feed reverting) becomes a reverting feed. Raises nothing of its
    own.
    """
    from protocol_model.exact.oracle.pair_price_feed import live_round

    for asset, feed in pair_feeds.items():
        pool.feeds[asset] = live_round(feed, pool.feeds[feed.quote], now)
