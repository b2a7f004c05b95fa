"""The packed uint128 widths on the in-process chain next to the exact model (docs/SPEC.md §3.3 "Widths"): a donation
lent out against a 1-wei supply cannot freeze an asset. The accrual that would push WETH's supply index past
2^128 − 1 pays that interest to reserves on both twins, to the wei, and the underwater borrower who owes WETH is
still liquidated and repays (a SafeCast revert in that accrual froze WETH for good: no repay, no liquidation of any
account using it). tests/model/test_pool_widths.py checks the model's formula at the bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.inprocess import Call, InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.exact.lending.pool_state import UINT128_MAX
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.action import Action
from protocol_model.world.model_world import ModelWorld

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
STORY = {"kind": "story", "name": "index-inflation", "protocol": "generic",
         "accounts": [{"name": "alice", "balances": {"WBTC": "1", "WETH": "1"}},
                      {"name": "bob", "balances": {"USDC": "100000"}},
                      {"name": "carol", "balances": {"USDC": "50000", "WETH": "2"}}]}


@pytest.fixture(scope="module")
def artifacts() -> Artifacts:
    return Artifacts.load()


def test_a_donation_lent_against_one_wei_of_supply_cannot_freeze_the_asset(artifacts):
    scenario = parse_scenario(STORY, str(SCENARIOS / "default.yaml"))
    world = deploy_in_process(scenario, InProcessChain(artifacts))
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    model.view_now = now = world.now()
    weth = world.tokens["WETH"]

    def step(action: Action, expected: str = "ok") -> None:
        nonlocal now
        now += action.seconds if action.kind == "warp" else 1
        got = (model.apply(action, now), world.apply(action, now))
        assert got == (expected, expected), f"{action.describe()}: model {got[0]}, chain {got[1]}"
        diff = model.snapshot().diff(world.snapshot())
        assert not diff, f"{action.describe()}: {diff[:5]}"

    step(Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"))
    step(Action("supply", "carol", "WETH", 1, on_behalf="carol"))  # WETH's only supply: one scaled wei
    now += 1  # carol donates 1 WETH: cash no supplier claims, lendable all the same (SPEC §3.5)
    assert world.driver.send(Call(weth, "transfer", (world.pool, 10**18), world.signers["carol"]), now).ok
    model.pool.ledger.transfer("WETH", "carol", POOL, 10**18)
    step(Action("supply", "alice", "WBTC", 10**8, on_behalf="alice"))
    step(Action("borrow", "alice", "WETH", 10**18))  # the donation, at 100% utilization
    step(Action("borrow", "alice", "USDC", 30_000 * 10**6))
    si = world.snapshot().field("asset", "WETH", "supply_index_ray")
    assert UINT128_MAX // 100 < si < UINT128_MAX // 10, "one second of WETH interest no longer inflates the index"
    step(Action("warp", seconds=60))
    step(Action("price", asset="WBTC", answer=40_000 * 10**8))
    # Each call below accrues WETH over a minute: ~1.3e39 RAY of suppliers' share, beyond uint128.
    reserves = world.snapshot().field("asset", "WETH", "reserves")
    step(Action("liquidate", "carol", amount=1_000 * 10**6, borrower="alice", collateral="WBTC", debt="USDC"))
    snap = world.snapshot()
    assert snap.field("asset", "WETH", "supply_index_ray") == si, "the index moved past the guard"
    assert snap.field("asset", "WETH", "reserves") - reserves > 10**12  # a minute of interest on 1 WETH, all of it
    assert snap.field("position", ("WBTC", "carol"), "token_balance") > 0  # the seized collateral
    step(Action("repay", "alice", "WETH", UINT256_MAX))  # one more second: that share fits, the index takes it
    snap = world.snapshot()
    assert si < snap.field("asset", "WETH", "supply_index_ray") <= UINT128_MAX
    assert snap.field("position", ("WETH", "alice"), "scaled_debt") == 0
