"""``protocol-model import`` without a node: the option parsers, the moves' oracle prices, the health-factor
buckets, the amounts shown, and the book file (read back as ``compare --book`` reads it). The command against
real deployments is tests/fork/test_import_command.py."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from eth_utils import to_checksum_address

from protocol_model.chain.import_command import (
    ImportView,
    PositionRow,
    check_address,
    parse_move,
    parse_pairs,
    redacted,
)
from protocol_model.chain.import_report import book_csv, hf_distribution, shown, summary_lines
from protocol_model.exact.decimal_context import EXACT
from protocol_model.scenario.base import ScenarioError
from protocol_model.sim import compare as cmp

SIM = """\
kind: simulation
name: book-check
protocol: generic
seed: 1
paths: 10
steps: 5
oracle: {delay_steps: 0, deviation_bps: 0, heartbeat_steps: 1}
assets:
  USDC: {driver: {kind: gbm, sigma_annual: 0.0}}
  WBTC: {amm_depth_usd: 1000000, driver: {kind: gbm, sigma_annual: 0.5}}
  WETH: {amm_depth_usd: 1000000, driver: {kind: gbm, sigma_annual: 0.5}}
book:
  synthetic: {positions: 10, debt_asset: USDC, collateral_weights: {WETH: 1}}
"""


@pytest.mark.parametrize("text,key,value,relative", [
    ("WETH=1500", "WETH", Decimal(1500), False),
    ("WETH=-30%", "WETH", Decimal("-0.3"), True),
    ("wstETH_USDC=+12.5%", "wstETH_USDC", Decimal("0.125"), True),
    ("WBTC=0.5", "WBTC", Decimal("0.5"), False),
])
def test_moves_parse(text, key, value, relative):
    m = parse_move(text)
    assert (m.key, m.value, m.relative) == (key, value, relative)


@pytest.mark.parametrize("text,rule", [
    ("WETH", "expected ASSET=PRICE"), ("WETH=abc", "expected ASSET=PRICE"), ("=100", "expected ASSET=PRICE"),
    ("WETH=0", "a price must be > 0"), ("WETH=-5", "a price must be > 0"), ("WETH=-100%", "above -100%"),
])
def test_bad_moves_name_the_rule(text, rule):
    with pytest.raises(ScenarioError, match=rule):
        parse_move(text)


def test_new_price_floors_to_the_oracle_unit():
    assert parse_move("WETH=1000").new_price(2000 * 10**8, Decimal(10**8)) == 1000 * 10**8
    assert parse_move("WETH=-30%").new_price(2000 * 10**8, Decimal(10**8)) == 1400 * 10**8
    assert parse_move("X=-33.3333333333333333%").new_price(6 * 10**12, Decimal(10**8)) == 4 * 10**12
    assert parse_move("X=0.123456789").new_price(1, Decimal(10**8)) == 12_345_678  # floor, not round
    with pytest.raises(ScenarioError, match="must be > 0"):
        parse_move("X=-99.9999999%").new_price(10, Decimal(1))


def test_addresses_pairs_and_urls():
    assert check_address("--address", "0x" + "ab" * 20) == to_checksum_address("0x" + "ab" * 20)
    for bad in ("0x12", "ab" * 20, "0x" + "zz" * 20):
        with pytest.raises(ScenarioError, match="--address .*not an address"):
            check_address("--address", bad)
    assert parse_pairs("--decimals", ["USDC=6", "WETH=18"]) == {"USDC": "6", "WETH": "18"}
    with pytest.raises(ScenarioError, match="--label 'alice': expected KEY=VALUE"):
        parse_pairs("--label", ["alice"])
    assert redacted("https://eth.example.com/v2/SECRET?key=X") == "https://eth.example.com"
    assert redacted("http://127.0.0.1:8545/abc") == "http://127.0.0.1:8545"


def _position(account, coll, debt, hf, market="", unit="USD"):
    return PositionRow(account, market, unit, coll, debt, Decimal(0), Decimal(0),
                       None if hf is None else Decimal(hf), hf is not None and Decimal(hf) < 1)


def _view(preset, positions):
    return ImportView(preset, "0x" + "11" * 20, 1, 0, [], len(positions), positions,
                      {"USDC": 6, "WETH": 18, "WBTC": 8}, None)


def test_health_factor_buckets():
    dist = hf_distribution([_position("a", {}, {}, h) for h in ("0.5", "1", "1.049", "1.05", "1.3", "2", "9")]
                           + [_position("b", {}, {}, None)])
    assert dist == {"< 1": 1, "1-1.05": 2, "1.05-1.1": 1, "1.1-1.25": 0, "1.25-1.5": 1, "1.5-2": 0, ">= 2": 2,
                    "n/a": 1}


def test_amounts_shown():
    assert shown(Decimal("10.000000000032012394")) == "10"
    assert shown(Decimal("9523.809524")) == "9,523.809524"
    assert shown(Decimal("1E+3")) == "1,000"


def test_large_amounts_shown_exactly():
    """Every integer digit of a uint256-sized amount is shown (the ``EXACT`` context, not Python's 28 digits), and
    the totals of the summary add exactly: two whales of 10^29 + 0.25 USD each are 2·10^29 + 0.50 USD."""
    whale = Decimal(2**256 - 1)  # 78 digits
    assert shown(whale).replace(",", "") == str(2**256 - 1)
    assert shown(EXACT.add(whale, Decimal("0.1234565"))) == f"{2**256 - 1:,}.123456"  # half-even at 6 places
    big = EXACT.add(Decimal(10**29), Decimal("0.25"))
    positions = [PositionRow(n, "", "USD", {"WETH": 1}, {"USDC": 1}, big, big, Decimal(2), False) for n in "ab"]
    lines = summary_lines(_view("generic", positions))
    assert f"total collateral ${2 * 10**29:,}.50, total debt ${2 * 10**29:,}.50 (indebted positions)" in lines


def test_book_file_reads_back_as_compare_reads_it(tmp_path):
    """alice a pair; carol two collaterals (one account, two rows); erin two debts; dave no collateral left
    and frank WETH on both sides are left out."""
    positions = [
        _position("alice", {"WETH": 10 * 10**18}, {"USDC": 12_000_000_007}, "1.3"),
        _position("carol", {"WETH": 5 * 10**18, "WBTC": 50_000_000}, {"USDC": 15_000 * 10**6}, "2.1"),
        _position("erin", {"WBTC": 10**8}, {"USDC": 1_000 * 10**6, "WETH": 10**18}, "3"),
        _position("dave", {}, {"USDC": 5 * 10**6}, "0"),
        _position("frank", {"WETH": 10**18}, {"WETH": 10**17}, "5"),
    ]
    text, skipped = book_csv(_view("generic", positions))
    assert skipped == {"dave": "no collateral", "frank": "holds WETH as collateral and as debt"}
    (tmp_path / "book.csv").write_text(text)
    (tmp_path / "sim.yaml").write_text(SIM)
    params = cmp.load_sides("generic", "generic", tmp_path / "sim.yaml")[0].params
    book = cmp.read_book(tmp_path / "book.csv", params)
    names = [a.name for a in params.assets]
    assert book.names[:book.n_pairs] == ("alice",)
    assert book.coll_tokens[0] == 10.0 and book.debt_tokens[0] == 12_000.000007
    assert book.multi is not None and book.multi.names == ("carol", "erin")
    np.testing.assert_array_equal(book.multi.coll[0], [{"WETH": 5, "WBTC": 0.5}.get(n, 0) for n in names])
    np.testing.assert_array_equal(book.multi.debt[1], [{"USDC": 1_000, "WETH": 1}.get(n, 0) for n in names])


def test_a_preset_simulation_refuses_a_cross_collateral_account(tmp_path):
    """What compare --book says when a generic book (carol on two collaterals) meets Aave's lab rule."""
    positions = [_position("carol", {"WETH": 10**18, "WBTC": 10**8}, {"USDC": 10**6}, "1.2")]
    (tmp_path / "book.csv").write_text(book_csv(_view("generic", positions))[0])
    (tmp_path / "sim.yaml").write_text(SIM.replace("protocol: generic", "protocol: aave_v3_market"))
    params = cmp.load_sides("aave_v3_market", "aave_v3_market", tmp_path / "sim.yaml")[0].params
    with pytest.raises(ScenarioError, match="position 'carol' has several rows .* rules: aave-v3"):
        cmp.read_book(tmp_path / "book.csv", params)


def test_preset_books_hold_pairs_only():
    positions = [_position("alice", {"WETH": 10**18, "WBTC": 10**8}, {"USDC": 10**6}, "1.2"),
                 _position("bob", {"WETH": 10**18}, {"USDC": 10**6}, "1.2")]
    text, skipped = book_csv(_view("aave-v3", positions))
    assert text.splitlines()[1:] == ["bob,WETH,USDC,1.000000000000000000,1.000000"]
    assert skipped == {"alice": "several assets: the lab's aave-v3 rule takes one collateral and one debt"}
    with pytest.raises(ScenarioError, match="--book-out: no position can be written"):
        book_csv(_view("aave-v3", positions[:1]))


def test_a_move_prices_exactly_at_every_width():
    """A move's new oracle price is the stated rule, floored once: ``⌊old × (1 + change)⌋`` or ``⌊price × scale⌋``,
    for prices of any width (a Morpho price at the 1e36 scale has 37+ digits; Python's default 28-digit context
    rounded it before the floor)."""
    old = 1_181_234_567_890_123_456_789_012_345_678_901_234  # a wstETH/WETH oracle price (1e36 scale)
    assert parse_move("m=-30%").new_price(old, Decimal(1)) == old * 7 // 10
    assert parse_move("m=+12.5%").new_price(old, Decimal(1)) == old * 1125 // 1000
    scale = Decimal(10) ** 36
    assert parse_move("m=1.234567890123456789012345678901").new_price(0, scale) == \
        1_234_567_890_123_456_789_012_345_678_901 * 10**6
