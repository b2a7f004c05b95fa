"""The in-process world's fast full-state read (``InProcessWorld.snapshot``): stored fields straight from revm
storage at the compiler's slots, computed fields from the lenses when the state moved.

It must equal the lens-only read at every state, catch a one-wei change in ANY storage-read field (even when
nothing tells the world that the state changed), and refuse a wrong storage map instead of reading it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_bench import bench_inprocess_sampled, random_actions
from protocol_model.chain.inprocess_storage import Word, WordReads, mapping_slot
from protocol_model.chain.inprocess_world import (
    STORED_ASSET_FIELDS,
    STORED_POSITION_FIELDS,
    InProcessWorld,
    LensMismatch,
    deploy_in_process,
    model_stored_fields,
    stored_fields,
)
from protocol_model.scenario.story import load_scenario
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.snapshot import ASSET_FIELDS, POSITION_FIELDS

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"


@pytest.fixture(scope="module")
def played() -> tuple[InProcessWorld, ModelWorld, int]:
    """The default scenario after 150 seeded random operations (positions, debt, reserves all non-zero)."""
    scenario = load_scenario(DEFAULT)
    world = deploy_in_process(scenario, InProcessChain(Artifacts.load()))
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    model.view_now = now = world.now()
    for action in random_actions(scenario, 150, seed=3):
        now += action.seconds if action.kind == "warp" else 1
        assert model.apply(action, now) == world.apply(action, now)
    assert model.snapshot() == world.snapshot()
    return world, model, now


def field_names(world: InProcessWorld) -> list[tuple[str, object, str]]:
    """(table, key, field) of each stored read, in read order."""
    names = [a.name for a in world.scenario.assets]
    accts = [a.name for a in world.scenario.accounts]
    out: list[tuple[str, object, str]] = [("asset", n, ASSET_FIELDS[i]) for n in names for i in STORED_ASSET_FIELDS]
    out += [("position", (n, a), POSITION_FIELDS[i]) for n in names for a in accts for i in STORED_POSITION_FIELDS]
    return out


def test_fast_snapshot_equals_the_lens_read_after_every_step():
    """400 seeded operations: after each, the storage-backed snapshot equals the lens-only snapshot field for
    field, and the model's stored-field projection equals its snapshot's."""
    scenario = load_scenario(DEFAULT)
    world = deploy_in_process(scenario, InProcessChain(Artifacts.load()))
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    model.view_now = now = world.now()
    moved = 0
    for action in random_actions(scenario, 400, seed=11):
        now += action.seconds if action.kind == "warp" else 1
        model.apply(action, now)
        before = world.driver.state_key()
        world.apply(action, now)
        moved += world.driver.state_key() != before
        fast, lens = world.snapshot(), world.lens_snapshot()
        assert fast == lens, fast.diff(lens)[:5]
        assert model_stored_fields(model) == stored_fields(model.snapshot()) == world.stored_values()
    assert 50 < moved < 400, "both passing and reverting steps must occur"
    assert len(world.stored_reads()) == 3 * 8 + 9 * 4


def test_one_wei_in_any_stored_field_is_detected(played):
    """Every storage-read field in turn: add one unit at its place in its storage word (flip it, for a one-bit
    flag such as the collateral consent), behind the world's back (no ``state_changed``: the cached views
    stay), and the comparison must name exactly that field."""
    world, model, _ = played
    chain = world.driver
    expected = model.snapshot()
    names = field_names(world)
    reads = world.stored_reads().reads
    assert len(names) == len(reads)
    for (address, word), (table, key, name) in zip(reads, names, strict=True):
        saved = chain.snapshot()
        old = chain.storage_at(address, word.slot)
        new = old ^ (1 << word.bit) if word.bit is not None else old + (1 << (8 * word.offset))
        chain.evm.insert_account_storage(address, word.slot, new)
        diff = expected.diff(world.snapshot())
        assert f"{table} {key}.{name}: " in "\n".join(diff), (table, key, name, diff)
        assert len(diff) == 1, diff
        chain.restore(saved)
        assert expected == world.snapshot()


def test_a_consent_flipped_in_the_twin_only_is_named(played):
    """The collateral consent is compared per position: after the random play both values occur on the chain, and
    giving the twin alone a consent it lacks (on a position without supply: no value moves) is named as exactly
    ``collateral_consent`` of that position; taking a held one away is named too."""
    world, model, _ = played
    consent = {key: row[POSITION_FIELDS.index("collateral_consent")] for key, row in world.snapshot().positions.items()}
    assert set(consent.values()) == {0, 1}, consent
    pool = model.pool
    (asset, acct) = next(k for k, v in consent.items() if not v and not pool.scaled_supply.get(k, 0))
    held = next(k for k, v in consent.items() if v)
    try:
        pool.collateral_use.add((acct, asset))
        assert model.snapshot().diff(world.snapshot()) == [f"position {(asset, acct)}.collateral_consent: 1 != 0"]
        pool.collateral_use.discard((acct, asset))
        pool.collateral_use.discard((held[1], held[0]))
        assert f"position {held}.collateral_consent: 0 != 1" in model.snapshot().diff(world.snapshot())
    finally:
        pool.collateral_use.discard((acct, asset))
        pool.collateral_use.add((held[1], held[0]))
    assert model.snapshot() == world.snapshot()


def test_a_changed_state_rereads_the_views(played):
    """A poke that declares itself (``set_storage``) makes the next snapshot re-read the views: a supply index
    doubled changes the supply balances the pool computes, and the comparison reports them too."""
    world, model, _ = played
    chain, pool = world.driver, str(world.pool.address)
    first = world.scenario.assets[0].name
    address, word = world.stored_reads().reads[2]  # the first asset's supplyIndexRay
    assert address == pool and field_names(world)[2] == ("asset", first, "supply_index_ray")
    base = word.slot
    saved = chain.snapshot()
    chain.set_storage(pool, base, chain.storage_at(pool, base) * 2)
    diff = model.snapshot().diff(world.snapshot())
    chain.restore(saved)
    assert any(f"asset {first}.supply_index_ray" in d for d in diff), diff
    assert any(".supply_balance" in d for d in diff), "the views were not read again"
    assert model.snapshot() == world.snapshot()


def test_a_wrong_storage_map_is_refused(played):
    """A storage map with one slot off by one is caught by the comparison with the lens-only read, both when
    asked (``verify_against_lens``) and by the periodic check of ``snapshot`` (its first view read)."""
    world, _, _ = played
    good = world.stored_reads()
    (address, word), *rest = good.reads
    try:
        world._stored = WordReads([(address, Word(word.slot + 1, word.offset, word.size)), *rest])
        with pytest.raises(LensMismatch, match="storage read #0 .* the storage map is wrong"):
            world.verify_against_lens()
        world._view_reads = 0  # the next view read is a checked one
        world.driver.state_changed()
        with pytest.raises(LensMismatch, match="storage map is wrong"):
            world.snapshot()
    finally:
        world._stored = good
        world.driver.state_changed()
    assert world.verify_against_lens() == world.lens_snapshot()


def test_the_view_lens_agrees_with_pool_lens(played):
    """The computed fields from PoolViewLens.views equal PoolLens.snapshot's, and a fast read whose views are
    wrong is refused by the check against the lens."""
    world, _, _ = played
    world.driver.state_changed()
    fast = world.snapshot()
    assert world._viewer is not None, "the build has no PoolViewLens: the fast path was not taken"
    assert fast == world.lens_snapshot()
    first = world.scenario.accounts[0].name
    views = world._views
    assert views is not None
    bad = dict(views.accounts)
    bad[first] = (bad[first][0], bad[first][1] + 1, *bad[first][2:])
    with pytest.raises(LensMismatch, match="view lens disagrees"):
        world.verify_against_lens(world._assemble(world.stored_values(), replace(views, accounts=bad)))


def test_mapping_slot_follows_solidity():
    """``mapping_slot`` is keccak(pad32(key) . pad32(slot)): the OpenZeppelin 5 ERC-20 balance of a holder at
    mapping slot 0 is found where the token's ``balanceOf`` reads it."""
    chain = InProcessChain(Artifacts.load())
    deployer, holder = chain.accounts[0], chain.accounts[1]
    token = chain.deploy(chain.project.MockERC20, "T", "T", 18, sender=deployer)
    token.mint(holder.address, 12345, sender=deployer)
    assert chain.storage_at(token.address, mapping_slot(0, holder.address)) == 12345 == token.balanceOf(holder.address)


def test_sampled_mode_is_labelled_and_agrees():
    """The sampled bench mode (stored fields every op, full comparison every N and at the end) says so in its
    label and finds no mismatch."""
    result = bench_inprocess_sampled(120, seed=5, full_every=10)
    assert "sampled" in result.backend and result.mismatches == 0 and result.operations == 120


def test_layout_cache_is_rebuilt_when_stale_or_broken(tmp_path, monkeypatch):
    """A broken cache file, or one made from another build, is replaced by a fresh compile; a current one is
    used without compiling."""
    from protocol_model.chain import inprocess_storage as st

    cache = tmp_path / "layout.json"
    cache.write_text("{not json")
    fresh = st.storage_layouts(cache=cache)
    assert fresh["MockERC20"].variable("_balances")[0].slot == 0  # OpenZeppelin 5's ERC20: first variable
    saved = cache.read_text()
    cache.write_text(saved.replace('"manifest": "', '"manifest": "stale', 1))
    st.storage_layouts(cache=cache)
    assert cache.read_text() == saved, "a stale cache was not rebuilt"

    def no_compile(*_: object) -> None:
        raise AssertionError("compiled although the cache is current")

    monkeypatch.setattr(st, "compile_layouts", no_compile)
    assert st.storage_layouts(cache=cache)["LendingPool"].variable("_markets")[0] == \
        fresh["LendingPool"].variable("_markets")[0]
