"""The asset limit at its edge (review-pool): 128 listed assets, the last one (id 127: consent bit 127, debt bit 255
of the account bitmap) used as collateral through a supply, borrow, liquidation and write-off on both twins alike,
and a 129th listing refused by the same name, ``TooManyAssets(128)``, on both (SPEC §3.8)."""

from __future__ import annotations

import pytest

from protocol_model.chain.inprocess import TransactionReverted
from protocol_model.exact import errors
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, WETH, play

E18, E6, USD8 = 10**18, 10**6, 10**8
FILLERS = [{**WETH, "name": f"T{i:03d}"} for i in range(1, 127)]
SCENARIO = {
    "name": "asset-limit",
    "assets": [USDC, *FILLERS, {**WETH, "name": "LAST"}],
    "accounts": [{"name": "bob", "balances": {"USDC": "100000", "LAST": "10"}},
                 {"name": "alice", "balances": {"LAST": "10"}},
                 {"name": "carol", "balances": {"USDC": "100000"}}],
}


def test_the_128th_asset_works_and_a_129th_is_refused_alike(replay_in_process):
    assert len(SCENARIO["assets"]) == 128
    rp = replay_in_process(SCENARIO)
    play(rp, [
        (Action("supply", "bob", "USDC", 100_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "bob", "LAST", 10 * E18, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "LAST", 10 * E18, on_behalf="alice"), "ok"),  # id 127
        (Action("borrow", "alice", "USDC", 15_000 * E6), "ok"),
        (Action("borrow", "alice", "LAST", E18 // 10), "ok"),  # debt bit 255
        (Action("price", asset="LAST", answer=1_000 * USD8), "ok"),  # HF well below the full-close line
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="LAST", debt="USDC"), "ok"),
    ])
    pool, world, spec = rp.model.pool, rp.chain, rp.scenario.asset("USDC")
    # all of alice's LAST was seized; her LAST debt and the USDC left over were written off
    assert pool.supply_balance("LAST", "alice") == 0 and pool.debt_balance("LAST", "alice") == 0
    assert pool.assets["LAST"].state.bad_debt > 0 and pool.assets["USDC"].state.bad_debt > 0
    token = world.driver.deploy(world.project.MockERC20, "X", "X", 18, sender=world.deployer)
    with pytest.raises(TransactionReverted, match="TooManyAssets"):
        world.pool.listAsset(token, world.rate_models["USDC"], spec.config().as_tuple(), sender=world.deployer)
    with pytest.raises(errors.TooManyAssets):
        pool.list_asset("X", spec.rate.params(), spec.config(), 18, rp.now)
