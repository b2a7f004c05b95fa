"""Chain -> preset twin importers on a fork of a local anvil where real Aave V3 (npm @aave/core-v3 1.19.3) and
real Morpho Blue 1.0.0 were deployed and used (tests/fork/presets_fixture.py): the imported twin equals every
observable of the chain at the imported block, and its predictions of a price move (who is liquidatable,
repaid, seized, protocol fee, bad debt) happen on the fork to the wei."""

from __future__ import annotations

from decimal import Decimal

import pytest

from protocol_model.chain import morpho_importer
from protocol_model.chain.aave_v3 import importer as aave_importer
from protocol_model.chain.aave_v3.deploy import ape_instance
from protocol_model.chain.aave_v3.importer import import_aave, predict_aave_price_move
from protocol_model.chain.driver import GAS_LIMIT, Call, connect
from protocol_model.chain.importer import event_topic
from protocol_model.chain.morpho_blue import compare
from protocol_model.chain.morpho_importer import (
    chain_world,
    event_topic0,
    handle,
    import_morpho,
    predict_morpho_price_move,
)
from protocol_model.chain.record import signer_for
from protocol_model.exact.presets.aave_v3.percentage_math import percent_mul
from protocol_model.scenario.morpho_blue import oracle_price
from protocol_model.scenario.protocol import load_protocol
from protocol_model.world.aave_v3 import MAX, TREASURY

from .presets_fixture import AAVE_PROTOCOL, MORPHO_PROTOCOL, NAMES

USD = 10**8  # AaveOracle's base currency unit


@pytest.fixture
def driver(preset_fork, project):
    return connect(project)


def _words(data, n: int) -> tuple[int, ...]:
    """The first ``n`` 32-byte words of a log's data, as integers."""
    raw = bytes(data)
    return tuple(int.from_bytes(raw[32 * i:32 * i + 32], "big") for i in range(n))


# ----------------------------------------------------------------------------------------------- Aave V3

def _import_aave(rec, **kw):
    return import_aave(rec["pool"], labels={a: n for n, a in rec["accounts"].items()},
                       extra_accounts=[rec["accounts"]["keeper"]], from_block=rec["deploy_block"], **kw)


@pytest.fixture
def aave(preset_fork, presets_record, project):
    """The pool imported with its positions read through the lens (the batched path a live pool needs)."""
    return _import_aave(presets_record["aave"], project=project, lens=presets_record["aave"]["lens"])


def aave_chain_snapshot(driver, project, rec, imported) -> list[int]:
    """Every observable of the chain at its head, by the lens (the twin's order)."""
    lens = project.AaveV3Lens.at(rec["lens"])
    users = [imported.account_address[n] for n in imported.account_names]
    return list(driver.view(lens, "snapshot", rec["pool"], [imported.asset_address[a] for a in imported.asset_names],
                            users))


def test_aave_import_reproduces_every_observable(aave, driver, project, presets_record):
    rec = presets_record["aave"]
    assert aave.account_names == [*NAMES, TREASURY], "accounts from Supply/Borrow/Transfer logs (+ keeper)"
    assert aave.account_address[TREASURY] == rec["treasury"]
    assert aave.block_number == presets_record["block_number"]
    market = load_protocol(AAVE_PROTOCOL).aave_v3.params()
    assert aave.asset_names == [r.symbol for r in market.reserves]
    for r in market.reserves:
        got = aave.pool.reserves[r.symbol]
        assert (got.decimals, got.ltv, got.liquidation_threshold, got.liquidation_bonus, got.reserve_factor,
                got.liquidation_protocol_fee, got.supply_cap, got.borrow_cap, got.debt_ceiling,
                got.borrowable_in_isolation, got.borrowing_enabled, got.emode_category, got.strategy) == \
            (r.decimals, r.ltv, r.liquidation_threshold, r.liquidation_bonus, r.reserve_factor,
             r.liquidation_protocol_fee, r.supply_cap, r.borrow_cap, r.debt_ceiling, r.borrowable_in_isolation,
             r.borrowing_enabled, r.emode_category, r.rates), r.symbol
        assert aave.pool.prices[r.symbol] == r.price
    assert [(c, e.ltv, e.liquidation_threshold, e.liquidation_bonus) for c, e in aave.pool.emode_categories.items()] \
        == [(e.category_id, e.ltv, e.liquidation_threshold, e.liquidation_bonus) for e in market.emodes]
    assert aave.pool.users_emode == {"dave": 1}
    assert aave.pool.reserves["USDC"].liquidity_index > 10**27, "40 days of interest accrued"
    chain = aave_chain_snapshot(driver, project, rec, aave)
    assert aave.snapshot() == chain
    by_calls = _import_aave(rec)  # one call per account and reserve: the same twin
    assert by_calls.snapshot() == chain
    assert by_calls.pool.ledger.allowances == aave.pool.ledger.allowances
    # and the twin's views keep equal as time passes (interest accrues in both)
    later = aave.block_timestamp + 30 * 86_400
    driver.mine(later)
    assert aave.snapshot(later) == aave_chain_snapshot(driver, project, rec, aave)


def _execute_aave(driver, imported, prediction, presets_record):
    """The predicted price updates and liquidations on the fork at their times: each liquidation's
    ``LiquidationCall`` event (debt covered, collateral to the liquidator)."""
    for (asset, price), t in zip(prediction.prices.items(), prediction.price_times, strict=True):
        aggregator = driver.project.MockAggregator.at(imported.sources[asset])
        assert driver.send(Call(aggregator, "setAnswer", (price,), signer_for(presets_record["keeper"])), t).ok
    pool = ape_instance("Pool", presets_record["aave"]["pool"])
    keeper = signer_for(presets_record["keeper"])
    topic = event_topic(next(e for e in pool.contract_type.model_dump(mode="json", by_alias=True)["abi"]
                             if e.get("name") == "LiquidationCall"))
    events = []
    for liq in prediction.liquidations:
        a = imported.asset_address
        call = Call(pool, "liquidationCall", (a[liq.collateral], a[liq.debt], imported.account_address[liq.borrower],
                                              MAX, False), keeper)
        assert driver.send(call, liq.time).ok, liq
        block = driver.project.chain_manager.blocks.head.number
        logs = driver.project.chain_manager.provider.web3.eth.get_logs(
            {"address": pool.address, "fromBlock": block, "toBlock": block, "topics": [topic]})
        assert len(logs) == 1
        events.append(_words(logs[0]["data"], 2))
    return events


def test_aave_crash_prediction_happens_on_the_fork(aave, driver, project, presets_record):
    """WETH $2000 → $1000 and WBTC $60000 → $40000. By hand (before 40 days' interest): alice (8250 + 15000) /
    30000 = 0.78, bob 4125 / 7000 = 0.59, carol 30000 / 35000 = 0.86, dave (2475 + 1900) / 5000 = 0.88: all
    below 0.95 (close factor 100 %); erin (USDC collateral, WETH debt) gains. alice loses her 0.5 WBTC, then her
    10 WETH, and keeps ~1,700 USDC of debt; bob's 5 WETH cover 4,762 of his 7,100 DAI; dave loses 3 WETH then
    his DAI; carol's 1 WBTC covers all her debt. Aave 1.19.3 writes none of the rest off."""
    prices = {"WETH": 1000 * USD, "WBTC": 40000 * USD}
    prediction = predict_aave_price_move(aave, prices, "keeper", driver.now() + 1)
    assert prediction.liquidatable == ["alice", "bob", "carol", "dave"]
    assert [(p.borrower, p.collateral, p.debt) for p in prediction.liquidations] == [
        ("alice", "WBTC", "USDC"), ("alice", "WETH", "USDC"), ("bob", "WETH", "DAI"), ("carol", "WBTC", "USDC"),
        ("dave", "WETH", "USDC"), ("dave", "DAI", "USDC")]
    assert all(p.health_factor_wad < 95 * 10**16 for p in prediction.liquidations)
    assert all(p.amounts.protocol_fee > 0 for p in prediction.liquidations)
    assert prediction.bad_debt_written_off == 0
    assert set(prediction.debt_left_uncollateralised) == {("alice", "USDC"), ("bob", "DAI"), ("dave", "USDC")}
    bob_left = prediction.debt_left_uncollateralised[("bob", "DAI")]
    assert 2_300 * 10**18 < bob_left < 2_400 * 10**18  # 7,100 DAI + interest − 5 · 1000 / 1.05

    events = _execute_aave(driver, aave, prediction, presets_record)
    assert events == [(p.amounts.debt, p.amounts.collateral) for p in prediction.liquidations]
    chain = aave_chain_snapshot(driver, project, presets_record["aave"], aave)
    assert prediction.model.snapshot(driver.now()) == chain
    dai = ape_instance("Pool", presets_record["aave"]["pool"]).getReserveData(aave.asset_address["DAI"])
    bob = aave.account_address["bob"]
    assert ape_instance("VariableDebtToken", dai.variableDebtTokenAddress).balanceOf(bob) == bob_left, \
        "the debt stays on the books"
    weth = ape_instance("Pool", presets_record["aave"]["pool"]).getReserveData(aave.asset_address["WETH"])
    assert ape_instance("AToken", weth.aTokenAddress).balanceOf(bob) == 0


def test_aave_partial_close_above_095(aave, driver, project, presets_record):
    """WETH → $1650: bob 5 · 1650 · 0.825 / 7100 = 0.959 (less with interest, still above 0.95): the close factor
    is 50 %, the keeper's max request is cut to half his DAI debt; nobody else is liquidatable."""
    prediction = predict_aave_price_move(aave, {"WETH": 1650 * USD}, "keeper", driver.now() + 1)
    assert prediction.liquidatable == ["bob"]
    first = prediction.liquidations[0]
    assert 95 * 10**16 < first.health_factor_wad < 10**18
    debt = aave.pool.at(first.time).variable_debt_balance("DAI", "bob")
    assert first.amounts.debt == percent_mul(debt, 5_000)
    assert prediction.debt_left_uncollateralised == {}
    events = _execute_aave(driver, aave, prediction, presets_record)
    assert events == [(p.amounts.debt, p.amounts.collateral) for p in prediction.liquidations]
    assert prediction.model.snapshot(driver.now()) == aave_chain_snapshot(driver, project, presets_record["aave"], aave)


# ----------------------------------------------------------------------------------------------- Morpho Blue

@pytest.fixture
def morpho(preset_fork, presets_record):
    rec = presets_record["morpho"]
    labels = {a: n for n, a in [*rec["accounts"].items(), *rec["tokens"].items()]}
    return import_morpho(rec["morpho"], labels=labels,
                         extra_accounts=[rec["accounts"]["keeper"]], from_block=rec["deploy_block"])


def test_morpho_import_reproduces_every_observable(morpho, driver, presets_record):
    rec = presets_record["morpho"]
    assert {n: "0x" + i.hex() for n, i in morpho.ids.items()} == rec["markets"], "markets from CreateMarket logs"
    assert morpho.account_names == ["lp", "alice", "bob", "dave", "carol", "treasury", "keeper"]
    spec = load_protocol(MORPHO_PROTOCOL).morpho
    for name, m in spec.markets.items():
        p, state = morpho.params[name], morpho.morpho.market[morpho.ids[name]]
        assert (p.lltv, state.fee) == (m.lltv, m.fee)
        assert morpho.morpho.oracles[p.oracle].price == spec.market_price(name)
    usdc = morpho.morpho.market[morpho.ids["wstETH_USDC"]]
    assert usdc.total_borrow_assets > (27_300 - 500) * 10**6, "borrowed 27,300, 500 repaid, 30 days of interest"
    fee_shares = morpho.morpho.position[(morpho.ids["wstETH_USDC"], rec["accounts"]["treasury"])].supply_shares
    assert fee_shares > 0, "the fee recipient's shares (no event) are found"
    world = chain_world(driver, morpho)
    assert compare(world.observe(), morpho.observe()) == []


def _execute_morpho(driver, imported, prediction, presets_record):
    """Predicted oracle prices and liquidations on the fork; each ``Liquidate`` event's five amounts."""
    keeper = signer_for(presets_record["keeper"])
    for (market, price), t in zip(prediction.prices.items(), prediction.price_times, strict=True):
        oracle = handle("OracleMock", imported.params[market].oracle)
        assert driver.send(Call(oracle, "setPrice", (price,), keeper), t).ok
    m = handle("Morpho", imported.addresses.morpho)
    events = []
    for liq in prediction.liquidations:
        call = Call(m, "liquidate", (imported.params[liq.market].as_tuple(), imported.addresses.accounts[liq.borrower],
                                     liq.seized_arg, liq.repaid_shares_arg, b""), keeper)
        assert driver.send(call, liq.time).ok, liq
        block = driver.project.chain_manager.blocks.head.number
        (log,) = driver.project.chain_manager.provider.web3.eth.get_logs(
            {"address": m.address, "fromBlock": block, "toBlock": block, "topics": [event_topic0("Liquidate")]})
        events.append(_words(log["data"], 5))
    return events


def _price(dollars: str) -> int:
    return oracle_price(Decimal(dollars), 6, 18)


def test_morpho_crash_prediction_happens_on_the_fork(morpho, driver, presets_record):
    """wstETH $3000 → $2250 (USDC market) and 1.18 → 0.8 WETH (WETH market). LIF at LLTV 86 % = 1.0438, at 94.5 %
    1.0168. alice owes 19,500 + interest > 10 · 2250 · 0.86 = 19,350, and her 10 wstETH cover 19,5xx · 1.0438 /
    2250 ≈ 9.07: closed by all her shares, no bad debt; bob's 2 wstETH < 5,000 · 1.0438 / 2250 = 2.32 and dave's 1
    < 2,300 · 1.0438 / 2250 = 1.07: seized entirely, the rest of their USDC debt is bad debt; carol's 5 wstETH <
    4 · 1.0168 / 0.8 = 5.08: seized entirely, WETH bad debt."""
    prices = {"wstETH_USDC": _price("2250"), "wstETH_WETH": oracle_price(Decimal("0.8"), 18, 18)}
    prediction = predict_morpho_price_move(morpho, prices, "keeper", driver.now() + 1)
    assert prediction.liquidatable == [("wstETH_USDC", "alice"), ("wstETH_USDC", "bob"), ("wstETH_USDC", "dave"),
                                       ("wstETH_WETH", "carol")]
    by = {p.borrower: p for p in prediction.liquidations}
    assert by["alice"].repaid_shares_arg > 0 and by["alice"].bad_debt_assets == 0
    for name in ("bob", "dave", "carol"):
        assert by[name].seized_arg > 0 and by[name].bad_debt_assets > 0 and by[name].bad_debt_shares > 0, name
    assert set(prediction.bad_debt_assets) == {"wstETH_USDC", "wstETH_WETH"}

    events = _execute_morpho(driver, morpho, prediction, presets_record)
    assert events == [(p.repaid_assets, p.repaid_shares, p.seized_assets, p.bad_debt_assets, p.bad_debt_shares)
                      for p in prediction.liquidations]
    assert compare(chain_world(driver, morpho).observe(), prediction.model.observe()) == []


def test_morpho_small_move_closes_one_position(morpho, driver, presets_record):
    """wstETH → $2800: bob 2 · 2800 · 0.86 = 4,816 < 5,000 + interest; 5,0xx · 1.0438 / 2800 = 1.87 ≤ 2 wstETH:
    closed by all his shares, he keeps the rest of his collateral, no bad debt; alice and dave stay healthy."""
    prediction = predict_morpho_price_move(morpho, {"wstETH_USDC": _price("2800")}, "keeper", driver.now() + 1)
    assert prediction.liquidatable == [("wstETH_USDC", "bob")]
    (liq,) = prediction.liquidations
    assert liq.bad_debt_assets == 0 and liq.seized_assets < 2 * 10**18
    events = _execute_morpho(driver, morpho, prediction, presets_record)
    assert events == [(liq.repaid_assets, liq.repaid_shares, liq.seized_assets, 0, 0)]
    assert compare(chain_world(driver, morpho).observe(), prediction.model.observe()) == []


def test_prices_made_settable_leave_the_twins_equal(aave, morpho, driver, project, presets_record):
    """The live recipe's price hook, run here on the local deployment: Aave's sources replaced through the ACL
    admin (made pool admin, impersonated), Morpho's oracles given OracleMock's code; both twins still equal the
    chain, and a new price published the settable way reaches the protocol."""
    old_sources = dict(aave.sources)
    aave_importer.make_prices_settable(project, aave)
    morpho_importer.make_prices_settable(morpho)
    assert all(aave.sources[a] != old_sources[a] for a in aave.asset_names)
    assert aave.snapshot(driver.now()) == aave_chain_snapshot(driver, project, presets_record["aave"], aave)
    assert compare(chain_world(driver, morpho).observe(), morpho.observe()) == []
    keeper = signer_for(presets_record["keeper"])
    project.MockAggregator.at(aave.sources["WETH"]).setAnswer(1234 * USD, sender=keeper, gas=GAS_LIMIT)
    oracle = ape_instance("AaveOracle", ape_instance("PoolAddressesProvider", ape_instance(
        "Pool", aave.pool_address).ADDRESSES_PROVIDER()).getPriceOracle())
    assert oracle.getAssetPrice(aave.asset_address["WETH"]) == 1234 * USD
    usdc_oracle = handle("OracleMock", morpho.params["wstETH_USDC"].oracle)
    usdc_oracle.setPrice(_price("2000"), sender=keeper, gas=GAS_LIMIT)
    assert usdc_oracle.price() == _price("2000")
