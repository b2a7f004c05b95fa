"""``LendingPool.flashLoan`` under attack, on both twins in process (review-flash, P-FLASH-01..05).

Each flash loan is one transaction of ``FlashScriptReceiver`` on the in-process chain and one ``flash_loan`` call of
the twin with the same script as its callback; outcomes (or error names) and every field (pool, positions,
accounts, the receiver's balances) agree to the wei after each. What is checked:

- the fee is ⌈amount · bps / 10,000⌉ (the protocol's favour) and lands in reserves, for 0-, 6-, 18- and 24-decimal
  tokens, from 1 unit to the pool's whole cash (reserves' cash included, SPEC §3.5); one unit more is
  ``InsufficientLiquidity``;
- a receiver that approves one unit less, returns the wrong value, reverts, nests a flash loan, or tries to pass
  off a donation or a supply as repayment is reverted by name; one that approves or donates more pays exactly
  amount + fee and reserves take exactly the fee (a donation is cash, never reserves);
- re-entries the specification allows (SPEC §8: supply, withdraw, borrow, repay, liquidate from the callback, each
  under the pool's own lock) agree on both twins, and inside the callback the lendable cash is the cash left
  minus reserves that already hold the unpaid fee;
- zero amount, unlisted asset, borrow pause: refused by name (a supply pause does not stop a flash loan);
- a flash loan started while the pool's lock is held (a token's transfer hook inside ``supply``) is refused with
  ``ReentrancyGuardReentrantCall`` (chain only: the twin has no token hooks).
"""

from __future__ import annotations

import pytest

from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.exact.math_lib import BPS, UINT256_MAX
from protocol_model.world.action import Action
from tests.chain.flash_rig import RECV, FlashRig
from tests.crosscheck.test_pool_faults import USDC, WETH, ZERO_RATE, play

ONE = {"price_usd": "1", "ltv_bps": 8000, "liquidation_threshold_bps": 8500, "liquidation_bonus_bps": 500,
       "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000, "rate": ZERO_RATE}
Z0, Y24 = {"name": "Z0", "decimals": 0, **ONE}, {"name": "Y24", "decimals": 24, **ONE}
"""A 0-decimal and a 24-decimal (``MAX_DECIMALS``) token at $1 per whole token."""
WHOLE = 1_000_000
SCENARIO = {
    "name": "flash-review",
    "assets": [USDC, WETH, Z0, Y24],
    "accounts": [{"name": "bob", "balances": {a: str(WHOLE) for a in ("USDC", "WETH", "Z0", "Y24")}},
                 {"name": "alice", "balances": {"WETH": "10"}}],
}
DECIMALS = {"Z0": 0, "USDC": 6, "WETH": 18, "Y24": 24}


def ceil_fee(amount: int, fee_bps: int) -> int:
    """The fee the protocol is owed: amount · bps / 10,000 rounded up (derived here, not by the twin)."""
    return -(-amount * fee_bps // BPS)


def started(start) -> FlashRig:
    """``SCENARIO`` deployed by ``start`` (the ``replay_in_process`` fixture): bob has supplied 1,000,000 whole tokens
    of each asset; the receiver holds 500,000 of each (it pays fees)."""
    rp = start(SCENARIO)
    play(rp, [(Action("supply", "bob", a, WHOLE * 10**d, on_behalf="bob"), "ok") for a, d in DECIMALS.items()])
    r = FlashRig.start(rp)
    for a, d in DECIMALS.items():
        r.fund(a, 500_000 * 10**d)
    return r


@pytest.fixture
def rig(replay_in_process) -> FlashRig:
    """``started`` on the module's chain."""
    return started(replay_in_process)


def cash(r: FlashRig, asset: str) -> int:
    """The pool's token balance of ``asset`` (the model's, equal to the chain's whenever the rig agrees)."""
    return r.pool.ledger.balance(asset, POOL)


@pytest.mark.parametrize("asset", list(DECIMALS))
@pytest.mark.parametrize("fee_bps", [0, 1, 9, 1_000])
def test_the_fee_rounds_up_into_reserves_from_one_unit_to_the_whole_cash(rig, asset, fee_bps):
    """P-FLASH-01: for each amount, reserves and cash grow by exactly ⌈amount · bps / 10,000⌉ and the receiver
    pays exactly that, on both twins; one unit more than the whole cash is InsufficientLiquidity on both."""
    rig.set_fee(fee_bps)
    for amount in (1, 9_999, 10_001, 10**DECIMALS[asset] + 1, cash(rig, asset) - 1, cash(rig, asset)):
        before = (rig.pool.assets[asset].state.reserves, cash(rig, asset), rig.pool.ledger.balance(asset, RECV))
        rig.agree(*rig.flash(asset, amount), "ok")
        fee = ceil_fee(amount, fee_bps)
        after = (rig.pool.assets[asset].state.reserves, cash(rig, asset), rig.pool.ledger.balance(asset, RECV))
        assert after == (before[0] + fee, before[1] + fee, before[2] - fee), (amount, fee)
    rig.agree(*rig.flash(asset, cash(rig, asset) + 1), "InsufficientLiquidity")


AMOUNT = 100_000 * 10**6


@pytest.mark.parametrize(("case", "expected"), [
    ("approves one unit less", "ERC20InsufficientAllowance"),
    ("approves more", "ok"),
    ("donates and repays", "ok"),
    ("donates instead of repaying", "ERC20InsufficientAllowance"),
    ("supplies instead of repaying", "ERC20InsufficientAllowance"),
    ("wrong magic value", "FlashLoanCallbackFailed"),
    ("reverts", "InsufficientBalance"),
    ("nests a flash loan", "FlashLoanReentrancy"),
])
def test_a_misbehaving_receiver_is_reverted_by_name(rig, case, expected):
    """P-FLASH-02: 100,000 USDC at 9 bps (fee 90 USDC). Whatever the receiver does, it pays amount + fee by the
    pull or the loan reverts by the same name on both twins; a donation in the callback (even of the whole debt)
    never counts as repayment, and reserves take the fee and nothing else."""
    rig.set_fee(9)
    fee, pool_addr = ceil_fee(AMOUNT, 9), rig.rp.chain.pool
    script, adjust, magic_ok = [], 0, True
    if case == "approves one unit less":
        adjust = -1
    elif case == "approves more":
        adjust = 10**6
    elif case == "donates and repays":
        script = [rig.transfer("USDC", pool_addr, POOL, 777)]
    elif case == "donates instead of repaying":
        script, adjust = [rig.transfer("USDC", pool_addr, POOL, AMOUNT + fee)], -(AMOUNT + fee)
    elif case == "supplies instead of repaying":
        script = [rig.approve("USDC", pool_addr, AMOUNT), rig.pool_op("supply", "USDC", AMOUNT)]
        adjust = -(AMOUNT + fee)
    elif case == "wrong magic value":
        magic_ok = False
    elif case == "reverts":
        script = [rig.pool_op("withdraw", "USDC", 1)]  # it never supplied
    elif case == "nests a flash loan":
        script = [rig.nested_flash("USDC", 1)]
    before = (rig.pool.assets["USDC"].state.reserves, cash(rig, "USDC"), rig.pool.ledger.balance("USDC", RECV))
    rig.agree(*rig.flash("USDC", AMOUNT, script, adjust, magic_ok), expected)
    after = (rig.pool.assets["USDC"].state.reserves, cash(rig, "USDC"), rig.pool.ledger.balance("USDC", RECV))
    if expected != "ok":
        assert after == before
    else:
        donated = 777 if case == "donates and repays" else 0
        assert after == (before[0] + fee, before[1] + fee + donated, before[2] - fee - donated)


def test_reentries_the_spec_allows_agree_and_cannot_borrow_the_loaned_cash(rig):
    """SPEC §8: the callback may supply, withdraw, borrow, repay and liquidate (each under the pool's lock); each
    agrees on both twins. Inside the callback the lendable cash is the cash left after the loan minus reserves
    that already include the unpaid fee: borrowing one unit more is InsufficientLiquidity on both, so a flash loan
    never lets anyone borrow the cash it lent out."""
    rig.set_fee(9)
    weth = 100 * 10**18
    pool_addr = rig.rp.chain.pool
    for op in (rig.approve("WETH", pool_addr, weth), rig.pool_op("supply", "WETH", weth),
               rig.pool_op("borrow", "USDC", 50_000 * 10**6)):
        assert rig.act(op) == "ok"
    play(rig.rp, [(Action("supply", "alice", "WETH", 10 * 10**18, on_behalf="alice"), "ok"),
                  (Action("borrow", "alice", "USDC", 15_000 * 10**6), "ok"),
                  (Action("price", asset="WETH", answer=1_700 * 10**8), "ok")])  # alice: HF 0.96
    amount = 900_000 * 10**6
    fee = ceil_fee(amount, 9)
    lendable = cash(rig, "USDC") - amount - (rig.pool.assets["USDC"].state.reserves + fee)
    assert 0 < lendable < cash(rig, "USDC") - rig.pool.assets["USDC"].state.reserves
    for borrowed, expected in ((lendable + 1, "InsufficientLiquidity"), (lendable, "ok")):
        rig.agree(*rig.flash("USDC", amount, [rig.pool_op("borrow", "USDC", borrowed)]), expected)
    script = [rig.approve("USDC", pool_addr, UINT256_MAX),
              rig.pool_op("repay", "USDC", 30_000 * 10**6),
              rig.pool_op("supply", "USDC", 20_000 * 10**6),
              rig.pool_op("withdraw", "USDC", 10_000 * 10**6),
              rig.liquidate("alice", "WETH", "USDC", UINT256_MAX),
              rig.pool_op("withdraw", "WETH", 10**18)]
    rig.agree(*rig.flash("USDC", amount, script), "ok")
    assert rig.pool.debt_balance("USDC", "alice") < 15_000 * 10**6  # the liquidation went through


def test_argument_checks_and_pauses(rig):
    """P-FLASH-03: a zero amount, an unlisted asset and a borrow pause are refused by name on both twins, with
    nothing moved; a supply pause alone does not stop a flash loan."""
    rig.agree(*rig.flash("USDC", 0), "ZeroAmount")
    rig.agree(*rig.flash(rig.receiver, 1), "AssetNotListed")
    play(rig.rp, [(Action("pause", supply_paused=True, borrow_paused=False), "ok")])
    rig.agree(*rig.flash("USDC", 1), "ok")
    play(rig.rp, [(Action("pause", supply_paused=False, borrow_paused=True), "ok")])
    rig.agree(*rig.flash("USDC", 1), "BorrowPaused")
    rig.agree(*rig.flash("USDC", 0), "ZeroAmount")  # checked before the pause


def hook_payload(rig: FlashRig) -> bytes:
    """What the attack token's transfer hook calls on the pool: a 1 USDC flash loan to the receiver."""
    cw = rig.rp.chain
    return bytes(cw.pool.flashLoan.encode_input(rig.receiver, cw.tokens["USDC"], 10**6, b""))


def test_a_flash_loan_inside_a_locked_pool_call_is_refused(replay_in_process):
    """P-FLASH-04 (chain only): a token whose transfer hook calls ``flashLoan`` while ``supply`` holds the pool's
    lock is refused with ``ReentrancyGuardReentrantCall``, like every other token-moving entry point (P-POOL-16);
    before the fix the flash loan ran inside the supply (its callback then saw the pool mid-call)."""
    from eth_utils import keccak

    from protocol_model.exact.lending.params import AssetConfig

    rig = started(replay_in_process)
    cw = rig.rp.chain
    d, drv, project = cw.deployer, cw.driver, cw.project
    evil = drv.deploy(project.ReentrantERC20, sender=d)
    feed = drv.deploy(project.MockAggregator, 8, 10**8, "EVIL / USD", sender=d)
    for contract, method, args in ((cw.router, "setFeed", (evil, feed)),
                                   (cw.pool, "listAsset", (evil, cw.rate_models["USDC"],
                                                           AssetConfig(7000, 7500, 500, 0, 1000).as_tuple())),
                                   (evil, "mint", (d, 10**18)), (evil, "approve", (cw.pool, UINT256_MAX)),
                                   (evil, "arm", (cw.pool, hook_payload(rig)))):
        assert rig.send(contract, method, *args) == "ok"
    assert rig.send(cw.pool, "supply", evil, 10**18, d) == "ok"
    assert drv.view(evil, "attempts") == 1
    assert not drv.view(evil, "lastSucceeded"), "a flash loan ran inside supply"
    assert bytes(drv.view(evil, "lastRevertData"))[:4] == keccak(text="ReentrancyGuardReentrantCall()")[:4]
