"""The empty-market (inflation) attack on the in-process chain next to the exact model, to the wei (docs/SPEC.md §3.3,
the suppliers' cap and "Widths"): carol supplies 1 wei of WETH, donates 1 WETH to the pool (the ``donate`` step: a
plain token transfer) and alice borrows it. Before the cap the suppliers' share of that interest went to the one
scaled wei: the supply index passed 2^128 − 1 within 20 s (review 20: a SafeCast revert there froze WETH for good;
the uint128 guard then sent the share to reserves). With the cap, the interest on the debt beyond the supply goes
to reserves on both twins, the supply index grows at most like the borrow index, the underwater borrower who owes
WETH is still liquidated and repays, and a later 1,000,000 USD supply of WETH loses at most one wei to rounding.
tests/model/test_donation_attack.py plays the USDC version on the model; tests/model/test_pool_widths.py checks the
guard at its exact bound. A minimum leftover whose
liquidation product would overflow uint256 is refused by both setters (tests/model/test_pool_admin_bounds.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.exact.lending.params import MAX_MIN_LEFTOVER_USD_WAD
from protocol_model.exact.lending.pool_state import UINT128_MAX
from protocol_model.exact.math_lib import RAY, UINT256_MAX, bps_mul_up, mul_div_down
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.action import Action
from protocol_model.world.model_world import ModelWorld
from tests.model.test_donation_attack import within_the_borrow_index
from tests.mutation.test_boundaries import _name_or_ok

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
STORY = {"kind": "story", "name": "index-inflation", "protocol": "generic",
         "accounts": [{"name": "alice", "balances": {"WBTC": "1", "WETH": "1"}},
                      {"name": "bob", "balances": {"USDC": "100000"}},
                      {"name": "carol", "balances": {"USDC": "50000", "WETH": "2"}},
                      {"name": "dave", "balances": {"WETH": "500"}}]}


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
        """``action`` on both twins one second on (or the warp's seconds): the outcome ``expected`` on both, every
        field equal after it, and WETH's supply index grown at most like its borrow index (SPEC §3.3)."""
        weth = self.model.pool.assets["WETH"]
        self.now += action.seconds if action.kind == "warp" else 1
        before = (weth.state.supply_index_ray, weth.state.borrow_index_ray, weth.state.total_debt())
        got = (self.model.apply(action, self.now), self.world.apply(action, self.now))
        assert got == (expected, expected), f"{action.describe()}: model {got[0]}, chain {got[1]}"
        diff = self.model.snapshot().diff(self.world.snapshot())
        assert not diff, f"{action.describe()}: {diff[:5]}"
        si, bi, debt = before
        if debt:  # per accrual and unit: ΔSI / SI <= ΔBI / BI + 1 / D (SPEC §3.3)
            assert within_the_borrow_index(si, bi, debt, weth.state.supply_index_ray, weth.state.borrow_index_ray)


def test_a_donation_lent_against_one_wei_of_supply_earns_the_supplier_nothing(artifacts):
    twins = Twins(artifacts)
    world, model, step = twins.world, twins.model, twins.step
    weth = model.pool.assets["WETH"]

    step(Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"))
    step(Action("supply", "carol", "WETH", 1, on_behalf="carol"))  # WETH's only supply: one scaled wei
    step(Action("donate", "carol", "WETH", 10**18))  # cash no supplier claims, lendable all the same (SPEC §3.5)
    assert world.snapshot().field("asset", "WETH", "pool_token_balance") == 10**18 + 1
    step(Action("supply", "alice", "WBTC", 10**8, on_behalf="alice"))
    step(Action("borrow", "alice", "WETH", 10**18))  # the donation, at 100% utilization
    step(Action("borrow", "alice", "USDC", 30_000 * 10**6))
    reserves, debt = weth.state.reserves, weth.state.total_debt()
    step(Action("warp", seconds=60))
    step(Action("price", asset="WBTC", answer=40_000 * 10**8))
    step(Action("liquidate", "carol", amount=1_000 * 10**6, borrower="alice", collateral="WBTC", debt="USDC"))
    interest = weth.state.total_debt() - debt  # the minute's WETH interest, accrued by the liquidation
    uncapped = mul_div_down(interest - bps_mul_up(interest, weth.config.reserve_factor_bps), RAY, 1)
    assert RAY + uncapped > UINT128_MAX, "the story no longer reaches the old overflow"
    snap = world.snapshot()
    assert snap.field("asset", "WETH", "supply_index_ray") == RAY  # ⌊interest · 1 / 10^18⌋ = 0: all to reserves
    assert snap.field("asset", "WETH", "reserves") - reserves == interest > 10**12
    assert snap.field("position", ("WBTC", "carol"), "token_balance") > 0  # the seized collateral
    step(Action("repay", "alice", "WETH", UINT256_MAX))
    assert model.pool.scaled_debt.get(("WETH", "alice"), 0) == 0
    assert model.pool.supply_balance("WETH", "carol") == 1  # the attacker's dust earned nothing

    amount = 500 * 10**18  # 1,000,000 USD of WETH at $2,000
    step(Action("supply", "dave", "WETH", amount, on_behalf="dave"))
    si = world.snapshot().field("asset", "WETH", "supply_index_ray")
    loss = amount - world.snapshot().field("position", ("WETH", "dave"), "supply_balance")
    assert 0 <= loss <= 1 and loss * RAY < si + RAY  # less than one scaled unit's worth, SI / RAY + 1 wei


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


def test_the_contracts_guard_at_the_exact_bound(chain, replay_in_process):
    """``_accrue``'s uint128 guard of the supply index on chain at its exact bound, next to the twin: the index is
    written into both twins' state (storage on chain) so that this accrual's suppliers' share raises it to exactly
    2^128 − 1 (taken) or one RAY-unit past it (the share goes to reserves, the index stays); outcome and every field
    agree to the wei. No sequence of pool operations reaches that state (the suppliers' cap bounds the index's growth
    by the borrow index's), so the state is written, as tests/model/test_pool_widths.py builds it for the twin. A
    flat rate makes the share independent of the index (utilization does not move the rate)."""
    from copy import deepcopy

    from protocol_model.chain.inprocess_storage import storage_layouts
    from protocol_model.exact.lending.kinked_rate_model import accrue
    from tests.crosscheck.test_pool_faults import USDC, WETH, faults_spec, lend_usdc_against_weth, play

    flat = {**USDC, "rate": {"base_bps": 1000, "slope1_bps": 0, "slope2_bps": 0, "optimal_bps": 8000}}
    layout = storage_layouts()["LendingPool"]
    for extra, taken in ((0, True), (1, False)):
        rp = replay_in_process(faults_spec([flat, WETH], {"USDC": "100000", "WETH": "100"}))
        lend_usdc_against_weth(rp, 500 * 10**6)
        play(rp, [(Action("warp", seconds=86_400), "ok")])
        asset = rp.model.pool.assets["USDC"]
        probe = deepcopy(asset.state)
        interest = accrue(probe, asset.rate, asset.config.reserve_factor_bps, rp.now + 1)  # the next step's
        rise = probe.supply_index_ray - asset.state.supply_index_ray  # ⌊share · RAY / TSS⌋, index-free here
        assert rise > 0 and interest > probe.reserves - asset.state.reserves > 0
        index = UINT128_MAX - rise + extra
        asset.state.supply_index_ray = index
        pool = str(rp.chain.pool.address)
        base, struct = layout.mapped("_markets", str(rp.chain.tokens["USDC"].address))
        word = layout.member(base.slot, struct, "supplyIndexRay")
        assert (word.offset, word.size) == (0, 16)
        old = chain.storage_at(pool, word.slot)
        chain.set_storage(pool, word.slot, (old >> 128 << 128) | index)
        assert rp.model.snapshot() == rp.chain.snapshot()
        reserves = asset.state.reserves
        play(rp, [(Action("accrue"), "ok")])
        assert asset.state.supply_index_ray == (UINT128_MAX if taken else index)
        assert asset.state.reserves == (probe.reserves if taken else reserves + interest)
