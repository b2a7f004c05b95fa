"""The exact leveraged-token model alone: parameter validation and a revert leaving every twin untouched."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from protocol_model.exact.strategies import leveraged_token as lt
from protocol_model.world.leveraged_world import DEFAULT_VAULTS, ModelLevWorld

E18 = 10**18
P = DEFAULT_VAULTS["lev2x"]


@pytest.mark.parametrize("change, error", [
    (dict(min_leverage_wad=E18), "InvalidLeverageBand"),
    (dict(target_leverage_wad=16 * E18 // 10), "InvalidLeverageBand"),
    (dict(max_leverage_wad=19 * E18 // 10), "InvalidLeverageBand"),
    (dict(ripcord_leverage_wad=23 * E18 // 10), "InvalidLeverageBand"),
    (dict(max_slippage_bps=1_001), "MaxSlippageTooHigh"),
    (dict(rebalance_fee_bps=101), "RebalanceFeeTooHigh"),
    (dict(management_fee_per_second_wad=lt.MAX_MANAGEMENT_FEE_PER_SECOND_WAD + 1), "ManagementFeeTooHigh"),
    (dict(max_rounds=0), "InvalidMaxRounds"),
    (dict(max_rounds=33), "InvalidMaxRounds"),
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
        v.redeem("alice", 4 * E18, "alice", "alice", w.tick(), min_assets=10**30)
    assert info.value.name == "InsufficientAssetsOut"
    # last_fee_accrual, indexes, balances: all as before; the pool and the pair still share one ledger.
    assert (w.mw.pool.__dict__, w.pair.__dict__, v.shares, v.total_supply) == before
    assert w.pair.ledger is w.mw.pool.ledger
    assert v.rebalance("carol", w.tick()) > 19 * E18 // 10
