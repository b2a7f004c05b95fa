"""Depeg paths, redemption frictions and wrong-way risk (protocol_model/analytics/stablecoin.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from protocol_model.analytics.stablecoin import (
    RedemptionTerms,
    best_exit,
    depeg_path,
    redemption_days,
    wrong_way_liquidation_move,
)


def test_depeg_path_shape():
    p = depeg_path(10, shock_day=3, trough=0.9, half_life_days=2)
    assert list(p[:3]) == [1.0, 1.0, 1.0] and p[3] == pytest.approx(0.9) and p[5] == pytest.approx(0.95)


def test_redemption_queue_minimum_and_fee():
    t = RedemptionTerms(delay_days=1, fee_bps=10, minimum=100_000, daily_capacity=50_000_000)
    assert redemption_days(99_999, 0, t) == float("inf")  # below the minimum: sell on the market
    assert redemption_days(1_000_000, 199_000_000, t) == pytest.approx(4 + 1)  # 200m queue / 50m a day + 1
    path = depeg_path(10, 0, 0.97, 3)
    assert best_exit(1_000_000, path, 0, 0, t) == ("redeem", pytest.approx(999_000))  # par − 10 bps beats 0.97
    # A margin call due tomorrow cannot wait 5 days in the queue: the holder sells at 0.97.
    assert best_exit(1_000_000, path, 0, 199_000_000, t, need_by_day=1) == ("sell", pytest.approx(970_000))
    assert best_exit(50_000, path, 0, 0, t) == ("sell", pytest.approx(48_500))


def test_wrong_way_liquidation_comes_earlier():
    # 5× long, 5% maintenance, stablecoin at par: x = (1 − 0.25)/(5 − 0.25) = 15.79% (the seed's 1,684.21)
    base = wrong_way_liquidation_move(5, 0.05, 0)
    assert Fraction(base).limit_denominator(1000) == Fraction(3, 19)
    # The margin coin falls 0.3× the underlying's fall: x = 0.75/(0.3 + 4.75) = 14.85%
    assert wrong_way_liquidation_move(5, 0.05, 0.3) == pytest.approx(0.75 / 5.05)
    # With a 2% haircut as well: (0.98 − 0.25)/(0.98·0.3 + 4.75)
    assert wrong_way_liquidation_move(5, 0.05, 0.3, 0.02) == pytest.approx(0.73 / (0.294 + 4.75))
    assert wrong_way_liquidation_move(5, 0.05, 0.3, 0.02) < wrong_way_liquidation_move(5, 0.05, 0.3) < base


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="fee_bps"):
        RedemptionTerms(fee_bps=-1)
    with pytest.raises(ValueError, match="trough"):
        depeg_path(5, 1, 1.5, 1)
