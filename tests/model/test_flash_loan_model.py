"""The lending twin's flash loan (``LendingPool.flashLoan``): the fee goes to reserves, a receiver that does not
repay makes the loan revert by name, and the argument checks revert by name (P-FLASH-01..03 on the model;
tests/contracts/test_flash_loan.py checks the contract)."""

from __future__ import annotations

import pytest

from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import POOL
from tests.exact.lending_twins import T0, flash_callback, lending_pool

AMOUNT = 10**9


def test_the_fee_goes_to_reserves():
    """P-FLASH-01: reserves grow by the fee (bpsMulUp of the amount), the pool's cash by the same fee."""
    pool = lending_pool()
    pool.set_flash_loan_fee(9)
    reserves, cash = pool.assets["USDC"].state.reserves, pool.ledger.balance("USDC", POOL)
    fee = pool.flash_loan("bob", "bob", "USDC", AMOUNT + 1, flash_callback(pool, "repay", 0), T0 + 1)
    assert fee == (AMOUNT + 1) * 9 // 10_000 + 1 > 0
    assert pool.assets["USDC"].state.reserves == reserves + fee
    assert pool.ledger.balance("USDC", POOL) == cash + fee


@pytest.mark.parametrize("behaviour, error", [("false", "FlashLoanCallbackFailed"),
                                              ("no-approval", "ERC20InsufficientAllowance"),
                                              ("revert", "SlippageExceeded")])
def test_a_receiver_that_does_not_repay_reverts_by_name(behaviour, error):
    """P-FLASH-02: a receiver that returns False, does not approve the repayment or reverts: the loan reverts with
    that name (carol, who never approved the pool) and leaves the pool's cash and reserves as they were."""
    pool = lending_pool()
    pool.set_flash_loan_fee(9)
    before = (pool.assets["USDC"].state.reserves, pool.ledger.balance("USDC", POOL))
    with pytest.raises(errors.PoolError) as info:
        pool.flash_loan("carol", "carol", "USDC", AMOUNT, flash_callback(pool, behaviour, 5), T0 + 1)
    assert info.value.name == error
    assert (pool.assets["USDC"].state.reserves, pool.ledger.balance("USDC", POOL)) == before


def test_flash_loan_argument_checks():
    """P-FLASH-03: zero amount, more than the cash, a paused pool: ZeroAmount, InsufficientLiquidity,
    BorrowPaused."""
    pool = lending_pool()
    repay = flash_callback(pool, "repay", 0)
    cash = pool.ledger.balance("USDC", POOL)
    for amount, error in ((0, "ZeroAmount"), (cash + 1, "InsufficientLiquidity")):
        with pytest.raises(errors.PoolError) as info:
            pool.flash_loan("bob", "bob", "USDC", amount, repay, T0 + 1)
        assert info.value.name == error
    assert pool.flash_loan("bob", "bob", "USDC", cash, repay, T0 + 1) == 0
    pool.set_pause(False, True)
    with pytest.raises(errors.PoolError) as info:
        pool.flash_loan("bob", "bob", "USDC", 1, repay, T0 + 2)
    assert info.value.name == "BorrowPaused"
