"""Caller-controlled uint256 values entering int256 in the margin engine, on both twins in process.

Solidity 0.8's ``int256(x)`` of a uint256 wraps at 2^255 instead of reverting, and the exact twin's unbounded
integers neither wrap nor overflow. PerpEngine converts such values with SafeCast (``SafeCastOverflowedUintToInt``)
and its signed and unsigned arithmetic is checked (``Panic(0x11)``); the twin raises the same names at the same
points. Each case below runs one call on the in-process chain and in the model: both revert by the same name, and
neither's state moves (every readable field compared).
"""

from __future__ import annotations

import copy

import pytest

from protocol_model.chain.inprocess_world import deploy_perp_in_process
from protocol_model.exact.math_lib import WAD
from protocol_model.scenario.perp import perp_scenario_on
from protocol_model.scenario.perp_fuzz import FUZZ_ACCOUNTS, PERP_FUZZ_PROTOCOL
from protocol_model.scenario.protocol import load_protocol
from protocol_model.world.perp_world import PerpAction
from tests.crosscheck.test_perp_fuzz import funded

WHALE_UNITS = 10**65
"""alice's token units: enough that ``amount × unitScale`` (10^12 for the 6-decimal settlement token) passes 2^255
while the transfer in would still succeed, so a wrapped cast would be credited, not stopped by the token."""
SCALE = 10**12
AT_2_255 = -(-(2**255) // SCALE)
"""The fewest token units whose WAD value reaches 2^255."""
PAST_UINT = 2**256 // SCALE + 1
"""The fewest token units whose WAD value overflows uint256."""


@pytest.fixture(scope="module")
def whale_world():
    """The fuzz scenario's markets on the in-process chain, alice holding WHALE_UNITS, every account funded."""
    accounts = [{"name": n, "balance": str(WHALE_UNITS // 10**6) if n == "alice" else "1000000"}
                for n in FUZZ_ACCOUNTS]
    scenario = perp_scenario_on(load_protocol(PERP_FUZZ_PROTOCOL), {"name": "perp_int_casts", "accounts": accounts})
    assert scenario.collateral.decimals == 6
    return funded(deploy_perp_in_process(scenario), scenario)


def run_both(world_and_model, actions: list[PerpAction]) -> list[tuple[str, str]]:
    """Apply ``actions`` to both twins (one second apart) from a chain snapshot, checking every field after each;
    the last must leave both states as they were before it. Returns the (model, chain) outcomes; the chain is
    restored afterwards."""
    world, base = world_and_model
    snap = world.driver.snapshot()
    model, now, outcomes = copy.deepcopy(base), world.now(), []
    try:
        for i, action in enumerate(actions):
            now += 1
            before_model, before_chain = model.snapshot(), world.snapshot()
            outcomes.append((model.apply(action, now), world.apply(action, now)))
            assert not model.snapshot().diff(world.snapshot()), f"{action.describe()}: {outcomes[-1]}"
            if i == len(actions) - 1:
                assert not before_model.diff(model.snapshot()), f"{action.describe()} moved the model"
                assert not before_chain.diff(world.snapshot()), f"{action.describe()} moved the chain"
    finally:
        world.driver.restore(snap)
    return outcomes


@pytest.mark.parametrize(("kind", "amount", "expected"), [
    ("deposit", AT_2_255, "SafeCastOverflowedUintToInt"),
    ("deposit", PAST_UINT, "Panic(0x11)"),
    ("withdraw", AT_2_255, "SafeCastOverflowedUintToInt"),
    ("withdraw", 2**256 - 1, "Panic(0x11)"),
    ("fund_insurance", PAST_UINT, "Panic(0x11)"),
])
def test_collateral_amount_past_int256_reverts_alike(whale_world, kind, amount, expected):
    """A deposit or withdraw whose ``amount × unitScale`` reaches 2^255 (a plain cast credited a negative deposit
    and let a withdraw pass the balance check, raising the balance) or overflows uint256."""
    assert amount <= WHALE_UNITS or expected == "Panic(0x11)"
    [(model_out, chain_out)] = run_both(whale_world, [PerpAction(kind, "alice", amount=amount)])
    assert model_out == chain_out == expected


@pytest.mark.parametrize(("size", "price", "expected"), [
    (2**255, WAD, "SafeCastOverflowedUintToInt"),
    (2**256 - 1, WAD, "SafeCastOverflowedUintToInt"),
    (2**255 - 1, WAD, "Panic(0x11)"),  # fits int256; size × price does not
    (WAD, 2**256 - 1, "Panic(0x11)"),  # priceWad + band overflows uint256 in the band check
])
def test_trade_size_past_int256_reverts_alike(whale_world, size, price, expected):
    """The operator's ``trade`` with ``sizeWad`` at or above 2^255 (a plain cast filled the buyer with a negative
    size) or an int256/uint256 product or sum out of range. The index is first set to $1 so that the fee
    ``⌈size·price/WAD⌉`` still fits uint256 and the cast itself is what decides."""
    asset = whale_world[1].engine.markets[0].index_asset
    outcomes = run_both(whale_world, [
        PerpAction("price", asset=asset, answer=10**8),
        PerpAction("trade", market=0, buyer="bob", seller="carol", size_wad=size, price_wad=price),
    ])
    assert outcomes[0] == ("ok", "ok")
    assert outcomes[1] == (expected, expected)


def snapshot_outcome(read) -> str:
    """'ok' or the name of the revert a snapshot read raised (model error or in-process view revert)."""
    try:
        read()
    except Exception as err:  # noqa: BLE001 - both twins' revert types carry the revert's name
        name = getattr(err, "name", None)
        if name is None:
            raise
        return name
    return "ok"


def test_lens_field_past_int256_reverts_alike(whale_world):
    """PerpLens reads uint256 fields into int256 tables. A plain ``int256(x)`` wrapped an insurance fund of 2^255
    WAD or more to a negative number (the model read it positive: a false mismatch, or a wrong table). Through
    SafeCast the whole snapshot reverts ``SafeCastOverflowedUintToInt`` on chain, and the model's snapshot raises the
    same; one wei below the bound both read the fund as it is."""
    world, base = whale_world
    snap = world.driver.snapshot()
    model, now = copy.deepcopy(base), world.now()
    try:
        below = (2**255 - 1) // SCALE  # the fund one token unit short of 2^255 WAD
        for units, expected in ((below, "ok"), (AT_2_255 - below, "SafeCastOverflowedUintToInt")):
            now += 1
            action = PerpAction("fund_insurance", "alice", amount=units)
            assert (model.apply(action, now), world.apply(action, now)) == ("ok", "ok")
            assert (snapshot_outcome(model.snapshot), snapshot_outcome(world.snapshot)) == (expected, expected)
            if expected == "ok":
                fund = model.engine.insurance_fund_wad
                assert world.snapshot().field("global", None, "insurance_fund_wad") == fund == below * SCALE
                assert not model.snapshot().diff(world.snapshot())
        assert model.engine.insurance_fund_wad >= 2**255
    finally:
        world.driver.restore(snap)
