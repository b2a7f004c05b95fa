"""The Morpho Blue twin on its own (no chain): the constants, errors and formulas read against the npm package's
Solidity sources, and the journal's promise that a reverting call leaves every piece of state untouched."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from pathlib import Path

import pytest

from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.presets.morpho_blue import constants_lib, errors_lib
from protocol_model.exact.presets.morpho_blue.irm_mock import IrmMock
from protocol_model.exact.presets.morpho_blue.market_params_lib import MarketParams, market_id
from protocol_model.exact.presets.morpho_blue.math_lib import w_taylor_compounded
from protocol_model.exact.presets.morpho_blue.morpho import Morpho, liquidation_incentive_factor
from protocol_model.exact.presets.morpho_blue.oracle_mock import OracleMock
from protocol_model.exact.presets.morpho_blue.shares_math_lib import VIRTUAL_ASSETS, VIRTUAL_SHARES

SRC = Path(__file__).resolve().parents[2] / "node_modules" / "@morpho-org" / "morpho-blue" / "src"
WAD = 10**18
LOAN, COLL, ORACLE, IRM, MORPHO = ("0x" + c * 40 for c in "12345")
OWNER, ALICE, BOB, CAROL = ("0x" + c * 40 for c in "abcd")
PARAMS = MarketParams(LOAN, COLL, ORACLE, IRM, 86 * 10**16)


def _source(name: str) -> str:
    path = SRC / "libraries" / name
    if not path.exists():
        pytest.skip(f"{path} not installed (make setup)")
    return path.read_text()


def test_error_names_and_strings_are_errorslib():
    found = dict(re.findall(r'string internal constant (\w+) = "([^"]*)";', _source("ErrorsLib.sol")))
    assert len(found) == 24
    for name, reason in found.items():
        assert getattr(errors_lib, name).reason == reason, name
        assert getattr(errors_lib, name)().name == reason


def test_constants_are_constantslib():
    src = _source("ConstantsLib.sol") + _source("SharesMathLib.sol")
    values = {n: int(Decimal(v)) for n, v in re.findall(r"uint256 (?:internal )?constant (\w+) = ([0-9.e]+);", src)}
    assert values["MAX_FEE"] == constants_lib.MAX_FEE
    assert values["ORACLE_PRICE_SCALE"] == constants_lib.ORACLE_PRICE_SCALE
    assert values["LIQUIDATION_CURSOR"] == constants_lib.LIQUIDATION_CURSOR
    assert values["MAX_LIQUIDATION_INCENTIVE_FACTOR"] == constants_lib.MAX_LIQUIDATION_INCENTIVE_FACTOR
    assert (values["VIRTUAL_SHARES"], values["VIRTUAL_ASSETS"]) == (VIRTUAL_SHARES, VIRTUAL_ASSETS)


@pytest.mark.parametrize("lltv,lif", [
    (86 * 10**16, 1_043841336116910229),   # 1 / (1 - 0.3 x 0.14), rounded down
    (945 * 10**15, 1_016776817488561260),  # 1 / 0.9835
    (50 * 10**16, 1_150000000000000000),   # 1/0.85 = 1.176 is capped at 1.15
    (385 * 10**15, 1_150000000000000000),
])
def test_liquidation_incentive_factor(lltv, lif):
    assert liquidation_incentive_factor(lltv) == lif
    cursor_term = 3 * 10**17 * (WAD - lltv) // WAD
    assert liquidation_incentive_factor(lltv) == min(115 * 10**16, WAD * WAD // (WAD - cursor_term))


def test_taylor_compounding_is_three_terms_rounded_down():
    rate, year = WAD // (365 * 86400), 365 * 86400
    x = rate * year
    assert w_taylor_compounded(rate, year) == x + x * x // (2 * WAD) + (x * x // (2 * WAD)) * x // (3 * WAD)
    assert w_taylor_compounded(0, year) == 0


def test_market_id_is_keccak_of_the_five_words():
    from eth_abi import encode
    from eth_utils import keccak

    words = encode(["address", "address", "address", "address", "uint256"], list(PARAMS.as_tuple()))
    assert market_id(PARAMS) == keccak(words)


def _morpho() -> Morpho:
    ledger = Ledger()
    m = Morpho(ledger, MORPHO, OWNER, irms={IRM: IrmMock()}, oracles={ORACLE: OracleMock()})
    m.oracles[ORACLE].set_price(3000 * 10**36 * 10**6 // 10**18)
    m.enable_irm(OWNER, IRM)
    m.enable_lltv(OWNER, PARAMS.lltv)
    m.create_market(OWNER, PARAMS, 1000)
    m.set_fee_recipient(OWNER, CAROL)
    m.set_fee(OWNER, PARAMS, 10**17, 1000)
    for who in (ALICE, BOB):
        ledger.mint(LOAN, who, 10**12)
        ledger.mint(COLL, who, 10 * WAD)
        ledger.approve(LOAN, who, MORPHO, UINT256_MAX)
        ledger.approve(COLL, who, MORPHO, UINT256_MAX)
    m.supply(ALICE, PARAMS, 10**11, 0, ALICE, 1001)
    m.supply_collateral(BOB, PARAMS, WAD, BOB, 1002)
    m.borrow(BOB, PARAMS, 2 * 10**9, 0, BOB, BOB, 1003)
    return m


@pytest.mark.parametrize("call,error", [
    (lambda m: m.borrow(BOB, PARAMS, 10**9, 0, BOB, BOB, 90_000_000), "insufficient collateral"),
    (lambda m: m.withdraw(ALICE, PARAMS, 0, 10**30, ALICE, ALICE, 90_000_000), "Panic(0x11)"),
    (lambda m: m.withdraw(BOB, PARAMS, 1, 0, ALICE, BOB, 90_000_000), "unauthorized"),
    (lambda m: m.liquidate(ALICE, PARAMS, BOB, WAD // 10, 0, 90_000_000), "position is healthy"),
    (lambda m: m.repay(ALICE, PARAMS, 10**13, 0, BOB, 90_000_000), "Panic(0x11)"),
    (lambda m: m.set_fee(ALICE, PARAMS, 0, 90_000_000), "not owner"),
    (lambda m: m.set_fee(OWNER, PARAMS, 26 * 10**16, 90_000_000), "max fee exceeded"),
    (lambda m: m.create_market(OWNER, PARAMS, 90_000_000), "market already created"),
    (lambda m: m.supply(ALICE, PARAMS, 10**13, 0, ALICE, 90_000_000), "transferFrom reverted"),
])
def test_a_revert_leaves_every_piece_of_state_untouched(call, error):
    """Each call accrues interest (a write) before it reverts late: the journal must undo that too."""
    m = _morpho()
    before = copy.deepcopy((m.market, m.position, m.ledger.balances, m.ledger.allowances, m.is_authorized,
                            m.fee_recipient, m.oracles[ORACLE].price))
    with pytest.raises(errors_lib.PoolError) as info:
        call(m)
    assert info.value.name == error
    after = (m.market, m.position, m.ledger.balances, m.ledger.allowances, m.is_authorized, m.fee_recipient,
             m.oracles[ORACLE].price)
    assert after == before


def test_fee_is_minted_as_supply_shares_net_of_itself():
    m = _morpho()
    mid = market_id(PARAMS)
    before = copy.deepcopy(m.market[mid])
    m.accrue_interest(ALICE, PARAMS, 1003 + 365 * 86400)
    after = m.market[mid]
    interest = after.total_borrow_assets - before.total_borrow_assets
    assert interest > 0 and after.total_supply_assets - before.total_supply_assets == interest
    fee = interest * 10**17 // WAD
    shares = fee * (before.total_supply_shares + VIRTUAL_SHARES) // (after.total_supply_assets - fee + VIRTUAL_ASSETS)
    assert m.position[(mid, CAROL)].supply_shares == shares == after.total_supply_shares - before.total_supply_shares


def test_full_seizure_writes_off_the_rest_as_bad_debt():
    m = _morpho()
    mid = market_id(PARAMS)
    m.oracles[ORACLE].set_price(1000 * 10**36 * 10**6 // 10**18)  # 1 wstETH worth 1,000 < 2,000 debt
    supply_before = m.market[mid].total_supply_assets
    seized, repaid = m.liquidate(ALICE, PARAMS, BOB, WAD, 0, 1004)
    market, pos = m.market[mid], m.position[(mid, BOB)]
    assert seized == WAD and pos.collateral == 0 and pos.borrow_shares == 0
    assert market.total_borrow_assets == 0 and market.total_borrow_shares == 0
    assert supply_before - market.total_supply_assets > 2 * 10**9 - repaid - 10  # the bad debt, socialised
