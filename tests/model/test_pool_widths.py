"""The lending twin's packed uint128 widths (docs/SPEC.md §3.3 "Widths") cannot freeze an asset: an accrual that
would push the supply index past 2^128 − 1 pays the suppliers' share to reserves instead of reverting (a revert
there would freeze the asset for good: every later accrual reverts, so its debt could never be repaid or
liquidated). A donation lent out against a 1-wei supply reached that bound within 20 s before the suppliers' cap
(§3.3); with the cap the index grows at most like the borrow index (tests/model/test_donation_attack.py), so the
guard is a backstop, checked here at its exact bound. tests/chain/test_inprocess_widths.py plays the attack on the
contract and the model side by side."""

from __future__ import annotations

import pytest

from protocol_model.exact import errors
from protocol_model.exact.lending.kinked_rate_model import accrue
from protocol_model.exact.lending.params import RateParams
from protocol_model.exact.lending.pool_state import UINT128_MAX, AssetState
from protocol_model.exact.math_lib import RAY, ray_mul_up

T0 = 1_700_000_000


def test_the_guard_is_the_twin_of_accrue_at_the_exact_bound():
    """At the bound: a share that lands the index exactly on 2^128 − 1 is taken; one RAY-unit more is not. One
    scaled unit at that index is worth ~3.4·10^11 units, above the debt of 10^11: the suppliers' cap does not bind
    (it bounds the index's growth by the borrow index's, so the guard is a backstop reached only from such a state)."""
    rate = RateParams(10**18, 0, 0, 8 * 10**17)  # 1e-9 per second, flat
    for extra, raised in ((0, True), (1, False)):
        s = AssetState(decimals=18, last_update=T0, total_scaled_supply=1, total_scaled_debt=10**11)
        interest = ray_mul_up(10**11, RAY + ray_mul_up(RAY, 10**18)) - 10**11
        s.supply_index_ray = UINT128_MAX - interest * RAY + extra  # reserve factor 0: the whole interest is the share
        assert s.total_supply() >= s.total_debt()
        start = s.supply_index_ray
        assert accrue(s, rate, 0, T0 + 1) == interest
        assert (s.supply_index_ray, s.reserves) == ((UINT128_MAX, 0) if raised else (start, interest))


def test_reserves_beyond_uint128_still_revert_by_name():
    """Only the supply index is guarded: reserves that would pass 2^128 − 1 still raise the contract's
    SafeCastOverflowedUintDowncast (a store the formula needs; at most 24 decimals, 2^128 base units are 3.4e14
    whole tokens: beyond any real supply)."""
    s = AssetState(decimals=24, last_update=T0, total_scaled_supply=0, total_scaled_debt=10**27,
                   reserves=UINT128_MAX)
    with pytest.raises(errors.SafeCastOverflowedUintDowncast):
        accrue(s, RateParams(10**18, 0, 0, 8 * 10**17), 0, T0 + 1)
