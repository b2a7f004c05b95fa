"""Nested calls under the revert journal, as the EVM treats sub-calls: one transaction for the outermost entry
point, twins first reached inside it still restored, a caught inner revert restored only through ``sub_call``
(Solidity's try/catch), restoration in place (aliases see it), and no transaction left open."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import ClassVar

import pytest

from protocol_model.exact import journal
from protocol_model.exact.amm.uniswap_v2_pair import V2Pair
from protocol_model.exact.errors import PoolError
from protocol_model.exact.journal import JournalError, reverts_atomically, sub_call
from protocol_model.exact.lending.lending_pool import LendingPool
from tests.exact.journal_checks import state_of
from tests.exact.lending_twins import T0, lending_pool, looper_world


@dataclass
class Router:
    """A test twin calling the pool: a flash loan that fails after writing, then a supply."""

    pool: LendingPool
    journal_links: ClassVar[tuple[str, ...]] = ("pool",)

    def _failing_flash_loan(self, now: int) -> None:
        self.pool.flash_loan("bob", "bob", "USDC", 10**9, lambda *_: False, now)

    @reverts_atomically
    def try_flash_then_supply(self, now: int) -> None:
        with contextlib.suppress(PoolError), sub_call(self.pool):
            self._failing_flash_loan(now)
        self.pool.supply("bob", "USDC", 10**6, "bob", now)

    @reverts_atomically
    def swallow_flash_then_supply(self, now: int) -> None:
        with contextlib.suppress(PoolError):
            self._failing_flash_loan(now)
        self.pool.supply("bob", "USDC", 10**6, "bob", now)


def pool_with_pair() -> tuple[LendingPool, V2Pair]:
    pool = lending_pool()
    pair = V2Pair("pair", "USDC", "WETH", pool.ledger)
    pool.ledger.mint("USDC", "pair", 10**12)
    pool.ledger.mint("WETH", "pair", 500 * 10**18)
    pair.mint("lp", T0)
    return pool, pair


def test_a_twin_first_reached_inside_the_call_is_restored_too():
    """pool.flash_loan is the outermost call; its callback swaps on a pair the pool does not know, then fails."""
    pool, pair = pool_with_pair()
    objects = [pool, pool.ledger, pair]
    before = state_of(objects)

    def swap_then_fail(initiator, asset, amount, fee):
        pool.ledger.transfer(asset, initiator, pair.address, amount)
        pair.swap(0, 10**17, initiator, T0 + 1)
        return False

    with pytest.raises(PoolError) as info:
        pool.flash_loan("bob", "bob", "USDC", 10**9, swap_then_fail, T0 + 1)
    assert info.value.name == "FlashLoanCallbackFailed"
    assert pair.reserve0 == 10**12 and state_of(objects) == before


def test_without_saving_late_participants_the_pair_would_keep_the_swap(monkeypatch):
    """Mutant: the nested entry point saves nothing new; the property above then fails (the pair moved)."""
    monkeypatch.setattr(journal.Journal, "touch", lambda self, objects: None)
    pool, pair = pool_with_pair()

    def swap_then_fail(initiator, asset, amount, fee):
        pool.ledger.transfer(asset, initiator, pair.address, amount)
        pair.swap(0, 10**17, initiator, T0 + 1)
        return False

    with pytest.raises(PoolError):
        pool.flash_loan("bob", "bob", "USDC", 10**9, swap_then_fail, T0 + 1)
    assert pair.reserve0 != 10**12


def test_a_caught_inner_revert_is_undone_and_the_outer_call_goes_on():
    router, reference = Router(lending_pool()), lending_pool()
    router.try_flash_then_supply(T0 + 5)
    reference.supply("bob", "USDC", 10**6, "bob", T0 + 5)  # what the router's call must amount to
    assert state_of([router.pool, router.pool.ledger]) == state_of([reference, reference.ledger])
    assert not router.pool.flash_loan_active


def test_a_swallowed_inner_revert_is_a_model_bug_and_the_call_is_undone():
    router = Router(lending_pool())
    before = state_of([router.pool, router.pool.ledger])
    with pytest.raises(JournalError, match="FlashLoanCallbackFailed was caught without sub_call"):
        router.swallow_flash_then_supply(T0 + 5)
    assert state_of([router.pool, router.pool.ledger]) == before


def test_restoration_is_in_place_and_the_shared_ledger_stays_shared():
    pool = lending_pool()
    state, ledger, balances = pool.assets["USDC"].state, pool.ledger, pool.ledger.balances
    index_before = state.borrow_index_ray
    with pytest.raises(PoolError) as info:  # accrues a year of interest, then fails the collateral check
        pool.borrow("alice", "USDC", 50_000 * 10**6, T0 + 365 * 86_400)
    assert info.value.name == "InsufficientCollateral"
    assert pool.assets["USDC"].state is state and state.borrow_index_ray == index_before
    assert pool.ledger is ledger and ledger.balances is balances


def test_a_model_bug_closes_the_transaction_without_restoring():
    pool = lending_pool()

    def broken(*_):
        raise ValueError("a bug in the receiver model")

    with pytest.raises(ValueError):
        pool.flash_loan("bob", "bob", "USDC", 10**9, broken, T0 + 1)
    assert not pool.ledger.journal.active
    pool.flash_loan_active = False  # the bug left the flag set; the next transaction starts cleanly
    pool.supply("bob", "USDC", 10**6, "bob", T0 + 2)


def test_only_the_outermost_call_saves_its_participants(monkeypatch):
    """A looper call nests pool, pair and ledger entry points; the transaction saves each object once."""
    world = looper_world()
    saved_sizes = []
    rollback = journal.Journal.rollback

    def spy(self):
        saved_sizes.append(len(self.frames[-1].saved))
        rollback(self)

    monkeypatch.setattr(journal.Journal, "rollback", spy)
    looper = world.twins["looper"]
    with pytest.raises(PoolError) as info:  # rounds run (nested supply, borrow, swap), then the oracle check fails
        looper.open_iterative("alice", "WETH", "USDC", 10**18, 3, 9_000, 0, T0 + 1)
    assert info.value.name == "SlippageExceeded"
    assert saved_sizes == [len(world.objects)] == [4]
    assert looper.pool.ledger.balance("WETH", "alice") == 50 * 10**18
