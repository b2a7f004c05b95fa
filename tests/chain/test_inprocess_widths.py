"""The packed uint128 widths on the in-process chain next to the exact model (docs/SPEC.md §3.3 "Widths"): a donation
lent out against a 1-wei supply cannot freeze an asset. The accrual that would push WETH's supply index past
2^128 − 1 pays that interest to reserves on both twins, to the wei, and the underwater borrower who owes WETH is
still liquidated and repays (a SafeCast revert in that accrual froze WETH for good: no repay, no liquidation of any
account using it). tests/model/test_pool_widths.py checks the model's formula at the bound. A minimum leftover whose
liquidation product would overflow uint256 is refused by both setters (tests/model/test_pool_admin_bounds.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from protocol_model.chain.inprocess import Call, InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.exact.lending.params import MAX_MIN_LEFTOVER_USD_WAD
from protocol_model.exact.lending.pool_state import UINT128_MAX
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.action import Action
from protocol_model.world.model_world import ModelWorld
from tests.mutation.test_boundaries import _name_or_ok

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
STORY = {"kind": "story", "name": "index-inflation", "protocol": "generic",
         "accounts": [{"name": "alice", "balances": {"WBTC": "1", "WETH": "1"}},
                      {"name": "bob", "balances": {"USDC": "100000"}},
                      {"name": "carol", "balances": {"USDC": "50000", "WETH": "2"}}]}


@pytest.fixture(scope="module")
def artifacts() -> Artifacts:
    return Artifacts.load()


class Twins:
    """The default protocol with ``STORY``'s accounts deployed in process and its model twin, stepped together."""

    def __init__(self, artifacts: Artifacts):
        scenario = parse_scenario(STORY, str(SCENARIOS / "default.yaml"))
        self.world = deploy_in_process(scenario, InProcessChain(artifacts))
        self.model = ModelWorld(scenario, self.world.listed_at, self.world.feed_times)
        self.model.view_now = self.now = self.world.now()

    def step(self, action: Action, expected: str = "ok") -> None:
        """``action`` on both twins one second on (or the warp's seconds): the outcome ``expected`` on both and
        every field equal after it."""
        self.now += action.seconds if action.kind == "warp" else 1
        got = (self.model.apply(action, self.now), self.world.apply(action, self.now))
        assert got == (expected, expected), f"{action.describe()}: model {got[0]}, chain {got[1]}"
        diff = self.model.snapshot().diff(self.world.snapshot())
        assert not diff, f"{action.describe()}: {diff[:5]}"


def test_a_donation_lent_against_one_wei_of_supply_cannot_freeze_the_asset(artifacts):
    twins = Twins(artifacts)
    world, model, step = twins.world, twins.model, twins.step
    weth = world.tokens["WETH"]

    step(Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"))
    step(Action("supply", "carol", "WETH", 1, on_behalf="carol"))  # WETH's only supply: one scaled wei
    twins.now += 1  # carol donates 1 WETH: cash no supplier claims, lendable all the same (SPEC §3.5)
    now = twins.now
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


def test_min_leftover_is_refused_where_the_liquidation_would_overflow(artifacts):
    """``setMinLeftover`` above ``MAX_MIN_LEFTOVER_USD_WAD`` reverts InvalidMinLeftover on chain and in the twin (it
    was accepted, and then every liquidation's ``_minLeftover() * BPS`` panicked 0x11 on chain while the model
    liquidated); at the bound the liquidation agrees to the wei and closes the whole debt (it is dust)."""
    twins = Twins(artifacts)
    world, model, step = twins.world, twins.model, twins.step
    step(Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"))
    step(Action("supply", "alice", "WBTC", 10**8, on_behalf="alice"))
    step(Action("borrow", "alice", "USDC", 30_000 * 10**6))
    step(Action("price", asset="WBTC", answer=35_000 * 10**8))  # 35,000 × 78% < 30,000: liquidatable
    pool, admin = world.pool, world.deployer
    for value, expected in ((MAX_MIN_LEFTOVER_USD_WAD + 1, "InvalidMinLeftover"), (MAX_MIN_LEFTOVER_USD_WAD, "ok")):
        params = replace(model.pool.params, min_leftover_usd_wad=value)
        outcomes = (_name_or_ok(pool.setMinLeftover, value, sender=admin),
                    _name_or_ok(model.pool.set_close_factor, params))
        assert outcomes == (expected, expected), f"setMinLeftover({value}): chain, twin {outcomes}"
        assert pool.minLeftoverUsdWad() == model.pool.params.min_leftover_usd_wad
    assert pool.minLeftoverUsdWad() == MAX_MIN_LEFTOVER_USD_WAD
    twins.now = world.now()
    step(Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WBTC", debt="USDC"))
    assert world.snapshot().field("position", ("USDC", "alice"), "scaled_debt") == 0
