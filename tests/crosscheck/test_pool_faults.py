"""Issue #14 items 1-5 (lending pool): each example replayed on chain and in the exact model, agreeing on every
field after every step, with the right value asserted on both sides (docs/SPEC.md §3.5, §3.6, §5.6)."""

from __future__ import annotations

import pytest

from protocol_model.chain.replay import Replay
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.action import Action

ZERO_RATE = {"base_bps": 0, "slope1_bps": 0, "slope2_bps": 0, "optimal_bps": 8000}
USDC = {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8500, "liquidation_threshold_bps": 8800,
        "liquidation_bonus_bps": 400, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000,
        "rate": ZERO_RATE}
WETH = {"name": "WETH", "decimals": 18, "price_usd": "2000", "ltv_bps": 8000, "liquidation_threshold_bps": 8250,
        "liquidation_bonus_bps": 500, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1500,
        "rate": ZERO_RATE}
USD8 = 10**8


def faults_spec(assets, balances):
    """The scenario dict of these examples: ``assets`` (specs as USDC, WETH above), alice, bob and carol each
    holding ``balances``."""
    return {"name": "faults", "assets": assets,
            "accounts": [{"name": n, "balances": balances} for n in ("alice", "bob", "carol")]}


def _scenario(assets, balances):
    return parse_scenario(faults_spec(assets, balances))


@pytest.fixture
def replay(deploy_world, chain):
    snaps = []

    def start(scenario):
        snaps.append(chain.snapshot())
        return Replay.start(scenario, deploy_world(scenario))

    yield start
    for snap in snaps:
        chain.restore(snap)


def play(rp, steps):
    for action, expected in steps:
        r = rp.step(action, expected)
        assert r.model == r.chain == expected, f"{action.describe()}: model {r.model}, chain {r.chain}"
        assert not r.mismatches, f"{action.describe()}: {r.mismatches[:5]}"


def lend_usdc_against_weth(rp, borrowed):
    """bob supplies 1,000 USDC, alice 10 WETH as collateral, then she borrows ``borrowed`` USDC units: every step
    ``ok`` and every field equal on both twins."""
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000 * 10**6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 10 * 10**18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", borrowed), "ok"),
    ])


def both(rp, fn):
    """fn(pool view) on the model and on chain: (model value, chain value)."""
    return fn(rp.model.pool, "model"), fn(rp.chain, "chain")


def test_item1_dust_liquidation_reverts_and_max_closes_whole(replay):
    rp = replay(_scenario([USDC, WETH], {"USDC": "100000", "WETH": "100"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 10 * 10**18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 15_000 * 10**6), "ok"),
        (Action("price", asset="WETH", answer=1_500 * USD8), "ok"),
        # 14,285.714285 USDC would seize 9.9999999995 WETH and leave 0.0000000005 WETH: refused by name
        (Action("liquidate", "carol", amount=14_285_714_285, borrower="alice", collateral="WETH", debt="USDC"),
         "MustNotLeaveDust"),
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WETH", debt="USDC"), "ok"),
    ])
    # Max: all 10 WETH seized for ⌈⌈10e18·10^4/10,500⌉·1,500/10^12⌉ = 14,285.714286 USDC; the other
    # 15,000 − 14,285.714286 = 714.285714 USDC is written off in the same call (no collateral left).
    pool = rp.model.pool
    assert pool.assets["USDC"].state.bad_debt == 15_000 * 10**6 - 14_285_714_286 == 714_285_714
    assert rp.chain.pool.getAssetState(rp.chain.tokens["USDC"]).badDebt == 714_285_714
    assert pool.debt_balance("USDC", "alice") == 0
    assert rp.chain.pool.debtBalance(rp.chain.tokens["USDC"], rp.chain.address_of("alice")) == 0


def test_item1_small_debt_is_closed_whole_above_the_full_close_line(replay):
    rp = replay(_scenario([USDC, WETH], {"USDC": "100000", "WETH": "100"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000 * 10**6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 10**15, on_behalf="alice"), "ok"),  # 0.001 WETH = $2
        (Action("borrow", "alice", "USDC", 1_500_000), "ok"),  # $1.50
        (Action("price", asset="WETH", answer=1_800 * USD8), "ok"),  # HF = 1.8 × 0.825 / 1.5 = 0.99
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WETH", debt="USDC"), "ok"),
    ])
    # 1.5 USDC × (1 − 50%) < $100 minimum: the close factor is lifted and the $1.50 closes in one call.
    assert rp.model.pool.debt_balance("USDC", "alice") == 0
    assert rp.chain.pool.debtBalance(rp.chain.tokens["USDC"], rp.chain.address_of("alice")) == 0


def test_item2_liquidation_that_seizes_nothing_reverts(replay):
    gold = {**WETH, "name": "GOLD", "decimals": 0, "price_usd": "45000", "ltv_bps": 7500,
            "liquidation_threshold_bps": 8000}
    rp = replay(_scenario([USDC, gold], {"USDC": "100000", "GOLD": "10"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "GOLD", 1, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 33_000 * 10**6), "ok"),
        (Action("price", asset="GOLD", answer=41_000 * USD8), "ok"),  # HF = 32,800 / 33,000 = 0.9939
        # max = 50% = 16,500 USDC buys 16,500 × 1.05 / 41,000 = 0.42 GOLD -> 0 units: nothing is taken for it
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="GOLD", debt="USDC"),
         "NothingToSeize"),
    ])
    assert rp.model.pool.debt_balance("USDC", "alice") == 33_000 * 10**6
    assert rp.model.pool.ledger.balance("USDC", "carol") == 100_000 * 10**6


def test_item2_repayment_below_one_scaled_debt_unit_reverts(replay):
    """Issue #14 item 2, second half: BAR is a 0-decimal debt token worth $20,000 a unit. After a year of
    interest its borrow index is above 1 RAY, so repaying 1 unit burns ⌊1·RAY/index⌋ = 0 scaled debt: before
    the fix such a call cut no debt and still seized 1 × 1.05 units' worth of WETH ($21,000). Now the
    repayment is derived from the seizure and a liquidation that reduces no debt reverts NothingToRepay."""
    bar = {**WETH, "name": "BAR", "decimals": 0, "price_usd": "20000", "ltv_bps": 5000,
           "liquidation_threshold_bps": 6000, "rate": {"base_bps": 1000, "slope1_bps": 0, "slope2_bps": 0,
                                                       "optimal_bps": 8000}}
    rp = replay(_scenario([bar, WETH], {"BAR": "1000", "WETH": "10000"}))
    play(rp, [
        (Action("supply", "bob", "BAR", 1_000, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 10_000 * 10**18, on_behalf="alice"), "ok"),  # $20M
        (Action("borrow", "alice", "BAR", 500), "ok"),  # $10M
        (Action("warp", seconds=365 * 86_400), "ok"),
        (Action("supply", "carol", "BAR", 10, on_behalf="carol"), "ok"),  # touches BAR: a year accrues
        (Action("price", asset="WETH", answer=1_200 * USD8), "ok"),  # HF ≈ 12M × 0.825 / 11M < 1
    ])
    pool = rp.model.pool
    assert pool.assets["BAR"].state.borrow_index_ray > 10**27, "a year of interest must lift the index"
    debt_before = pool.debt_balance("BAR", "alice")
    coll_before = pool.supply_balance("WETH", "alice")
    play(rp, [(Action("liquidate", "carol", amount=1, borrower="alice", collateral="WETH", debt="BAR"),
               "NothingToRepay")])
    assert pool.debt_balance("BAR", "alice") == debt_before
    assert pool.supply_balance("WETH", "alice") == coll_before
    alice, weth = rp.chain.address_of("alice"), rp.chain.tokens["WETH"]
    assert rp.chain.pool.supplyBalance(weth, alice) == coll_before
    assert rp.chain.pool.debtBalance(rp.chain.tokens["BAR"], alice) == debt_before


def test_item3_planted_unpriceable_dust_blocks_neither_liquidation_nor_write_off(replay):
    wbtc = {**WETH, "name": "WBTC", "decimals": 8, "price_usd": "60000",
            "oracle": {"max_age_s": 3 * 86_400}}
    rp = replay(_scenario([USDC, wbtc, WETH], {"USDC": "100000", "WETH": "100", "WBTC": "1"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 10 * 10**18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 15_000 * 10**6), "ok"),
        (Action("supply", "bob", "WBTC", 1, on_behalf="alice"), "ok"),  # 1 satoshi planted on alice
        (Action("feed", asset="WBTC", source="primary", answer=60_000 * USD8, seconds=30 * 86_400), "ok"),
        (Action("price", asset="WETH", answer=1_000 * USD8), "ok"),  # HF 0.55 on the valid prices
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WETH", debt="USDC"), "ok"),
    ])
    # All 10 WETH go for ⌈⌈10e18·10^4/10,500⌉·1,000/10^12⌉ = 9,523.809524 USDC; the planted satoshi is not
    # alice's collateral, so the other 5,476.190476 USDC is written off at once; the satoshi stays hers.
    pool = rp.model.pool
    assert pool.assets["USDC"].state.bad_debt == 15_000 * 10**6 - 9_523_809_524
    assert rp.chain.pool.getAssetState(rp.chain.tokens["USDC"]).badDebt == 15_000 * 10**6 - 9_523_809_524
    assert pool.supply_balance("WBTC", "alice") == 1
    assert not rp.chain.pool.usesAsCollateral(rp.chain.address_of("alice"), rp.chain.tokens["WBTC"])


def test_item4_partial_liquidation_never_lowers_hf(replay):
    steth = {**WETH, "name": "STETH", "ltv_bps": 9300, "liquidation_threshold_bps": 9400,
             "liquidation_bonus_bps": 500}
    rp = replay(_scenario([USDC, steth], {"USDC": "100000", "STETH": "100"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 100_000 * 10**6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "STETH", 10 * 10**18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 18_500 * 10**6), "ok"),
        (Action("price", asset="STETH", answer=1_920 * USD8), "ok"),  # HF = 19,200 × 0.94 / 18,500 = 0.9756
    ])
    hf = [rp.model.pool.health_factor("alice")]
    for _ in range(3):
        play(rp, [(Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="STETH",
                          debt="USDC"), "ok")])
        hf.append(rp.model.pool.health_factor("alice"))
        assert rp.chain.pool.healthFactor(rp.chain.address_of("alice")) == hf[-1]
    # 0.94 × 1.05 = 0.987 > 0.9756: the bonus is capped at ⌊0.9756/0.94 × 10^4⌋ − 10^4 = 378 bps, so the
    # HF stays put or rises (it fell 0.9756 -> 0.9641 -> 0.9413 with the full 5%) and nothing is written off.
    assert all(b >= a for a, b in zip(hf, hf[1:], strict=False)), hf
    assert hf[0] == 975_567_567_567_567_567 and hf[0] >= 95 * WAD // 100
    assert rp.model.pool.assets["USDC"].state.bad_debt == 0


def test_item5_reserves_are_not_lent(replay):
    usdc = {**USDC, "reserve_factor_bps": 10_000,
            "rate": {"base_bps": 10_000, "slope1_bps": 0, "slope2_bps": 0, "optimal_bps": 8000}}
    rp = replay(_scenario([usdc, WETH], {"USDC": "100000", "WETH": "100"}))
    play(rp, [
        (Action("supply", "alice", "USDC", 10_000 * 10**6, on_behalf="alice"), "ok"),
        (Action("supply", "bob", "WETH", 10 * 10**18, on_behalf="bob"), "ok"),
        (Action("borrow", "bob", "USDC", 2_000 * 10**6), "ok"),
        (Action("warp", seconds=365 * 86_400), "ok"),
        (Action("repay", "bob", "USDC", UINT256_MAX, on_behalf="bob"), "ok"),
        (Action("withdraw", "alice", "USDC", UINT256_MAX), "ok"),
        (Action("supply", "carol", "USDC", 100 * 10**6, on_behalf="carol"), "ok"),
        # about 2,000 USDC of reserves sit in cash; only carol's 100 USDC may be lent
        (Action("borrow", "bob", "USDC", 1_990 * 10**6), "InsufficientLiquidity"),
        (Action("borrow", "bob", "USDC", 100 * 10**6 + 1), "InsufficientLiquidity"),
        (Action("borrow", "bob", "USDC", 100 * 10**6), "ok"),
    ])
    pool = rp.model.pool
    assert pool.lendable("USDC") == 0
    s = rp.chain.pool.getAssetState(rp.chain.tokens["USDC"])
    assert rp.chain.tokens["USDC"].balanceOf(rp.chain.pool) == s.reserves == pool.assets["USDC"].state.reserves
