"""Chain -> model importer on the fork: the imported engine equals the chain to the wei, and its
predictions of a price move (who is liquidatable, repaid, seized, fee, bad debt) happen on the fork."""

from __future__ import annotations

from decimal import Decimal

import pytest

from protocol_model.chain.importer import import_pool, predict_price_move
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.world.model_world import Action


@pytest.fixture
def imported(world, record, project):
    labels = {addr: name for name, addr in record.accounts.items()}
    return import_pool(project, record.pool, labels=labels, extra_accounts=[record.accounts["keeper"]])


def test_accounts_come_from_events(imported, record):
    """Every account with an opening position in the scenario file, found from Supply/Borrow events."""
    with_positions = {a.name for a in record.parsed_scenario().accounts if a.supplies or a.borrows}
    assert set(imported.account_names) == with_positions | {"keeper"}
    assert with_positions == {"lp", "alice", "bob", "carol", "dave", "erin"}


def test_parameters_match_the_scenario(imported, record):
    scenario = record.parsed_scenario()
    assert imported.asset_names == [a.name for a in scenario.assets]
    assert imported.pool.params == scenario.pool.params()
    for spec in scenario.assets:
        listed = imported.pool.assets[spec.name]
        assert listed.config == spec.config(), spec.name
        assert listed.rate == spec.rate.params(), spec.name
        assert listed.state.decimals == spec.decimals
        assert imported.pool.feeds[spec.name].answer == spec.answer()


def test_imported_engine_equals_the_chain(world, imported):
    assert imported.snapshot().diff(world.snapshot()) == []


def _execute(world, prediction):
    """Run the predicted price updates and liquidations on the fork at the predicted times."""
    out = []
    for (asset, answer), t in zip(prediction.answers.items(), prediction.price_times, strict=True):
        assert world.apply(Action("price", asset=asset, answer=answer), t) == "ok"
    for liq in prediction.liquidations:
        start = world.pool.chain_manager.blocks.head.number
        assert world.apply(liq.action, liq.time) == "ok", liq.action.describe()
        logs = list(world.pool.Liquidate.range(start + 1, start + 2))
        bad = list(world.pool.BadDebtWrittenOff.range(start + 1, start + 2))
        out.append((logs, bad))
    return out


def test_crash_prediction_happens_on_the_fork(world, imported):
    """WETH to $1000 from the deployed state. By hand: alice 10·1000·0.825/12000 = 0.69 and dave
    3·1000·0.825/4700 = 0.53 fall below 1; both need more WETH than they hold (12.6 > 10, 4.935 > 3), so
    both are seized entirely and the rest of their USDC debt is written off. carol (1.84), erin (2.51) and
    bob (WBTC only) stay healthy."""
    answers = {"WETH": usd_to_answer("1000")}
    prediction = predict_price_move(imported, answers, "keeper", world.now() + 1)
    assert prediction.liquidatable == ["alice", "dave"]
    assert [p.action.borrower for p in prediction.liquidations] == ["alice", "dave"]
    for p in prediction.liquidations:
        assert (p.action.collateral, p.action.debt) == ("WETH", "USDC")
        assert p.amounts.scaled_seized == imported.pool.scaled_supply[("WETH", p.action.borrower)], "seize-all"
        assert [b.asset for b in p.bad_debt] == ["USDC"] and p.bad_debt[0].amount > 0
    alice = prediction.liquidations[0]
    # repaid = ⌈⌈10 WETH / 1.05⌉ · 1000 USD⌉ in USDC units: 9,523.809524 USDC (independent of interest)
    assert alice.amounts.repaid == 9_523_809_524

    executed = _execute(world, prediction)
    for p, (logs, bad) in zip(prediction.liquidations, executed, strict=True):
        assert len(logs) == 1
        ev = logs[0]
        assert (ev.repaid, ev.seized, ev.protocolFee) == (p.amounts.repaid, p.amounts.seized, p.amounts.protocol_fee)
        assert [(b.amount, b.fromReserves, b.fromSuppliers) for b in bad] == \
            [(b.amount, b.from_reserves, b.from_suppliers) for b in p.bad_debt]
    assert prediction.model.snapshot().diff(world.snapshot()) == []


@pytest.mark.parametrize("asset,price_usd,expected", [
    ("WETH", "1900", []),          # dave 3·1900·0.825/4700 = 1.0005: still healthy
    ("WETH", "1890", ["dave"]),    # 0.9952: partial (close factor), no bad debt
    ("WBTC", "48000", ["bob"]),    # 0.936: below the 0.95 full-close line
])
def test_smaller_moves(world, imported, asset, price_usd, expected):
    answers = {asset: usd_to_answer(Decimal(price_usd))}
    prediction = predict_price_move(imported, answers, "keeper", world.now() + 1)
    assert prediction.liquidatable == expected
    assert all(not p.bad_debt for p in prediction.liquidations)
    _execute(world, prediction)
    assert prediction.model.snapshot().diff(world.snapshot()) == []
    for name in imported.account_names:
        assert world.snapshot().field("account", name, "health_factor_wad") >= 10**18 or name in expected
