"""The leveraged token's deposit cooldown on the exact model (P-VAULT-10; docs/leveraged_tokens.md, "Deposit
cooldown"): the oracle front-run it stops, and a property over any sequence of deposits (for oneself or for
another), approvals, transfers, transfers on an allowance and redemptions with clock jumps."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.strategies import leveraged_token as lt
from protocol_model.world.leveraged_world import DEFAULT_VAULTS, ModelLevWorld

E18 = 10**18
COOLDOWN = lt.DEFAULT_COOLDOWN_SECONDS
ACCOUNTS = ("alice", "bob", "carol")
CHECKED_BEFORE_THE_COOLDOWN = {"redeem": {"ZeroShares"}, "transfer_from": {"ERC20InsufficientAllowance"},
                               "transfer": set()}
"""Refusals that come before the cooldown check (redeemWithMin's and OpenZeppelin transferFrom's order)."""


def _front_run(cooldown: int) -> tuple[str, int]:
    """carol holds the levered 2x token; bob deposits 100 WETH one second before a +1% oracle update and redeems
    one second after it. Returns (the redemption's outcome, bob's WETH profit)."""
    w = ModelLevWorld.build({"v": replace(DEFAULT_VAULTS["lev2x"], cooldown_seconds=cooldown)})
    v, ledger = w.vaults["v"], w.mw.pool.ledger
    ledger.mint("WETH", "carol", 100 * E18)
    ledger.approve("WETH", "carol", "v", UINT256_MAX)
    v.deposit("carol", 100 * E18, "carol", w.tick())
    v.rebalance("dave", w.tick())
    w.tick(lt.MAX_COOLDOWN_SECONDS)
    bob0 = ledger.balance("WETH", "bob")
    v.deposit("bob", 100 * E18, "bob", w.tick())
    w.set_price(w.price_wad() * 101 // 100)
    try:
        v.redeem("bob", v.balance_of("bob"), "bob", "bob", w.tick())
    except lt.CooldownActive:
        return "CooldownActive", ledger.balance("WETH", "bob") - bob0
    return "ok", ledger.balance("WETH", "bob") - bob0


def test_the_oracle_front_run_paid_without_the_cooldown_and_is_refused_with_it():
    """Without a cooldown the front-run pays bob a riskless profit taken from carol (about L x 1% of NAV less the
    unwind's swap costs, in USD; in WETH the leverage over the 1% price rise); with the default 15 minutes his
    redemption one second after the update is refused and he holds the position."""
    outcome, profit = _front_run(0)
    assert outcome == "ok" and profit > 0, profit
    assert _front_run(COOLDOWN) == ("CooldownActive", -100 * E18)


def _own(kind: str, amounts: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[str, str, str, int]]:
    """``kind`` by an account on its own shares (a deposit for itself, a redemption of its own shares)."""
    return st.tuples(st.sampled_from(ACCOUNTS), amounts).map(lambda t: (kind, t[0], t[0], t[1]))


def _any(kind: str, amounts: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[str, str, str, int]]:
    """``kind`` by any account ``a`` with any account ``b``."""
    return st.tuples(st.just(kind), st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), amounts)


op_st = st.one_of(
    _own("deposit", st.integers(0, 5 * E18)), _any("deposit", st.integers(0, 5 * E18)),
    _any("approve", st.sampled_from([0, 1, E18, UINT256_MAX])),
    _any("transfer", st.integers(0, 100)), _any("transfer_from", st.integers(0, 100)),
    _own("redeem", st.integers(0, 100)), _any("redeem", st.integers(0, 100)),
    st.tuples(st.just("warp"), st.sampled_from([1, COOLDOWN - 2, COOLDOWN - 1, COOLDOWN, 3_600]), st.just(""),
              st.just(0)),
)
"""(kind, a, b, x): a deposits x for b, a approves b for x shares, a transfers x% of its shares to b, a moves x% of
b's shares to itself on b's allowance, a redeems x% of b's shares; or a warp of a seconds."""


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(op_st, min_size=4, max_size=40))
@example(ops=[("deposit", "alice", "alice", E18), ("warp", COOLDOWN - 2, "", 0), ("redeem", "alice", "alice", 50),
              ("transfer", "alice", "bob", 50), ("redeem", "alice", "alice", 50), ("redeem", "bob", "bob", 100)])
@example(ops=[("deposit", "alice", "alice", E18), ("warp", COOLDOWN, "", 0), ("deposit", "bob", "alice", 1),
              ("redeem", "alice", "alice", 10), ("approve", "alice", "bob", 1), ("deposit", "bob", "alice", 1),
              ("redeem", "alice", "alice", 10), ("approve", "alice", "carol", UINT256_MAX),
              ("transfer_from", "carol", "alice", 10), ("warp", COOLDOWN, "", 0),
              ("transfer_from", "carol", "alice", 10), ("redeem", "carol", "alice", 10)])
def test_no_account_moves_shares_within_its_cooldown_and_no_stranger_extends_it(ops):
    """Any sequence of deposits (for oneself or another), approvals, transfers, transfers on an allowance and
    redemptions, with clock jumps (one second per call besides): a redemption or transfer out of an account passes
    only from ``cooldownSeconds`` after the last deposit credited to it, and is refused ``CooldownActive`` exactly
    before; only a deposit by the account itself or by a spender it approved (non-zero allowance) credits it and
    restarts its cooldown — any other deposit for it is refused ``ReceiverNotApproved``, its cooldown unchanged.
    The test keeps its own record of deposit times (not read back from the twin)."""
    w = ModelLevWorld.build({"v": DEFAULT_VAULTS["lev2x"]})
    v, ledger = w.vaults["v"], w.mw.pool.ledger
    for who in ACCOUNTS:
        ledger.mint("WETH", who, 100 * E18)
        ledger.approve("WETH", who, "v", UINT256_MAX)
    deposited_at: dict[str, int] = {}
    for kind, a, b, x in ops:
        if kind == "warp":
            w.tick(int(a))
            continue
        now = w.tick()
        ends = {who: deposited_at.get(who, -COOLDOWN) + COOLDOWN for who in ACCOUNTS}
        consent = v.allowances.get((b, a), 0) != 0  # for a deposit by a for b
        mover = {"transfer": a, "transfer_from": b, "redeem": b}.get(kind)
        try:
            if kind == "deposit":
                v.deposit(a, x, b, now)
            elif kind == "approve":
                v.approve(a, b, x)
            elif kind == "transfer":
                v.transfer(a, b, v.balance_of(a) * x // 100, now)
            elif kind == "transfer_from":  # a moves b's shares to a
                v.transfer_from(a, b, a, v.balance_of(b) * x // 100, now)
            else:  # a redeems b's shares
                v.redeem(a, v.balance_of(b) * x // 100, a, b, now)
        except lt.CooldownActive:
            assert mover is not None and now < ends[mover], (kind, a, b, now, ends)
        except lt.ReceiverNotApproved:
            assert kind == "deposit" and a != b and not consent
        except lt.errors.PoolError as err:  # balance, allowance, zero shares
            assert mover is None or now >= ends[mover] or err.name in CHECKED_BEFORE_THE_COOLDOWN[kind], err.name
        else:
            if kind == "deposit":
                assert a == b or consent, "a stranger's deposit was credited"
                deposited_at[b] = now
            if mover is not None:
                assert now >= ends[mover], f"{kind} by {mover} at {now}, within its cooldown (ends {ends[mover]})"
        for who in ACCOUNTS:  # every cooldown is the one the record says: nothing else restarted it
            assert v.cooldown_end(who) == deposited_at.get(who, 0) + COOLDOWN, (kind, a, b, who)


@pytest.mark.parametrize("cooldown", [0, 1, lt.MAX_COOLDOWN_SECONDS])
def test_cooldown_bounds_are_accepted(cooldown):
    """0 (off), 1 second and the one-day maximum are valid; the maximum + 1 is ``CooldownTooLong``
    (``test_invalid_parameters_name_the_rule``)."""
    assert replace(DEFAULT_VAULTS["lev2x"], cooldown_seconds=cooldown).validate().cooldown_seconds == cooldown
