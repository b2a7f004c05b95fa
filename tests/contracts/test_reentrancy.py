"""A token that calls back into the pool from inside its own transfer: every entry point that moves
tokens must refuse the re-entry (OpenZeppelin ReentrancyGuard), whatever the inner call is."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from protocol_model.exact.lending.params import AssetConfig
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.story import parse_scenario

GUARD_SELECTOR = keccak(text="ReentrancyGuardReentrantCall()")[:4]
E18 = 10**18

SCENARIO = {
    "name": "reentrancy",
    "assets": [
        {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8000, "liquidation_threshold_bps": 8500,
         "liquidation_bonus_bps": 500},
        {"name": "WETH", "decimals": 18, "price_usd": "2000", "ltv_bps": 8000, "liquidation_threshold_bps": 8500,
         "liquidation_bonus_bps": 500},
    ],
    "accounts": [{"name": "alice", "balances": {"USDC": "100000"}}, {"name": "bob", "balances": {"WETH": "100"}}],
}


@pytest.fixture(scope="module")
def attack(project, admin, signers, deploy_world):
    world = deploy_world(parse_scenario(SCENARIO))
    pool, d = world.pool, admin
    evil = d.deploy(project.ReentrantERC20)
    feed = d.deploy(project.MockAggregator, 8, 100 * 10**8, "EVIL / USD")
    world.router.setFeed(evil, feed, sender=d)
    pool.listAsset(evil, world.rate_models["USDC"],
                   AssetConfig(7000, 7500, 500, 0, 1000, True, True, 0, 0).as_tuple(), sender=d)
    for who in ("alice", "bob"):
        evil.mint(signers[who], 1_000 * E18, sender=d)
        evil.approve(pool, UINT256_MAX, sender=signers[who])
    return world, evil, feed


def _reentries(pool, evil, world):
    """Inner calls the token tries: each is a nonReentrant entry point of the pool."""
    usdc = world.tokens["USDC"]
    return {
        "supply": pool.supply.encode_input(evil, E18, evil),
        "withdraw": pool.withdraw.encode_input(usdc, 1, evil),
        "borrow": pool.borrow.encode_input(usdc, 1),
        "repay": pool.repay.encode_input(usdc, 1, evil),
        "liquidate": pool.liquidate.encode_input(evil, usdc, usdc, 1),
    }


def test_every_token_moving_entry_point_refuses_reentry(attack, signers, admin):
    world, evil, feed = attack
    pool, alice, bob = world.pool, signers["alice"], signers["bob"]
    inner = _reentries(pool, evil, world)

    def armed(outer, inner_name, call):
        before = evil.attempts()
        evil.arm(pool, inner[inner_name], sender=admin)
        call()
        assert evil.attempts() == before + 1, f"{outer}: the token never called back"
        assert not evil.lastSucceeded(), f"{outer} -> {inner_name}: re-entry succeeded"
        assert bytes(evil.lastRevertData())[:4] == GUARD_SELECTOR, f"{outer} -> {inner_name}: not the guard"

    # supply (token pulled in), withdraw (token sent out)
    armed("supply", "withdraw", lambda: pool.supply(evil, 100 * E18, alice, sender=alice))
    armed("withdraw", "borrow", lambda: pool.withdraw(evil, 10 * E18, alice, sender=alice))
    # bob borrows EVIL against WETH (token sent out), repays part (token pulled in)
    pool.supply(world.tokens["WETH"], 10 * E18, bob, sender=bob)
    armed("borrow", "supply", lambda: pool.borrow(evil, 50 * E18, sender=bob))
    armed("repay", "liquidate", lambda: pool.repay(evil, 5 * E18, bob, sender=bob))
    # EVIL jumps 10x: bob is liquidatable; the liquidator's repayment pulls EVIL in
    feed.setAnswer(1_000 * 10**8, sender=admin)
    assert pool.healthFactor(bob) < 10**18
    armed("liquidate", "repay", lambda: pool.liquidate(bob, world.tokens["WETH"], evil, 5 * E18, sender=alice))
    assert evil.attempts() == 5
