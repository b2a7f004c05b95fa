"""The in-process chain (revm): the lending world deployed from ape's compiled bytecode agrees with the exact
model to the wei after every step of a story and of a seeded random run, with the model's revert names; and
the driver's promises (block time control, snapshot/restore, revert names, logs, storage) hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.inprocess import Call, ChainCallFailed, InProcessChain, TransactionReverted
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_bench import random_actions
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.replay import Replay
from protocol_model.scenario.story import load_scenario
from protocol_model.world.model_world import ModelWorld, resolve

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
STORIES = sorted(SCENARIOS.glob("*.yaml")) + [
    p for d in ("stories", "oracle", "loops") for p in sorted((SCENARIOS / d).glob("*.yaml"))]
"""Every lending story: the pool kinds, oracle policies and failure modes, AMM pairs and the Looper."""


@pytest.fixture(scope="module")
def artifacts() -> Artifacts:
    return Artifacts.load()


def twins(path: Path, artifacts: Artifacts) -> tuple[ChainWorld, ModelWorld, int]:
    scenario = load_scenario(path)
    world = deploy_in_process(scenario, InProcessChain(artifacts))
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    model.view_now = world.now()
    assert model.snapshot().diff(world.snapshot()) == [], "model and chain differ after deployment"
    return world, model, world.now()


@pytest.mark.parametrize("path", STORIES, ids=[f"{p.parent.name}/{p.stem}" for p in STORIES])
def test_story_agrees_to_the_wei(path, artifacts):
    """``ChainWorld`` on the in-process chain, through the same step registry as on anvil: every step has the
    same outcome on both twins (ok or the same error name, as the file expects) and every field (pool, and
    pairs and holdings for AMM stories) is equal."""
    scenario = load_scenario(path)
    replay = Replay.start(scenario, deploy_in_process(scenario, InProcessChain(artifacts)))
    replay.run()
    assert replay.results, "a story with no steps proves nothing"
    for r in replay.results:
        where = f"step {r.index} {r.action.describe()}"
        assert (r.model, r.chain) == (r.expected, r.expected), f"{where}: model {r.model}, chain {r.chain}"
        assert not r.mismatches, f"{where}: {r.mismatches[:5]}"
    assert replay.mismatches == 0


def test_default_story_reaches_liquidation(artifacts):
    """The default story really moves state: after its liquidation carol holds seized WETH and the pool earned
    interest (a check that the comparison is not over an idle pool)."""
    world, model, now = twins(SCENARIOS / "default.yaml", artifacts)
    for step in world.scenario.steps:
        action = resolve(step, world.scenario)
        now += action.seconds if action.kind == "warp" else 1
        model.apply(action, now), world.apply(action, now)
    snap = world.snapshot()
    assert snap.field("position", ("WETH", "carol"), "token_balance") > 0  # the seized collateral
    assert snap.field("asset", "USDC", "reserves") > 0
    assert snap.field("asset", "USDC", "borrow_index_ray") > 10**27


def test_random_run_agrees(artifacts):
    """400 seeded random operations (every lending kind, amounts 1..9e22 units, prices 50..150%): outcome and
    full state agree after each, and both passing calls and several distinct reverts occur."""
    world, model, now = twins(SCENARIOS / "default.yaml", artifacts)
    outcomes = set()
    for action in random_actions(world.scenario, 400, seed=7):
        now += action.seconds if action.kind == "warp" else 1
        expected, got = model.apply(action, now), world.apply(action, now)
        assert expected == got, f"{action.describe()}: model {expected}, chain {got}"
        diff = model.snapshot().diff(world.snapshot())
        assert not diff, f"{action.describe()}: {diff[:5]}"
        outcomes.add(got)
    assert "ok" in outcomes and len(outcomes) >= 5, outcomes


def test_send_mines_at_the_asked_time_and_a_revert_mines_nothing(artifacts):
    world, _, now = twins(SCENARIOS / "default.yaml", artifacts)
    chain, bob = world.driver, world.signers["bob"]
    head = chain.block_number
    reverted = chain.send(Call(world.pool, "borrow", (world.tokens["USDC"], 1), bob), now + 100)
    assert reverted.name == "InsufficientLiquidity" and not reverted.ok  # an empty pool
    assert (chain.block_number, chain.now()) == (head, now), "a revert mined a block"
    passed = chain.send(Call(world.pool, "supply", (world.tokens["USDC"], 10**6, bob), bob), now + 100)
    assert passed.ok and (chain.block_number, chain.now()) == (head + 1, now + 100)
    assert chain.block_time(head + 1) == now + 100
    # lastUpdate records the block time of the borrow that gives the asset debt (docs/SPEC.md §3.3)
    assert chain.send(Call(world.pool, "borrow", (world.tokens["USDC"], 1), bob), now + 101).ok
    assert world.pool.getAssetState(world.tokens["USDC"])[6] == now + 101, "lastUpdate is the block's time"
    with pytest.raises(ChainCallFailed):
        chain.send(Call(world.pool, "supply", (world.tokens["USDC"], 1, bob), bob), now + 99)


def test_snapshot_restore_puts_state_and_time_back(artifacts):
    world, _, now = twins(SCENARIOS / "default.yaml", artifacts)
    chain, bob, usdc = world.driver, world.signers["bob"], world.tokens["USDC"]
    before = world.snapshot()
    outer = chain.snapshot()
    chain.send(Call(world.pool, "supply", (usdc, 10**9, bob), bob), now + 10)
    inner = chain.snapshot()
    chain.send(Call(world.pool, "supply", (usdc, 10**9, bob), bob), now + 20)
    chain.restore(outer)  # drops ``inner`` too, as anvil does
    assert world.snapshot() == before and chain.now() == now
    with pytest.raises(KeyError):
        chain.restore(inner)
    with pytest.raises(KeyError):
        chain.restore(outer)  # consumed
    again = chain.snapshot()
    chain.send(Call(world.pool, "supply", (usdc, 10**9, bob), bob), now + 5)
    assert world.snapshot() != before
    chain.restore(again)
    assert world.snapshot() == before


def test_logs_storage_and_transaction_reverts(artifacts):
    world, _, _ = twins(SCENARIOS / "default.yaml", artifacts)
    chain, d, bob, usdc = world.driver, world.deployer, world.signers["bob"], world.tokens["USDC"]
    receipt = usdc.mint(bob, 12345, sender=d)
    decoded = [chain.decode_log(log) for log in receipt.logs]
    assert decoded == [("Transfer", {"from": "0x" + "0" * 40, "to": bob.address.lower(), "value": 12345})]
    # ERC20 balances: OpenZeppelin 5's _balances mapping is slot 0
    slot = int.from_bytes(keccak(bytes(12) + bytes.fromhex(bob.address[2:]) + bytes(32)), "big")
    assert chain.storage_at(usdc.address, slot) == usdc.balanceOf(bob) > 12345
    with pytest.raises(TransactionReverted) as err:
        world.pool.borrow(usdc, 10**30, sender=bob)
    assert err.value.name == "InsufficientLiquidity"
    with pytest.raises(TransactionReverted) as err:
        world.pool.setPause(True, True, sender=bob)
    assert err.value.name == "AccessControlUnauthorizedAccount"


def test_uniswap_v2_pair_from_the_npm_artifacts(artifacts):
    """The Uniswap V2 factory and pair bytecode (solc 0.5.16, from node_modules) run in process; the pair's
    require strings come back as the revert's name."""
    chain = InProcessChain(artifacts)
    d = chain.accounts[0]
    a = chain.deploy(artifacts.MockERC20, "A", "A", 18, sender=d)
    b = chain.deploy(artifacts.MockERC20, "B", "B", 18, sender=d)
    factory = chain.deploy(artifacts.UniswapV2Factory, d, sender=d)
    factory.createPair(a, b, sender=d)
    pair = chain.at(artifacts.UniswapV2Pair, factory.getPair(a, b))
    a.mint(pair, 10**21, sender=d)
    b.mint(pair, 4 * 10**21, sender=d)
    pair.mint(d, sender=d)
    reserves = pair.getReserves()
    assert sorted(reserves[:2]) == [10**21, 4 * 10**21] and reserves[2] == chain.now()
    with pytest.raises(TransactionReverted) as err:
        pair.swap(10**21, 10**21, d, b"", sender=d)
    assert err.value.name == "UniswapV2: INSUFFICIENT_LIQUIDITY"


def test_fast_encoding_of_word_arrays_is_abi_encoding(artifacts):
    """The hand-written path (static words and arrays of them, e.g. ``PoolLens.snapshot``'s address arrays)
    gives exactly eth_abi's bytes, empty arrays included."""
    from eth_abi import encode

    fn = artifacts.PoolLens.functions["snapshot"][0]
    assert fn.fast_inputs
    pool, a, b = ("0x" + f"{i:040x}" for i in (7, 0xABC, 2**159 + 5))
    for args in [(pool, [a, b], [b]), (pool, [], []), (pool, [a], [a, b, pool])]:
        assert fn.encode(args) == fn.selector + encode(["address", "address[]", "address[]"], list(args)), args
