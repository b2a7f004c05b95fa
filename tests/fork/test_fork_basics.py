"""The fork is the upstream at the pinned block, and tests may change it."""

from __future__ import annotations

from protocol_model.chain.state import rpc
from protocol_model.world.model_world import Action

from .conftest import PINNED_BLOCK


def test_fork_is_the_upstream_at_the_pinned_block(fork, record, upstream_url, upstream_at_start, lens_call):
    head = fork.blocks.head
    assert head.number == PINNED_BLOCK == record.block_number
    assert head.hash.hex().removeprefix("0x") == record.block_hash.removeprefix("0x")
    assert upstream_at_start["hash"] == record.block_hash
    make = fork.provider.web3.provider.make_request
    assert make("eth_call", [lens_call, "latest"])["result"] == upstream_at_start["state"], \
        "the fork reads a different pool state than the upstream serves"


def test_tests_change_the_fork_freely(world, record, upstream_url, upstream_at_start):
    """A borrow and a price change land on the fork; the upstream does not see them."""
    scenario = world.scenario
    now = world.now() + 1
    before = world.snapshot()
    usdc = scenario.asset("USDC")
    assert world.apply(Action("borrow", "carol", "USDC", usdc.units("1000")), now) == "ok"
    assert world.apply(Action("price", asset="WETH", answer=150_000_000_000), now + 1) == "ok"
    after = world.snapshot()
    carol_debt = after.field("position", ("USDC", "carol"), "debt_balance")
    assert carol_debt > before.field("position", ("USDC", "carol"), "debt_balance") + usdc.units("999")
    assert after.field("asset", "WETH", "price_wad") == 1500 * 10**18
    assert int(rpc(upstream_url, "eth_blockNumber"), 16) == PINNED_BLOCK
