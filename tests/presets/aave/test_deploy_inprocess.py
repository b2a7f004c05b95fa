"""The real Aave V3 bytecode (npm @aave/core-v3 1.19.3) deploys on the in-process chain and a supply and a
borrow on the real pool agree with the twin to the wei (every observable of the lens)."""

from __future__ import annotations

import pytest

from protocol_model.chain.aave_v3.replay import AaveChainWorld
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.scenario.protocol import load_protocol
from protocol_model.world.aave_v3 import AaveAction


@pytest.fixture(scope="module")
def world():
    chain = InProcessChain()
    market = load_protocol("aave_v3_market").aave_v3.params()  # type: ignore[union-attr]
    balances = {"alice": {"WETH": 10 * 10**18}, "bob": {"USDC": 100_000 * 10**6}}
    return AaveChainWorld.deploy(chain, market, chain.accounts, ["alice", "bob"], balances)


def test_supply_and_borrow_on_the_real_pool_agree(world):
    chain = world.driver
    listed = [a.lower() for a in chain.view(world.market.pool, "getReservesList")]
    assert listed == [t.address.lower() for t in world.market.tokens.values()]
    t = chain.now()
    steps = [AaveAction("supply", "bob", "USDC", 50_000 * 10**6), AaveAction("supply", "alice", "WETH", 10**19),
             AaveAction("borrow", "alice", "USDC", 12_000 * 10**6),
             AaveAction("borrow", "alice", "USDC", 5_000 * 10**6)]
    outcomes = []
    for i, action in enumerate(steps):
        t += 3600
        result = world.step(i, action, t)
        assert result.agrees, (result.model, result.chain, result.mismatches[:5])
        outcomes.append(result.chain)
    assert outcomes == ["ok", "ok", "ok", "36"]
    data = chain.view(world.market.pool, "getUserAccountData", world.accounts["alice"].address)
    assert data[0] == 20_000 * 10**8 and data[1] == 12_000 * 10**8
    assert chain.view(world.market.tokens["USDC"], "balanceOf", world.accounts["alice"].address) == 12_000 * 10**6
