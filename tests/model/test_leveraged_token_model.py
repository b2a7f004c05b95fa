"""The exact leveraged-token model alone: parameter validation and a revert leaving every twin untouched."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.strategies import leveraged_token as lt
from protocol_model.world.leveraged_world import DEFAULT_VAULTS, ModelLevWorld

E18 = 10**18
P = DEFAULT_VAULTS["lev2x"]
COOLDOWN = lt.DEFAULT_COOLDOWN_SECONDS


@pytest.mark.parametrize("change, error", [
    (dict(min_leverage_wad=E18), "InvalidLeverageBand"),
    (dict(target_leverage_wad=16 * E18 // 10), "InvalidLeverageBand"),
    (dict(max_leverage_wad=19 * E18 // 10), "InvalidLeverageBand"),
    (dict(ripcord_leverage_wad=23 * E18 // 10), "InvalidLeverageBand"),
    (dict(max_slippage_bps=60), "MaxSlippageTooHigh"),
    (dict(rebalance_fee_bps=101), "RebalanceFeeTooHigh"),
    (dict(management_fee_per_second_wad=lt.MAX_MANAGEMENT_FEE_PER_SECOND_WAD + 1), "ManagementFeeTooHigh"),
    (dict(max_rounds=0), "InvalidMaxRounds"),
    (dict(max_rounds=33), "InvalidMaxRounds"),
    (dict(cooldown_seconds=lt.MAX_COOLDOWN_SECONDS + 1), "CooldownTooLong"),
])
def test_invalid_parameters_name_the_rule(change, error):
    with pytest.raises(lt.errors.PoolError) as info:
        replace(P, **change).validate()
    assert info.value.name == error


def test_management_fee_conversion():
    # 10%/year is the contract's cap: ⌊1000 · 1e18 / 10_000 / 31_536_000⌋.
    assert lt.management_fee_per_second_wad(1_000) == lt.MAX_MANAGEMENT_FEE_PER_SECOND_WAD == 3_170_979_198


def test_a_revert_restores_pool_pair_ledger_and_vault():
    w = ModelLevWorld.build()
    v = w.vaults["lev2x"]
    v.deposit("alice", 10 * E18, "alice", w.tick())
    before = copy.deepcopy((w.mw.pool.__dict__, w.pair.__dict__, v.shares, v.total_supply))
    with pytest.raises(lt.errors.PoolError) as info:
        v.redeem("alice", 4 * E18, "alice", "alice", w.tick(COOLDOWN), min_assets=10**30)
    assert info.value.name == "InsufficientAssetsOut"
    # last_fee_accrual, indexes, balances: all as before; the pool and the pair still share one ledger.
    assert (w.mw.pool.__dict__, w.pair.__dict__, v.shares, v.total_supply) == before
    assert w.pair.ledger is w.mw.pool.ledger
    assert v.rebalance("carol", w.tick()) > 19 * E18 // 10


# ------------------------------------------------------------------ share inflation (issue 14, item 8)


@settings(max_examples=300, deadline=None)
@given(first=st.integers(1, 10**21), donation=st.integers(0, 10**24), victim=st.integers(1, 10**23),
       via_pool=st.booleans(), answer=st.integers(1, 10**20))
def test_inflating_the_share_price_never_pays(first, donation, victim, via_pool, answer):
    """An attacker deposits ``first`` into the empty vault and donates ``donation`` (a pool supply on the vault's
    behalf, or tokens sent to it); a victim deposits ``victim``; both redeem. The attacker never profits, and
    the victim loses at most the donation over (first + 1)·V (V = 10^6 virtual shares) plus rounding: the
    attacker pays at least V times what the victim loses. Redemptions pay exactly ⌊C·s/(S + V)⌋."""
    w = ModelLevWorld.build({"v": replace(P, management_fee_per_second_wad=0)})
    w.mw.pool.set_feed("WETH", Feed(answer, 8))  # any oracle price, 1e-8 to 1e12 USD (no debt: NAV is C)
    v, ledger = w.vaults["v"], w.mw.pool.ledger
    for who, amount in (("bob", first + donation), ("alice", victim)):
        ledger.mint("WETH", who, amount)
    bob0, alice0 = ledger.balance("WETH", "bob"), ledger.balance("WETH", "alice")
    v.deposit("bob", first, "bob", w.tick())
    if donation and via_pool:
        w.mw.pool.supply("bob", "WETH", donation, "v", w.tick())
    elif donation:
        ledger.transfer("WETH", "bob", "v", donation)
    try:
        v.deposit("alice", victim, "alice", w.tick())
    except lt.ZeroShares:
        return  # a deposit worth no share reverts: nothing lost
    for who in ("bob", "alice"):
        s, c = v.balance_of(who), v.collateral()
        paid = v.redeem(who, s, who, who, w.tick(COOLDOWN))  # each past its deposit's cooldown
        assert paid == c * s // (v.total_supply + s + lt.VIRTUAL_SHARES)
    attacker_profit = ledger.balance("WETH", "bob") - bob0
    victim_loss = alice0 - ledger.balance("WETH", "alice")
    counted = donation if via_pool else 0
    assert attacker_profit <= 0
    assert victim_loss <= (first + counted + 1) // ((first + 1) * lt.VIRTUAL_SHARES) + 2
    assert victim_loss * lt.VIRTUAL_SHARES <= -attacker_profit + 2 * lt.VIRTUAL_SHARES


def test_min_shares_and_deadline_guard_a_deposit():
    w = ModelLevWorld.build()
    v = w.vaults["lev2x"]
    now = w.tick()
    with pytest.raises(lt.DeadlineExpired):
        v.deposit("alice", E18, "alice", now, deadline=now - 1)
    with pytest.raises(lt.InsufficientSharesOut):
        v.deposit("alice", E18, "alice", now, min_shares=E18 * lt.VIRTUAL_SHARES + 1)
    assert v.total_supply == 0
    assert v.deposit("alice", E18, "alice", now, min_shares=E18 * lt.VIRTUAL_SHARES, deadline=now) == (
        E18 * lt.VIRTUAL_SHARES)
