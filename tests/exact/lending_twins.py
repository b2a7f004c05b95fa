"""Small worlds and random calls (many of them failing) for the ledger, the lending pool and the looper."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from protocol_model.exact import errors
from protocol_model.exact.amm.uniswap_v2_pair import V2Pair
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.lending.params import AssetConfig, RateParams
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.strategies.looper import LOOPER, Looper
from tests.exact.journal_checks import Op, World

T0 = 1_700_000_000
ACCOUNTS = ("alice", "bob", "carol", "0x" + "0" * 40)
TOKENS = ("USDC", "WETH")
AMOUNTS = st.sampled_from([0, 1, 10**6, 10**9, 10**18, 10**21, 10**30, UINT256_MAX]) | st.integers(0, 10**22)
SECONDS = st.sampled_from([0, 1, 3_600, 86_400, 365 * 86_400])


def pick(data: Any, values: Any, label: str) -> Any:
    return data.draw(st.sampled_from(values), label=label)


# ---------------------------------------------------------------- the ledger alone


def ledger_world() -> World:
    led = Ledger()
    for token in TOKENS:
        led.mint(token, "alice", 10**21)
        led.mint(token, "bob", 10**6)
        led.approve(token, "alice", "bob", 10**20)
        led.approve(token, "bob", "carol", UINT256_MAX)
        led.approve(token, "alice", "carol", 10**30)  # above alice's balance: spent, then the transfer fails
    return World([led], {"ledger": led})


def ledger_op(data: Any, w: World) -> Op:
    led: Ledger = w.twins["ledger"]
    token, src, dst, spender = (pick(data, TOKENS, "token"), pick(data, ACCOUNTS, "src"), pick(data, ACCOUNTS, "dst"),
                                pick(data, ACCOUNTS, "spender"))
    amount = data.draw(AMOUNTS, label="amount")
    moves = amount > 0 and src != dst
    kind = pick(data, ("transfer", "transfer_from", "approve", "mint"), "op")
    if kind == "transfer":
        return Op(kind, lambda: led.transfer(token, src, dst, amount), moves)
    if kind == "transfer_from":
        return Op(kind, lambda: led.transfer_from(token, spender, src, dst, amount), False)
    if kind == "approve":
        return Op(kind, lambda: led.approve(token, src, spender, amount), False)
    return Op(kind, lambda: led.mint(token, dst, amount), amount > 0)


# ---------------------------------------------------------------- the lending pool

USDC_RATE = RateParams.from_annual_bps(0, 600, 6000, 9000)
WETH_RATE = RateParams.from_annual_bps(0, 270, 8000, 8000)
USDC_CONFIG = AssetConfig(8500, 8800, 400, 1000, 1000)
WETH_CONFIG = AssetConfig(8000, 8250, 500, 1000, 1500)
CONFIGS = (USDC_CONFIG, WETH_CONFIG, AssetConfig(9000, 8000, 500, 1000, 1000),
           AssetConfig(8000, 8250, 5000, 1000, 1000))
ANSWERS = (10**8, 2000 * 10**8, 1500 * 10**8, 50 * 10**8, 0, -1)


def lending_pool(now: int = T0) -> LendingPool:
    """USDC (6 decimals, $1) and WETH (18 decimals, $2,000); bob lends USDC, alice borrows it against WETH."""
    pool = LendingPool()
    pool.list_asset("USDC", USDC_RATE, USDC_CONFIG, 6, now)
    pool.list_asset("WETH", WETH_RATE, WETH_CONFIG, 18, now)
    pool.set_feed("USDC", Feed(10**8))
    pool.set_feed("WETH", Feed(2000 * 10**8))
    led = pool.ledger
    for who, usdc, weth in (("alice", 10**9, 100 * 10**18), ("bob", 10**12, 10**18), ("carol", 10**9, 10**18)):
        led.mint("USDC", who, usdc)
        led.mint("WETH", who, weth)
        if who != "carol":  # carol never approved the pool: her pulls fail
            led.approve("USDC", who, POOL, UINT256_MAX)
            led.approve("WETH", who, POOL, UINT256_MAX)
    pool.supply("bob", "USDC", 10**11, "bob", now)
    pool.supply("alice", "WETH", 50 * 10**18, "alice", now)
    pool.borrow("alice", "USDC", 40_000 * 10**6, now)
    pool.set_authorization("alice", "bob", True)
    return pool


def pool_world() -> World:
    pool = lending_pool()
    return World([pool, pool.ledger], {"pool": pool})


def flash_callback(pool: LendingPool, behaviour: str, steal: int) -> Any:
    """The receiver's ``onFlashLoan``: repays, returns False, repays nothing, or writes and then reverts."""

    def on_flash_loan(initiator: str, asset: str, amount: int, fee: int) -> bool:
        if behaviour == "repay":
            pool.ledger.approve(asset, initiator, POOL, amount + fee)
            return True
        if behaviour == "false":
            return False
        if behaviour == "revert":
            pool.ledger.transfer(asset, initiator, "carol", min(steal, amount))
            raise errors.SlippageExceeded(0, 1)
        return True  # no approval: the pool's pull reverts

    return on_flash_loan


POOL_OPS = ("supply", "withdraw", "borrow", "repay", "liquidate", "borrow_on_behalf", "withdraw_on_behalf",
            "flash_loan", "flash_loan", "flash_loan", "set_pause", "set_feed", "set_flash_loan_fee", "set_asset_config",
            "accrue_all")
"""Flash loans thrice as often: their callback failures need a listed asset, a liquid amount and no pause."""
PAUSES = ((False, False), (False, False), (True, False), (False, True), (True, True))


def pool_op(data: Any, w: World) -> Op:
    pool: LendingPool = w.twins["pool"]
    now = w.tick(data.draw(SECONDS, label="dt"))
    sender, other = pick(data, ACCOUNTS, "sender"), pick(data, ACCOUNTS, "other")
    asset, other_asset = pick(data, (*TOKENS, "DAI"), "asset"), pick(data, TOKENS, "other asset")
    amount = data.draw(AMOUNTS, label="amount")
    kind = pick(data, POOL_OPS, "op")
    calls = {
        "supply": lambda: pool.supply(sender, asset, amount, other, now),
        "withdraw": lambda: pool.withdraw(sender, asset, amount, other, now),
        "borrow": lambda: pool.borrow(sender, asset, amount, now),
        "repay": lambda: pool.repay(sender, asset, amount, other, now),
        "liquidate": lambda: pool.liquidate(sender, other, other_asset, asset, amount, now),
        "borrow_on_behalf": lambda: pool.borrow_on_behalf(sender, asset, amount, other, sender, now),
        "withdraw_on_behalf": lambda: pool.withdraw_on_behalf(sender, asset, amount, other, sender, now),
    }
    if kind in calls:
        return Op(kind, calls[kind])
    if kind == "flash_loan":
        receiver, token = pick(data, ("alice", "bob", ACCOUNTS[-1]), "receiver"), pick(data, TOKENS, "token")
        amount = pick(data, (0, 10**6, 10**9, 10**30), "flash amount")
        callback = flash_callback(pool, pick(data, ("repay", "false", "revert", "no approval"), "callback"), amount)
        return Op(kind, lambda: pool.flash_loan(receiver, receiver, token, amount, callback, now), False)
    if kind == "set_pause":
        flags = pick(data, PAUSES, "paused")
        return Op(kind, lambda: pool.set_pause(*flags), False)
    if kind == "set_feed":
        answer = pick(data, ANSWERS, "answer")
        return Op(kind, lambda: pool.set_feed(other_asset, Feed(answer, updated_at=now)), False)
    if kind == "set_flash_loan_fee":
        fee = pick(data, (0, 9, 1_000, 1_001), "fee")
        return Op(kind, lambda: pool.set_flash_loan_fee(fee), False)
    if kind == "set_asset_config":
        config = pick(data, CONFIGS, "config")
        return Op(kind, lambda: pool.set_asset_config(asset, config, now), False)
    return Op(kind, lambda: pool.accrue_all(now), False)


# ---------------------------------------------------------------- the looper (pool + pair + ledger)


def looper_world() -> World:
    pool = lending_pool()
    led = pool.ledger
    pair = V2Pair("pair", "USDC", "WETH", led)
    led.mint("WETH", "pair", 5_000 * 10**18)
    led.mint("USDC", "pair", 10_000_000 * 10**6)
    pair.mint("lp", T0)
    for who in ("alice", "bob"):
        led.approve("WETH", who, LOOPER, UINT256_MAX)
        led.approve("USDC", who, LOOPER, UINT256_MAX)
        pool.set_authorization(who, LOOPER, True)
    looper = Looper(pool, {frozenset(("WETH", "USDC")): pair})
    return World([looper, pool, led, pair], {"looper": looper, "pool": pool})


def looper_op(data: Any, w: World) -> Op:
    looper: Looper = w.twins["looper"]
    now = w.tick(data.draw(SECONDS, label="dt"))
    user = pick(data, ("alice", "bob", "carol"), "user")
    collateral, debt = pick(data, (("WETH", "USDC"), ("USDC", "WETH"), ("WETH", "WETH")), "assets")
    equity = pick(data, (0, 10**6, 10**18, 5 * 10**18, 10**24), "equity")
    slippage = pick(data, (0, 50, 300, 10_000, 10_001), "slippage bps")
    kind = pick(data, ("open_iterative", "open_with_flash_loan", "unwind", "oracle"), "op")
    if kind == "open_iterative":
        rounds = pick(data, (0, 1, 3, 21), "rounds")
        fraction = pick(data, (0, 5_000, 9_000, 10_000, 10_001), "fraction")
        return Op(kind, lambda: looper.open_iterative(user, collateral, debt, equity, rounds, fraction, slippage, now))
    if kind == "open_with_flash_loan":
        leverage = pick(data, (10_000, 15_000, 30_000, 1_000_001), "leverage bps")
        return Op(kind, lambda: looper.open_with_flash_loan(user, collateral, debt, equity, leverage, slippage, now))
    if kind == "unwind":
        fraction = pick(data, (0, 5_000, 10_000, 10_001), "fraction")
        return Op(kind, lambda: looper.unwind(user, collateral, debt, fraction, slippage, now))
    answer = pick(data, (2000 * 10**8, 1900 * 10**8, 2100 * 10**8), "WETH answer")
    return Op(kind, lambda: looper.pool.set_feed("WETH", Feed(answer, updated_at=now)), False)
