"""Small worlds and random calls (many of them failing) for the V2 pair with its price feed, the perp engine and
the leveraged token."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, V2Pair, get_amount_in, get_amount_out
from protocol_model.exact.errors import PoolError
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.perp.params import MarketParams
from protocol_model.exact.perp.perp_engine import ENGINE, PerpEngine
from protocol_model.world.leveraged_world import DEFAULT_VAULTS, ModelLevWorld
from tests.exact.journal_checks import Op, World
from tests.exact.lending_twins import AMOUNTS, SECONDS, T0, pick

TRADERS = ("alice", "bob", "carol")

# ---------------------------------------------------------------- the pair and its TWAP feed


def pair_world() -> World:
    led = Ledger()
    pair = V2Pair("pair", "USDC", "WETH", led)
    for who in TRADERS:
        led.mint("USDC", who, 10**12)
        led.mint("WETH", who, 10**21)
        if who != "carol":
            led.approve("USDC", who, SWAPPER, UINT256_MAX)
            led.approve("WETH", who, SWAPPER, UINT256_MAX)
    pair.add_liquidity("alice", 2 * 10**11, 10**20, "alice", T0)
    feed = PairPriceFeed.deploy(pair, "WETH", 18, 6, True, 600, T0)
    return World([pair, led, feed], {"pair": pair, "feed": feed})


def _quote(fn: Any, amount: int, reserves: tuple[int, int]) -> int:
    try:
        return fn(amount, *reserves)
    except PoolError:  # AmmError, or MathOverflow (Panic(0x11)) for an amount whose quote passes uint256
        return 0


def pair_op(data: Any, w: World) -> Op:
    pair: V2Pair = w.twins["pair"]
    now = w.tick(data.draw(SECONDS, label="dt"))
    sender, to = pick(data, TRADERS, "sender"), pick(data, (*TRADERS, "USDC"), "to")
    token = pick(data, ("USDC", "WETH", "DAI"), "token in")
    amount = data.draw(AMOUNTS, label="amount")
    nudge = pick(data, (-1, 0, 1), "limit nudge")
    kind = pick(data, ("swap_exact_in", "swap_exact_out", "add_liquidity", "remove_liquidity", "swap", "mint", "burn",
                       "donate", "update"), "op")
    reserves = (pair.reserve0, pair.reserve1) if token == pair.token0 else (pair.reserve1, pair.reserve0)
    if kind == "swap_exact_in":
        min_out = max(_quote(get_amount_out, amount, reserves) + nudge, 0)
        return Op(kind, lambda: pair.swap_exact_in(sender, token, amount, min_out, to, now))
    if kind == "swap_exact_out":
        max_in = _quote(get_amount_in, amount, reserves) + nudge
        return Op(kind, lambda: pair.swap_exact_out(sender, token, amount, max_in, to, now))
    if kind == "add_liquidity":
        other = data.draw(AMOUNTS, label="amount1")
        return Op(kind, lambda: pair.add_liquidity(sender, amount, other, to, now))
    if kind == "remove_liquidity":
        return Op(kind, lambda: pair.remove_liquidity(sender, amount, to, now))
    if kind == "swap":
        out0, out1 = pick(data, ((0, 0), (amount, 0), (0, amount), (1, 1)), "outs")
        return Op(kind, lambda: pair.swap(out0, out1, to, now))
    if kind == "mint":
        return Op(kind, lambda: pair.mint(to, now))
    if kind == "burn":
        return Op(kind, lambda: pair.burn(to, now))
    if kind == "donate":
        return Op(kind, lambda: pair.ledger.transfer(token, sender, pair.address, amount), amount > 0)
    feed: PairPriceFeed = w.twins["feed"]
    return Op(kind, lambda: feed.update(now), False)


# ---------------------------------------------------------------- the perp engine

PERP_PARAMS = MarketParams(1_000, 500)
BAD_PARAMS = (MarketParams(500, 500), MarketParams(1_000, 500, trade_fee_bps=10_001), PERP_PARAMS,
              MarketParams(2_000, 1_000))


def perp_world() -> World:
    engine = PerpEngine("USDC", 6)
    engine.set_feed("ETH", Feed(2000 * 10**8))
    engine.list_market("ETH", PERP_PARAMS, T0)
    for who in TRADERS:
        engine.ledger.mint("USDC", who, 10**12)
        if who != "carol":
            engine.ledger.approve("USDC", who, ENGINE, UINT256_MAX)
    for who in ("alice", "bob"):
        engine.deposit(who, 10_000 * 10**6)
    engine.trade(0, "alice", "bob", 20 * WAD, 2000 * WAD, T0)
    return World([engine, engine.ledger], {"engine": engine})


def perp_op(data: Any, w: World) -> Op:
    e: PerpEngine = w.twins["engine"]
    now = w.tick(data.draw(SECONDS, label="dt"))
    account, other = pick(data, (*TRADERS, ""), "account"), pick(data, (*TRADERS, ""), "other")
    market = pick(data, (0, 1), "market")
    amount = pick(data, (0, 1, 10**6, 10**9, 10**12), "amount")
    size = pick(data, (0, WAD, -WAD, 10 * WAD, 100 * WAD), "size")
    price = pick(data, (0, 1900 * WAD, 2000 * WAD, 2100 * WAD), "price")
    kind = pick(data, ("deposit", "fund_insurance", "withdraw", "set_margin_mode", "transfer_margin", "trade",
                       "liquidate", "list_market", "set_market_params", "index"), "op")
    calls = {
        "deposit": lambda: e.deposit(account, amount),
        "fund_insurance": lambda: e.fund_insurance(account, amount),
        "withdraw": lambda: e.withdraw(account, amount, now),
        "transfer_margin": lambda: e.transfer_margin(account, market, size // 10, now),
        "trade": lambda: e.trade(market, account, other, size, price, now),
        "liquidate": lambda: e.liquidate(account, other, market, now),
    }
    if kind in calls:
        return Op(kind, calls[kind])
    if kind == "set_margin_mode":
        isolated = data.draw(st.booleans(), label="isolated")
        return Op(kind, lambda: e.set_margin_mode(account, market, isolated), False)
    params = pick(data, BAD_PARAMS, "params")
    if kind == "list_market":
        index = pick(data, ("ETH", "BTC"), "index")
        return Op(kind, lambda: e.list_market(index, params, now))
    if kind == "set_market_params":
        return Op(kind, lambda: e.set_market_params(market, params, now), False)
    answer = pick(data, (2000 * 10**8, 1500 * 10**8, 1000 * 10**8, 0), "ETH answer")
    return Op(kind, lambda: e.set_feed("ETH", Feed(answer, updated_at=now)), False)


# ---------------------------------------------------------------- the leveraged token (vault + pool + pair)


def leveraged_world() -> World:
    lw = ModelLevWorld.build({"lev2x": DEFAULT_VAULTS["lev2x"]})
    vault = lw.vaults["lev2x"]
    vault.deposit("alice", 10 * 10**18, "alice", lw.tick())
    pool = lw.mw.pool
    return World([vault, pool, pool.ledger, lw.pair], {"vault": vault, "lw": lw}, now=lw.now)


def leveraged_op(data: Any, w: World) -> Op:
    vault = w.twins["vault"]
    lw: ModelLevWorld = w.twins["lw"]
    now = w.tick(data.draw(SECONDS, label="dt"))
    sender, owner = pick(data, ("alice", "bob", "carol"), "sender"), pick(data, ("alice", "bob"), "owner")
    amount = pick(data, (0, 1, 10**15, 10**18, 5 * 10**18, 10**22), "amount")
    kind = pick(data, ("deposit", "mint", "redeem", "transfer", "rebalance", "ripcord", "accrue", "set_params",
                       "oracle"), "op")
    if kind == "deposit":
        return Op(kind, lambda: vault.deposit(sender, amount, sender, now))
    if kind == "mint":
        return Op(kind, lambda: vault.mint(sender, amount, sender, now))
    if kind == "redeem":
        min_assets = pick(data, (0, amount // 2, 10**30), "min assets")
        return Op(kind, lambda: vault.redeem(sender, amount, sender, owner, now, min_assets))
    if kind == "transfer":
        return Op(kind, lambda: vault.transfer(sender, owner, amount, now), False)  # 0 or to itself: no change
    if kind == "rebalance":
        return Op(kind, lambda: vault.rebalance(sender, now))
    if kind == "ripcord":
        return Op(kind, lambda: vault.ripcord(sender, now))
    if kind == "accrue":
        return Op(kind, lambda: vault.accrue(now), False)
    if kind == "set_params":
        change = pick(data, ({"max_slippage_bps": 1_001}, {"max_rounds": 0}, {"rebalance_fee_bps": 20},
                             {"max_slippage_bps": 1}), "params change")
        return Op(kind, lambda: vault.set_params(replace(vault.params, **change), now), False)
    answer = pick(data, (2000 * 10**8, 1700 * 10**8, 1400 * 10**8, 2400 * 10**8), "WETH answer")
    feed = lw.mw.pool.feeds["WETH"]
    return Op(kind, lambda: lw.mw.pool.set_feed("WETH", Feed(answer, feed.decimals, feed.round_id + 1, now)), False)
