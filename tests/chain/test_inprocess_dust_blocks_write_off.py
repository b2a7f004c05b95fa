"""Collateral dust that no liquidation can take must not keep a bad debt on the books (review-pool, SPEC §3.6-3.7).

A bad debt is written off when a liquidation takes the account's last collateral. A collateral position too small
for one scaled unit of any debt (1 wei of WETH is worth 2·10⁻¹⁵ USD; its repayment, rounded up, is 1 unit of USDC,
and ⌊1·RAY/BI⌋ = 0 once interest lifted the borrow index) could not be liquidated (NothingToRepay), so it blocked
the write-off forever. Anyone could put it there while a consent bit stayed after its asset was withdrawn or seized
(anyone may supply on an account's behalf): bob planted 1 wei of WETH on alice (her WETH consent stayed from an old
supply), carol seized all alice's WBTC, and 11,439 USDC of alice's debt stayed owed for ever on both twins (still
accruing interest the suppliers' index counts) instead of being written off. Two fixes: the whole supply withdrawn
or seized now takes its consent with it (SPEC §3.5, P-POOL-19), so bob's wei is not alice's collateral and the
write-off follows the seizure at once; and dust the account holds itself (its own or its operator's supply) no
longer blocks it either: a liquidation that takes the whole of the account's last collateral may burn no scaled
debt, the liquidator pays the rounded-up repayment, the dust goes, and the write-off follows; with collateral left
elsewhere it is still NothingToRepay.
"""

from __future__ import annotations

from protocol_model.exact.math_lib import RAY, UINT256_MAX, ray_mul_up
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, WETH, play

E18, E8, E6, USD8 = 10**18, 10**8, 10**6, 10**8
RATED = {"base_bps": 1000, "slope1_bps": 0, "slope2_bps": 0, "optimal_bps": 8000}
SCENARIO = {
    "name": "dust-blocks-write-off",
    "assets": [{**USDC, "rate": RATED}, WETH, {**WETH, "name": "WBTC", "decimals": 8, "price_usd": "60000"}],
    "accounts": [{"name": n, "balances": {"USDC": "1000000", "WETH": "10", "WBTC": "10"}}
                 for n in ("alice", "bob", "carol")],
}


DUST = {"none": ("bob", "bob"), "planted": ("bob", "alice"), "own": ("alice", "alice")}
"""The 1 wei of WETH supplied before the seizure: (sender, on behalf), by bob for himself, planted by bob on alice, or
alice's own."""


def _seized_all_wbtc(replay_in_process, dust: str):
    """alice once supplied and withdrew 1 WETH, then borrowed 40,000 USDC against 1 WBTC; a day of interest; 1 wei of
    WETH is supplied as ``DUST[dust]``; WBTC falls to $30,000 and carol seizes all of it."""
    sender, on_behalf = DUST[dust]
    rp = replay_in_process(SCENARIO)
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", E18, on_behalf="alice"), "ok"),
        (Action("withdraw", "alice", "WETH", UINT256_MAX), "ok"),
        (Action("supply", "alice", "WBTC", E8, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 40_000 * E6), "ok"),
        (Action("warp", seconds=86_400), "ok"),
        # the same step in every variant (same blocks, same interest)
        (Action("supply", sender, "WETH", 1, on_behalf=on_behalf), "ok"),
        (Action("price", asset="WBTC", answer=30_000 * USD8), "ok"),
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WBTC", debt="USDC"), "ok"),
    ])
    assert rp.model.pool.assets["USDC"].state.borrow_index_ray > RAY
    return rp


def test_planted_dust_is_not_collateral_and_the_write_off_follows_the_seizure(replay_in_process):
    """alice's full WETH withdrawal cleared her WETH consent, so bob's wei on her behalf is not collateral: the
    seizure of all her WBTC writes her debt off at once, exactly as without the wei, on both twins."""
    clean = _seized_all_wbtc(replay_in_process, "none").model.pool.assets["USDC"].state.bad_debt
    assert clean > 11_000 * E6
    rp = _seized_all_wbtc(replay_in_process, "planted")
    pool = rp.model.pool
    assert pool.supply_balance("WETH", "alice") == 1 and ("alice", "WETH") not in pool.collateral_use
    assert pool.assets["USDC"].state.bad_debt == clean and pool.debt_balance("USDC", "alice") == 0
    assert rp.chain.pool.getAssetState(rp.chain.tokens["USDC"])[5] == clean  # AssetState.badDebt


def test_own_dust_does_not_keep_a_bad_debt_owed(replay_in_process):
    """With 1 wei of alice's own WETH, alice's debt left after the WBTC seizure is written off once carol takes the
    dust (for the rounded-up 1 USDC unit), on both twins, as without the dust (plus one step's interest)."""
    clean = _seized_all_wbtc(replay_in_process, "none").model.pool.assets["USDC"].state.bad_debt
    rp = _seized_all_wbtc(replay_in_process, "own")
    pool = rp.model.pool
    assert pool.assets["USDC"].state.bad_debt == 0 and pool.debt_balance("USDC", "alice") == clean
    scaled = pool.scaled_debt[("USDC", "alice")]
    play(rp, [(Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WETH",
                      debt="USDC"), "ok")])
    assert pool.debt_balance("USDC", "alice") == 0 and pool.supply_balance("WETH", "alice") == 0
    # no scaled debt burned by the repayment: all of it written off, at the index of the liquidation's block
    owed = ray_mul_up(scaled, pool.assets["USDC"].state.borrow_index_ray)
    assert pool.assets["USDC"].state.bad_debt == owed >= clean
    assert rp.chain.pool.getAssetState(rp.chain.tokens["USDC"])[5] == owed  # AssetState.badDebt


def test_dust_with_collateral_left_elsewhere_still_repays_nothing(replay_in_process):
    """The exception is the last collateral only: with alice's WBTC still there, taking the 1 wei of WETH for no
    debt is NothingToRepay on both twins, as before."""
    play(replay_in_process(SCENARIO), [
        (Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 1, on_behalf="alice"), "ok"),
        (Action("supply", "alice", "WBTC", E8, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 40_000 * E6), "ok"),
        (Action("warp", seconds=86_400), "ok"),
        (Action("price", asset="WBTC", answer=30_000 * USD8), "ok"),
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WETH", debt="USDC"),
         "NothingToRepay"),
    ])
