"""Cash-and-carry P&L (protocol_model/analytics/basis.py) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from protocol_model.analytics.basis import CarryTrade, breakeven_days, carry_pnl, frozen_venue_outcome, pool_borrow_apr
from protocol_model.exact.lending.params import RateParams

RATE = RateParams.from_annual_bps(0, 400, 30_000, 8_000)  # 4% at the 80% kink, +300% above it
TRADE = CarryTrade(quantity=10, spot_entry=2_000, perp_entry=2_010, borrowed=15_000, perp_margin=2_000)
DAYS = 30


def test_pool_rate_from_the_kinked_model():
    assert pool_borrow_apr(RATE, 0.5) == pytest.approx(0.04 * 0.5 / 0.8, rel=1e-9)  # 2.5%
    assert pool_borrow_apr(RATE, 0.95) == pytest.approx(0.04 + 3.0 * 0.15 / 0.2, rel=1e-9)  # 229%


def test_carry_is_basis_plus_funding_minus_borrow():
    spot = np.full(DAYS, 2_000.0)
    perp = np.full(DAYS, 2_010.0)
    perp[-1] = 2_000.0  # the premium is gone by the time the trade is closed
    f = np.full(DAYS, 0.0003)  # 0.03% a day to the short (about 11% a year)
    pnl = carry_pnl(TRADE, spot, perp, f, np.full(DAYS, 0.5), RATE)
    expected = 10 * 10 + 10 * 0.0003 * 2_000 * DAYS - 15_000 * 0.025 * DAYS / 365
    assert pnl["total"][-1] == pytest.approx(expected, rel=1e-9)  # 100 + 180 − 30.82 = 249.18
    assert pnl["basis"][-1] == pytest.approx(100)


def test_a_borrow_cost_jump_turns_the_carry_negative():
    u = np.where(np.arange(DAYS) < 10, 0.5, 0.95)  # utilization jumps on day 10
    spot, perp = np.full(DAYS, 2_000.0), np.full(DAYS, 2_010.0)
    pnl = carry_pnl(TRADE, spot, perp, np.full(DAYS, 0.0003), u, RATE)
    daily = np.diff(pnl["total"])
    assert (daily[:9] > 0).all() and (daily[10:] < 0).all()
    assert daily[10] == pytest.approx(10 * 0.0003 * 2_000 - 15_000 * 2.29 / 365, rel=1e-9)  # 6 − 94.11
    assert breakeven_days(TRADE, 0.0003, 0.025) == pytest.approx(100 / (6 - 15_000 * 0.025 / 365))
    assert breakeven_days(TRADE, 0.0003, 2.29) == float("inf")


def test_a_frozen_perp_venue_turns_the_hedge_into_a_loss():
    # Spot rises 3% a day for 10 days then falls back to 2,000; the short cannot be topped up.
    up = 2_000 * 1.03 ** np.arange(11)
    path = np.concatenate([up, np.full(5, 2_000.0)])
    out = frozen_venue_outcome(TRADE, path)
    # Liquidation: 2,000 − 10·(s − 2,010) < 10·s·5%  ⇔  s > 22,100/10.5 = 2,104.76 → day 2 (2,121.8)
    assert out["liquidation_day"] == 2
    assert out["hedged_total"] == pytest.approx(100)  # the basis, had the hedge survived
    assert out["total"] == pytest.approx(-2_000)  # spot back to entry, short's margin gone
    calm = frozen_venue_outcome(TRADE, np.full(5, 2_000.0))
    assert calm["liquidation_day"] == -1 and calm["total"] == pytest.approx(100)


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="perp_margin"):
        CarryTrade(1, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="utilization"):
        pool_borrow_apr(RATE, 1.5)
