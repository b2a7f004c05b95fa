"""The revert journal's property, twin by twin: random calls, many failing (zero amounts, over-withdrawals,
missing approvals or authorizations, pauses, bad prices, slippage, invalid parameters...); on every failure the
full state of every object the call could touch (twin, other twins it calls, the shared token ledger) equals the
state before, and the transaction is closed. Broken journals are run through the same property and caught.
"""

from __future__ import annotations

import pytest

from protocol_model.exact import journal
from protocol_model.exact.ledger import Ledger
from tests.exact import lending_twins, market_twins
from tests.exact.journal_checks import assert_exercised, run_property

TWINS = {
    "Ledger": (lending_twins.ledger_world, lending_twins.ledger_op),
    "LendingPool": (lending_twins.pool_world, lending_twins.pool_op),
    "Looper": (lending_twins.looper_world, lending_twins.looper_op),
    "V2Pair+PairPriceFeed": (market_twins.pair_world, market_twins.pair_op),
    "PerpEngine": (market_twins.perp_world, market_twins.perp_op),
    "LeveragedToken": (market_twins.leveraged_world, market_twins.leveraged_op),
}
MUST_FAIL_WITH = {  # reverts every run reaches (several of them after writes: allowance spent, rounds run, swaps)
    "Ledger": {"ERC20InsufficientBalance", "ERC20InsufficientAllowance"},
    "LendingPool": {"ZeroAmount", "InsufficientBalance", "InsufficientLiquidity", "Unauthorized",
                    "ERC20InsufficientAllowance"},
    "Looper": {"InvalidRounds", "InvalidFraction", "NoPair", "ERC20InsufficientAllowance", "SlippageExceeded"},
    "V2Pair+PairPriceFeed": {"SlippageExceeded", "ds-math-sub-underflow", "UniswapV2: INSUFFICIENT_LIQUIDITY_BURNED",
                             "ERC20InsufficientBalance"},
    "PerpEngine": {"ZeroAmount", "InsufficientBalance", "MarketNotListed", "ERC20InsufficientAllowance"},
    "LeveragedToken": {"ZeroShares", "ERC4626ExceededMaxRedeem", "RipcordNotArmed", "ERC20InsufficientAllowance",
                       "CooldownActive"},
}
EXAMPLES = {"LendingPool": 80, "Looper": 80, "LeveragedToken": 40}


@pytest.mark.parametrize("twin", TWINS)
def test_a_failed_call_leaves_every_piece_of_state_as_before(twin):
    build, draw_op = TWINS[twin]
    stats = run_property(build, draw_op, examples=EXAMPLES.get(twin, 40))
    assert_exercised(stats, min_succeeded=3 if twin == "Looper" else 10)
    seen = {name.removeprefix("reverted ") for name in stats if name.startswith("reverted ")}
    assert MUST_FAIL_WITH[twin] <= seen, f"not exercised: {MUST_FAIL_WITH[twin] - seen}; seen: {seen}"


# ---------------------------------------------------------------- mutants: broken journals the property catches


def _restore_all_but_the_ledger(self):
    for memento in self.saved.values():
        if not isinstance(memento.target, Ledger):
            memento.restore()


def _save_without_copying(value):
    return value  # containers kept by reference: a write inside them survives the revert


MUTANTS = {
    "the ledger is not restored": ("_Frame", "restore", _restore_all_but_the_ledger),
    "containers are not copied": (None, "_save", _save_without_copying),
    "nothing is restored": ("Journal", "rollback", lambda self: self.frames.pop()),
}


@pytest.mark.parametrize("twin", ["LendingPool", "Ledger", "V2Pair+PairPriceFeed"])
@pytest.mark.parametrize("mutant", MUTANTS)
def test_a_broken_journal_is_caught(twin, mutant, monkeypatch):
    owner, name, broken = MUTANTS[mutant]
    monkeypatch.setattr(getattr(journal, owner) if owner else journal, name, broken)
    build, draw_op = TWINS[twin]
    with pytest.raises(AssertionError, match="reverted .* but the state changed"):
        run_property(build, draw_op, examples=200, shrink=False)
