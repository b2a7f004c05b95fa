"""LendingPool.flashLoan and operator authorization on chain, each outcome checked against the exact twin.

The fee is ⌈amount · feeBps / 10,000⌉ and lands in the asset's reserves; a receiver that does not approve
the repayment, answers the wrong magic value, nests a second flash loan or tries to pass a supply off as
repayment is reverted; the fee is bounded and set only by the risk admin; only the account or its
authorized operator may borrow or withdraw on its behalf.
"""

from __future__ import annotations

import pytest

from protocol_model.chain.driver import error_selectors
from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.lending.params import AssetConfig, RateParams
from protocol_model.exact.oracle.price_router import Feed

SUPPLY = 1_000_000 * 10**6
ZERO = "0x" + "0" * 40
CONFIG = AssetConfig(8000, 8500, 500, 1000, 1000)
RATE = RateParams.from_annual_bps(0, 400, 6000, 8000)


@pytest.fixture(scope="module")
def setup(project, admin, signers):
    router = admin.deploy(project.PriceRouter, admin)
    pool = admin.deploy(project.LendingPool, admin, router)
    pool.grantRole(pool.RISK_ADMIN_ROLE(), admin, sender=admin)
    usdc = admin.deploy(project.MockERC20, "USDC", "USDC", 6)
    feed = admin.deploy(project.MockAggregator, 8, 10**8, "USDC / USD")
    router.setFeed(usdc, feed, sender=admin)
    model = admin.deploy(project.KinkedRateModel, RATE.base_per_second_ray, RATE.slope1_per_second_ray,
                         RATE.slope2_per_second_ray, RATE.optimal_utilization_wad)
    pool.listAsset(usdc, model, CONFIG.as_tuple(), sender=admin)
    bob = signers["bob"]
    usdc.mint(bob, SUPPLY, sender=admin)
    usdc.approve(pool, SUPPLY, sender=bob)
    pool.supply(usdc, SUPPLY, bob, sender=bob)
    borrower = admin.deploy(project.FlashBorrowerMock, pool)
    usdc.mint(borrower, 10**12, sender=admin)  # pays fees
    return dict(pool=pool, usdc=usdc, borrower=borrower, admin=admin, bob=bob, alice=signers["alice"])


def model_pool(fee_bps: int) -> LendingPool:
    pool = LendingPool()
    pool.list_asset("USDC", RATE, CONFIG, 6, 0)
    pool.set_feed("USDC", Feed(10**8))
    pool.ledger.mint("USDC", POOL, SUPPLY)
    pool.ledger.mint("USDC", "borrower", 10**12)
    pool.set_flash_loan_fee(fee_bps)
    return pool


def chain_outcome(fn, *args, sender) -> str:
    """'ok' (and the transaction is sent) or the revert's error name, decoded from a raw eth_call's data."""
    from ape import chain, project

    tx = {"from": sender.address, "to": fn.contract.address, "data": "0x" + bytes(fn.encode_input(*args)).hex()}
    res = chain.provider.web3.provider.make_request("eth_call", [tx, "latest"])
    if "error" in res:
        data = res["error"].get("data") or ""
        data = data.get("data", "") if isinstance(data, dict) else data
        return error_selectors(project).get(data[2:10].lower(), f"Revert({res['error']})")
    fn(*args, sender=sender)
    return "ok"


@pytest.mark.parametrize("fee_bps, amount", [(0, 1), (9, 1), (9, 12_345_678_901), (1000, 999_999_999_999)])
def test_fee_goes_to_reserves_like_the_model(setup, chain, fee_bps, amount):
    pool, usdc, borrower, admin = setup["pool"], setup["usdc"], setup["borrower"], setup["admin"]
    snap = chain.snapshot()
    try:
        pool.setFlashLoanFee(fee_bps, sender=admin)
        borrower.setMode(0, sender=admin)
        before = (pool.getAssetState(usdc).reserves, usdc.balanceOf(pool), usdc.balanceOf(borrower))
        borrower.borrow(usdc, amount, sender=admin)
        after = (pool.getAssetState(usdc).reserves, usdc.balanceOf(pool), usdc.balanceOf(borrower))
    finally:
        chain.restore(snap)
    fee = -(-amount * fee_bps // 10_000)  # ceil, derived here
    assert after == (before[0] + fee, before[1] + fee, before[2] - fee)

    m = model_pool(fee_bps)
    m.ledger.approve("USDC", "borrower", POOL, amount + fee)
    assert m.flash_loan("borrower", "borrower", "USDC", amount, lambda *a: True, 5) == fee
    assert (m.assets["USDC"].state.reserves, m.ledger.balance("USDC", POOL)) == (fee, SUPPLY + fee)


@pytest.mark.parametrize("mode, error", [
    (1, "ERC20InsufficientAllowance"),
    (2, "FlashLoanCallbackFailed"),
    (3, "FlashLoanReentrancy"),
    (4, "ERC20InsufficientAllowance"),
])
def test_misbehaving_receivers_revert(setup, chain, mode, error):
    pool, usdc, borrower, admin = setup["pool"], setup["usdc"], setup["borrower"], setup["admin"]
    snap = chain.snapshot()
    try:
        pool.setFlashLoanFee(9, sender=admin)
        borrower.setMode(mode, sender=admin)
        assert chain_outcome(borrower.borrow, usdc, 10**9, sender=admin) == error
    finally:
        chain.restore(snap)

    m = model_pool(9)
    before = m.assets["USDC"].state.reserves, dict(m.ledger.balances)

    def callback(initiator, asset, amount, fee):
        if mode == 3:
            m.flash_loan("borrower", "borrower", asset, amount, callback, 5)
        if mode == 4:
            m.ledger.approve(asset, "borrower", POOL, amount)
            m.supply("borrower", asset, amount, "borrower", 5)
            return True
        if mode != 1:
            m.ledger.approve(asset, "borrower", POOL, amount + fee)
        return mode != 2

    with pytest.raises(errors.PoolError) as info:
        m.flash_loan("borrower", "borrower", "USDC", 10**9, callback, 5)
    assert info.value.name == error
    assert (m.assets["USDC"].state.reserves, m.ledger.balances) == before  # reverted whole


def test_flash_loan_checks(setup, chain):
    pool, usdc, borrower, admin, alice = setup["pool"], setup["usdc"], setup["borrower"], setup["admin"], setup["alice"]
    assert chain_outcome(pool.setFlashLoanFee, 1001, sender=admin) == "FlashLoanFeeTooHigh"
    assert chain_outcome(pool.setFlashLoanFee, 5, sender=alice) == "AccessControlUnauthorizedAccount"
    assert chain_outcome(pool.flashLoan, borrower, usdc, 0, b"", sender=admin) == "ZeroAmount"
    assert chain_outcome(pool.flashLoan, borrower, usdc, SUPPLY + 1, b"", sender=admin) == "InsufficientLiquidity"
    assert chain_outcome(pool.flashLoan, borrower, alice, 1, b"", sender=admin) == "AssetNotListed"
    assert chain_outcome(pool.flashLoan, ZERO, usdc, 1, b"", sender=admin) == "ZeroAddress"
    m = model_pool(0)
    with pytest.raises(errors.FlashLoanFeeTooHigh):
        m.set_flash_loan_fee(1001)
    for amount, asset, err in ((0, "USDC", errors.ZeroAmount), (SUPPLY + 1, "USDC", errors.InsufficientLiquidity),
                               (1, "alice", errors.AssetNotListed)):
        with pytest.raises(err):
            m.flash_loan("b", "b", asset, amount, lambda *a: True, 1)


def test_only_the_account_or_its_operator_borrows_for_it(setup, chain):
    pool, usdc, bob, alice = setup["pool"], setup["usdc"], setup["bob"], setup["alice"]
    snap = chain.snapshot()
    try:
        assert chain_outcome(pool.borrowOnBehalf, usdc, 10, bob, alice, sender=alice) == "Unauthorized"
        assert chain_outcome(pool.withdrawOnBehalf, usdc, 10, bob, alice, sender=alice) == "Unauthorized"
        pool.setAuthorization(alice, True, sender=bob)
        assert pool.isAuthorized(bob, alice)
        pool.withdrawOnBehalf(usdc, 10, bob, alice, sender=alice)
        assert usdc.balanceOf(alice) == 10
        pool.setAuthorization(alice, False, sender=bob)
        assert chain_outcome(pool.withdrawOnBehalf, usdc, 10, bob, alice, sender=alice) == "Unauthorized"
    finally:
        chain.restore(snap)
    m = model_pool(0)
    m.ledger.approve("USDC", "bob", POOL, SUPPLY)
    m.ledger.mint("USDC", "bob", SUPPLY)
    m.supply("bob", "USDC", SUPPLY, "bob", 1)
    with pytest.raises(errors.Unauthorized):
        m.withdraw_on_behalf("alice", "USDC", 10, "bob", "alice", 2)
    m.set_authorization("bob", "alice", True)
    m.withdraw_on_behalf("alice", "USDC", 10, "bob", "alice", 2)
    assert m.ledger.balance("USDC", "alice") == 10
