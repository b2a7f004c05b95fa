"""Seed 000_6bad8120641baf5a ("What leverage means for USD1 stablecoins"), its worked margin examples run
through the exact margin engine (protocol_model/perp), each checked against an independent derivation."""

from __future__ import annotations

from fractions import Fraction

import pytest

from protocol_model.exact.math_lib import WAD
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.params import MarketParams
from protocol_model.exact.perp.perp_engine import ENGINE, PerpEngine

T0 = 1_700_000_000
USDC = 10**6


def engine_with(params: MarketParams, deposits: dict[str, int]) -> PerpEngine:
    e = PerpEngine("USDC", 6)
    e.set_feed("ETH", Feed(2_000 * 10**8))
    e.list_market("ETH", params, T0)
    for name, whole in deposits.items():
        e.ledger.mint("USDC", name, whole * USDC)
        e.ledger.approve("USDC", name, ENGINE, 2**256 - 1)
        e.deposit(name, whole * USDC)
    return e


def set_price(e: PerpEngine, usd: Fraction | int, now: int) -> None:
    e.set_feed("ETH", Feed(int(Fraction(usd) * 10**8), 8, updated_at=now))


def equity(e: PerpEngine, who: str, now: int) -> Fraction:
    return Fraction(e.margin(who, False, 0, now).equity_wad, WAD)


def keep_mark(e: PerpEngine, price_wad: int, start: int, hours: int) -> int:
    """Two other traders trade 0.001 ETH at ``price_wad`` every 8 h for ``hours`` after ``start``, so the mark
    stays there and stays fresh (a mark older than its maximum age, 8 h here, stops funding). Returns the
    time of the last trade. Each trade accrues funding, like any call touching the market."""
    now = start
    for _ in range(hours // 8):
        now += 8 * 3600
        e.trade(0, "carol", "dave", 10**15, price_wad, now)
    return now


NO_FRICTION = MarketParams(2_000, 500, trade_fee_bps=0, max_funding_rate_bps=0)


@pytest.mark.parametrize("move_pct,expected", [(10, 500), (-10, -500)])
def test_1000_posted_5000_notional_ten_percent_is_half_the_capital(move_pct, expected):
    # Seed: "posts 1,000 ... opens 5,000 ... 10 percent ... roughly 500 ... about half of the posted capital".
    e = engine_with(NO_FRICTION, {"alice": 1_000, "bob": 100_000})
    e.trade(0, "alice", "bob", 2_500 * 10**15, 2_000 * WAD, T0 + 1)  # 2.5 ETH × 2,000 = 5,000 notional
    set_price(e, 2_000 * (100 + move_pct) // 100, T0 + 2)
    assert 5_000 * Fraction(move_pct, 100) == expected  # the seed's arithmetic
    assert equity(e, "alice", T0 + 2) - 1_000 == expected
    assert (equity(e, "alice", T0 + 2) - 1_000) / 1_000 == Fraction(expected, 1_000)  # ±50% of the capital
    assert equity(e, "bob", T0 + 2) - 100_000 == -expected  # zero-sum: the short side mirrors it


# The second example with stated frictions: 5 bps fee each way, entry 0.05% over the index (2,001),
# 72 hours with the mark 0.05% over the index (funding 1 per ETH per 8 h; the mark is kept there by other
# traders, `keep_mark`), exit 0.1% under the index.
FRICTION = MarketParams(1_000, 500, trade_fee_bps=5, max_funding_rate_bps=75, price_band_bps=200)
SIZE = 25 * WAD  # 25 ETH × 2,000 = 50,000 notional on 10,000 posted


def test_10000_posted_50000_notional_eight_percent_is_4000_before_fees():
    e = engine_with(NO_FRICTION, {"alice": 10_000, "bob": 1_000_000})
    e.trade(0, "alice", "bob", SIZE, 2_000 * WAD, T0 + 1)
    set_price(e, 1_840, T0 + 2)
    assert 50_000 * Fraction(8, 100) == 4_000
    assert equity(e, "alice", T0 + 2) == 10_000 - 4_000


def seed_two_with_frictions() -> tuple[PerpEngine, dict[str, Fraction]]:
    e = engine_with(FRICTION, {"alice": 10_000, "bob": 1_000_000, "carol": 10_000, "dave": 10_000})
    e.trade(0, "alice", "bob", SIZE, 2_001 * WAD, T0 + 1)
    assert keep_mark(e, 2_001 * WAD, T0 + 1, 72) == T0 + 1 + 72 * 3600  # 9 periods at the mark premium
    set_price(e, 1_840, T0 + 72 * 3600 + 2)
    e.trade(0, "bob", "alice", SIZE, 1_838_160 * WAD // 1000, T0 + 72 * 3600 + 3)
    # Independent derivation, in exact fractions:
    entry_slip = 25 * Fraction(1)  # 25 ETH × (2,001 − 2,000)
    entry_fee = 25 * 2_001 * Fraction(5, 10_000)  # 25.0125
    funding = 25 * 9 * (Fraction(1, 2000) * 2_000)  # premium 0.05% × index 2,000 per 8 h, 9 periods
    move = 25 * (2_000 - 1_840)  # the seed's 4,000
    exit_slip = 25 * (Fraction(1_840) - Fraction(1_838_160, 1000))  # 46
    exit_fee = 25 * Fraction(1_838_160, 1000) * Fraction(5, 10_000)  # 22.977
    # The close is one second after the drop: mark 2,001 over index 1,840 is 8.75%, capped at 0.75% per 8 h.
    funding_after_drop = 25 * Fraction(75, 10_000) * 1_840 * 2 / 28_800
    parts = {"move": move, "entry_slippage": entry_slip, "exit_slippage": exit_slip, "fees": entry_fee + exit_fee,
             "funding": funding + funding_after_drop}
    return e, parts


def test_with_fees_funding_and_slippage_well_over_40_percent_of_the_buffer():
    e, parts = seed_two_with_frictions()
    expected_loss = sum(parts.values())
    assert round(float(expected_loss), 4) == 4_344.0135
    lost = 10_000 - Fraction(e.cross_balance_wad["alice"], WAD)
    assert e.position("alice", 0).size_wad == 0
    # Integer rounding (funding index rounded down, payments up) moves the result by a few dozen wei at most.
    assert abs(lost - expected_loss) < Fraction(100, WAD)
    assert lost / 10_000 > Fraction(43, 100)  # 43.4% of the buffer: "well over 40 percent"


def liquidation_price(balance: Fraction, open_notional: Fraction, size: Fraction, mm_bps: int) -> Fraction:
    """Index at which a long's equity balance + size·P − N equals maintenance size·P·mm."""
    return (open_notional - balance) / (size * (1 - Fraction(mm_bps, 10_000)))


@pytest.mark.parametrize("frictions", [False, True])
def test_where_liquidation_happens(frictions):
    params = FRICTION if frictions else NO_FRICTION
    e = engine_with(params, {"alice": 10_000, "bob": 1_000_000, "frank": 1_000_000, "carol": 10_000,
                             "dave": 10_000})
    entry = 2_001 if frictions else 2_000
    e.trade(0, "alice", "bob", SIZE, entry * WAD, T0 + 1)
    now = T0 + 2
    if frictions:
        now = keep_mark(e, 2_001 * WAD, T0 + 1, 72)
    p = e.position("alice", 0)
    pending_funding = 25 * 9 if frictions else 0  # 1 per ETH per 8 h over 72 h, not yet settled into the balance
    star = liquidation_price(Fraction(e.cross_balance_wad["alice"], WAD) - pending_funding,
                             Fraction(p.open_notional_wad, WAD),
                             Fraction(p.size_wad, WAD), params.maintenance_margin_bps)
    if frictions:
        assert Fraction(16957, 10) < star < Fraction(16958, 10)  # ≈ 1,695.79: −15.2% from 2,000
    else:
        assert star == Fraction(40_000 * 20, 19 * 25)  # (50,000 − 10,000)/(25 × 0.95) ≈ 1,684.21: −15.8%
    above, below = Fraction(int(star * 10**8) + 1, 10**8), Fraction(int(star * 10**8) - 1, 10**8)
    # Same block as the last accrual, so no further funding moves the line while it is probed.
    set_price(e, above, now)
    with pytest.raises(errors.NotLiquidatable):
        e.liquidate("frank", "alice", 0, now)
    set_price(e, below, now)
    e.liquidate("frank", "alice", 0, now)
    closed = e.events[-1].closed_size_wad
    assert closed == SIZE // 2, "just under maintenance: the partial close factor (50%) applies"
