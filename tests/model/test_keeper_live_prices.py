"""The keeper values a pair-fed collateral at the pair's price of the moment (``LendingPool.primary_feed``), as the
router the liquidation then reads: a swap in the step before its decision moves it.

Alice holds 10,000 TKN (priced by the TKN/USDC pair's spot, $1) and 3 WETH ($6,000) against 11,000 USDC. Mallory sells
100,000 TKN into the pair (TKN ~$0.25): alice falls below HF 1 and her TKN is now worth ~$2,500, less than her WETH.
The keeper liquidates against the WETH. (It chose the TKN, valued at the round refreshed at the swap step's start,
$10,000, before: a liquidation that seizes a quarter of what it priced.)
"""

from __future__ import annotations

from protocol_model.scenario.story import parse_scenario
from protocol_model.world.keeper import decide
from protocol_model.world.model_world import run_model
from tests.chain.test_inprocess_flash_manipulation import TKN
from tests.crosscheck.test_pool_faults import USDC, WETH

STORY = {
    "name": "keeper-live-pair-price",
    "assets": [USDC, TKN, WETH],
    "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"], "reserves": {"TKN": "100000", "USDC": "100000"},
                   "price_feed": {"asset": "TKN", "mode": "spot"}}],
    "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                 {"name": "alice", "balances": {"TKN": "10000", "WETH": "3"}},
                 {"name": "mallory", "balances": {"TKN": "100000"}}, {"name": "carol", "balances": {"USDC": "100000"}}],
    "steps": [{"op": "supply", "account": "bob", "asset": "USDC", "amount": "1000000"},
              {"op": "supply", "account": "alice", "asset": "TKN", "amount": "10000"},
              {"op": "supply", "account": "alice", "asset": "WETH", "amount": "3"},
              {"op": "borrow", "account": "alice", "asset": "USDC", "amount": "11000"},
              {"op": "swap", "account": "mallory", "pair": "TKN_USDC", "asset": "TKN", "amount": "100000"}],
}


def test_the_keeper_values_a_pair_fed_collateral_at_the_live_price():
    """After the dump the keeper's decision seizes WETH (worth more than the TKN at the pair's price now), and the
    TKN it passed over is worth less than the WETH at the router's price: the choice follows the live read."""
    world, outcomes = run_model(parse_scenario(STORY))
    assert outcomes == ["ok"] * 5
    pool, now = world.pool, world.view_now
    decision = decide(pool, "carol", "alice", now)
    assert decision is not None and decision.action is not None, decision
    assert decision.action.collateral == "WETH"
    assert pool.price_wad("TKN", now) * 10_000 < pool.price_wad("WETH", now) * 3
    assert pool.feeds["TKN"].answer > 3 * pool.primary_feed("TKN", now).answer  # the stored round predates the dump
