"""A price rejection a third party can force must not make a healthy account liquidatable (review-pool).

``liquidate`` values the borrower's assets other than the two it touches through ``_liquidationValues``, which
counted an asset whose price the router rejects as zero (issue #14 item 3). A spot-mode ``PairPriceFeed`` with a
circuit breaker (the documented protection against a pumped spot price) is rejected by the router whenever its spot
is ``maxJumpBps`` away from round 1, and anyone can put it there with one swap. So a liquidator swapped TKN's pair
(either way), TKN — alice's own, consented collateral — counted as zero, and alice, healthy at every valid price,
was liquidated through her WETH at the full bonus. Rule now (docs/SPEC.md §3.6, both twins): an untouched
*collateral* whose price is rejected reverts the liquidation with the router's error (the account cannot be shown
unhealthy without it); an untouched *debt* whose price is rejected still counts as zero (a lower bound of the debt:
an account unhealthy without it is unhealthy). A third party cannot plant either (consent, §3.5).
"""

from __future__ import annotations

from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, WETH, ZERO_RATE, play

E18, E6, USD8 = 10**18, 10**6, 10**8
TKN = {"name": "TKN", "decimals": 18, "price_usd": "1", "ltv_bps": 7500, "liquidation_threshold_bps": 8000,
       "liquidation_bonus_bps": 800, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 2000,
       "rate": ZERO_RATE}
"""A token priced by its pair with USDC (spot or TWAP: each test's ``amm_pairs``)."""
SCENARIO = {
    "name": "forced-rejection",
    "assets": [USDC, WETH, {**TKN, "oracle": {"max_jump_bps": 5000}}],
    "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"], "reserves": {"TKN": "100000", "USDC": "100000"},
                   "price_feed": {"asset": "TKN", "mode": "spot"}}],
    "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                 {"name": "alice", "balances": {"WETH": "100", "TKN": "100000"}},
                 {"name": "mallory", "balances": {"USDC": "300000"}},
                 {"name": "carol", "balances": {"WETH": "10", "TKN": "1"}}],
    # the deployment approves the swapper for the swaps the file names (the tests play their own steps)
    "steps": [{"op": "swap", "account": "mallory", "pair": "TKN_USDC", "asset": "USDC", "amount": "1"}],
}


def _start(replay_in_process):
    rp = replay_in_process(SCENARIO)
    # alice: 100 WETH ($200k) and 100,000 TKN ($100k), both hers as collateral, 170,000 USDC debt:
    # adjusted 165,000 + 80,000 = 245,000 USD, HF 1.44; without TKN it would be 165,000 / 170,000 = 0.97.
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WETH", 100 * E18, on_behalf="alice"), "ok"),
        (Action("supply", "alice", "TKN", 100_000 * E18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 170_000 * E6), "ok"),
        (Action("warp", seconds=3_600), "ok"),
        (Action("liquidate", "mallory", amount=UINT256_MAX, borrower="alice", collateral="WETH", debt="USDC"),
         "HealthyAccount"),
    ])
    assert rp.model.pool.health_factor("alice") > 14 * WAD // 10
    return rp


def test_a_breaker_tripped_by_a_swap_does_not_make_a_healthy_account_liquidatable(replay_in_process):
    """mallory buys 30,000 USDC of TKN (spot ×1.69: round 1, the average since deployment, is $1, the 50% breaker
    rejects TKN) and liquidates alice through her WETH: PriceJump (TKN's own error) on both twins, nothing seized.
    Before the fix both twins let it through: 85,000 USDC repaid for 44.625 WETH, a 4,250 USD bonus taken from a
    borrower healthy at every valid price."""
    rp = _start(replay_in_process)
    play(rp, [
        (Action("swap", "mallory", "USDC", 30_000 * E6, pair="TKN_USDC"), "ok"),
        (Action("liquidate", "mallory", amount=UINT256_MAX, borrower="alice", collateral="WETH", debt="USDC"),
         "PriceJump"),
    ])
    assert rp.model.pool.supply_balance("WETH", "alice") == 100 * E18
    assert rp.chain.pool.supplyBalance(rp.chain.tokens["WETH"], rp.chain.address_of("alice")) == 100 * E18


def _carol_liquidated(rp, tkn_step: Action, outcome: str):
    """carol borrows 15,000 USDC against 10 WETH, takes ``tkn_step`` (a TKN position), WETH falls to $1,500 (her USDC
    debt alone: HF 0.825), mallory trips TKN's breaker and liquidates her through WETH: ``outcome`` on both twins."""
    play(rp, [
        (Action("supply", "carol", "WETH", 10 * E18, on_behalf="carol"), "ok"),
        (Action("borrow", "carol", "USDC", 15_000 * E6), "ok"),
        (tkn_step, "ok"),
        (Action("price", asset="WETH", answer=1_500 * USD8), "ok"),
        (Action("swap", "mallory", "USDC", 30_000 * E6, pair="TKN_USDC"), "ok"),
        (Action("liquidate", "mallory", amount=UINT256_MAX, borrower="carol", collateral="WETH", debt="USDC"),
         outcome),
    ])
    return rp


def test_a_rejected_debt_price_still_counts_as_zero(replay_in_process):
    """The debt side keeps item 3's rule: carol owes TKN (priced by the tripped pair) and USDC; with TKN rejected
    her TKN debt counts as zero, and she is still liquidated through WETH when the USDC debt alone makes her
    unhealthy (a lower bound of her debt), on both twins."""
    _carol_liquidated(_start(replay_in_process), Action("borrow", "carol", "TKN", 100 * E18), "ok")  # alice's TKN


def test_own_collateral_with_a_rejected_price_blocks_until_the_admin_turns_it_off(replay_in_process):
    """The rule's cost (SPEC §3.6): carol's own 1 wei of TKN, TKN rejected (the tripped breaker; a dead feed would
    do the same), blocks her liquidation through WETH — PriceJump on both twins. The remedies need no code: a
    liquidator may swap the pair back in its own transaction, a fallback feed prices TKN, or the risk admin turns
    TKN's collateral off (``setAssetConfig``): then TKN no longer counts for anyone and the liquidation goes
    through on both twins."""
    from dataclasses import replace

    rp = _carol_liquidated(_start(replay_in_process), Action("supply", "carol", "TKN", 1, on_behalf="carol"),
                           "PriceJump")
    config = replace(rp.model.pool.assets["TKN"].config, collateral_enabled=False)
    rp.model.pool.set_asset_config("TKN", config, rp.now)
    rp.chain.pool.setAssetConfig(rp.chain.tokens["TKN"], config.as_tuple(), sender=rp.chain.deployer)
    play(rp, [(Action("liquidate", "mallory", amount=UINT256_MAX, borrower="carol", collateral="WETH",
                      debt="USDC"), "ok")])
