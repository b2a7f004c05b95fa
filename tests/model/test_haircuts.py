"""Haircut classes and issuer concentration limits (protocol_model/analytics/haircuts.py)."""

from __future__ import annotations

import pytest

from protocol_model.analytics.haircuts import HaircutClass, Holding, total_usable_wad, usable_margin
from protocol_model.exact.math_lib import WAD


def test_100000_of_stablecoins_count_as_less_than_100000():
    # Seed: "post 100,000 ... and still receive less than 100,000 of usable collateral value".
    h = [Holding("USDX", "issuer_a", "payment_stablecoin", 100_000 * WAD)]
    assert total_usable_wad(h) == 98_000 * WAD  # 2% class haircut: 100,000 × 0.98
    bridged = [Holding("USDX.b", "bridge_b", "bridged_stablecoin", 100_000 * WAD)]
    assert total_usable_wad(bridged) == 75_000 * WAD  # same dollar claim through a bridge: 25% haircut


def test_issuer_concentration_limit_caps_the_largest_issuer():
    h = [Holding("USDX", "issuer_a", "payment_stablecoin", 60_000 * WAD),
         Holding("USDY", "issuer_b", "offshore_stablecoin", 40_000 * WAD)]
    # after haircuts: 58,800 + 36,800 = 95,600; a 50% issuer limit caps issuer_a at 47,800
    m = usable_margin(h, issuer_limit_bps=5_000)
    assert [x.after_haircut_wad for x in m] == [58_800 * WAD, 36_800 * WAD]
    assert [x.usable_wad for x in m] == [47_800 * WAD, 36_800 * WAD]
    assert total_usable_wad(h, 10_000) == 95_600 * WAD  # no limit


def test_two_tokens_of_one_issuer_share_its_cap_pro_rata():
    h = [Holding("A1", "x", "payment_stablecoin", 50_000 * WAD), Holding("A2", "x", "payment_stablecoin",
                                                                          30_000 * WAD),
         Holding("B", "y", "payment_stablecoin", 20_000 * WAD)]
    m = usable_margin(h, issuer_limit_bps=4_000)  # cap = 0.4 × 98,000 = 39,200 for issuer x (78,400)
    assert m[0].usable_wad + m[1].usable_wad <= 39_200 * WAD
    assert m[0].usable_wad == 49_000 * WAD * 39_200 // 78_400 and m[2].usable_wad == 19_600 * WAD


@pytest.mark.parametrize("bad,match", [
    (lambda: HaircutClass("x", 10_001), "haircut_bps"),
    (lambda: Holding("A", "x", "payment_stablecoin", -1), "value_wad"),
    (lambda: usable_margin([Holding("A", "x", "nope", 1)]), "haircut_class"),
    (lambda: usable_margin([], issuer_limit_bps=0), "issuer_limit_bps"),
])
def test_bad_input_names_the_field(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()
