"""Issue #14 items 1, 2 and 4 over the general case (model; the differential fuzzer checks chain == model):
random sizes, decimals 0/2/6/8/18 and prices from 1e-8 to 1e12 USD (docs/SPEC.md §3.6, §5.6)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocol_model.exact import errors
from protocol_model.exact.lending.liquidation import hf_preserving_bonus_bps, liquidation_amounts
from protocol_model.exact.math_lib import BPS, RAY, WAD, mul_div_down, mul_div_up

decimals_st = st.sampled_from([0, 2, 6, 8, 18])
price_st = st.integers(1, 10**20).map(lambda p: p * 10**10)  # 1e-8 .. 1e12 USD per token, WAD


@settings(max_examples=400, deadline=None)
@given(coll_dec=decimals_st, debt_dec=decimals_st, coll_price=price_st, debt_price=price_st,
       coll=st.integers(1, 10**30), debt=st.integers(1, 10**30), request=st.integers(1, 2**128),
       lt=st.integers(1, 9_500), bonus=st.integers(0, 2_000), fee=st.integers(0, BPS), cf=st.integers(1, BPS),
       full_close=st.integers(0, WAD), hf=st.integers(0, WAD - 1), minimum=st.sampled_from([0, WAD, 100 * WAD]),
       bi=st.integers(RAY, 3 * RAY), si=st.integers(RAY // 2, 2 * RAY))
def test_liquidation_amounts_are_consistent_and_leave_no_dust(coll_dec, debt_dec, coll_price, debt_price, coll, debt,
                                                              request, lt, bonus, fee, cf, full_close, hf, minimum,
                                                              bi, si):
    if lt * (BPS + bonus) >= BPS * BPS:
        return
    try:
        liq = liquidation_amounts(
            user_scaled_debt=debt, user_scaled_coll=coll, borrow_index_ray=bi, supply_index_ray=si,
            repay_request=request, hf_wad=hf, close_factor_bps=cf, full_close_hf_wad=full_close,
            min_leftover_usd_wad=minimum, liquidation_threshold_bps=lt, bonus_bps=bonus, protocol_fee_bps=fee,
            debt_price_wad=debt_price, coll_price_wad=coll_price, debt_decimals=debt_dec, coll_decimals=coll_dec)
    except (errors.NothingToSeize, errors.NothingToRepay, errors.MustNotLeaveDust):
        return
    # item 2: something is repaid and something seized, never more than asked or held
    assert liq.seized > 0 and liq.scaled_repaid > 0 and liq.repaid <= min(request, liq.debt)
    # the liquidator pays at least what the seized collateral stands for at (1 + bonus), rounded up
    du, cu = debt_price * 10**coll_dec, coll_price * 10**debt_dec
    if liq.repaid < liq.debt or liq.scaled_seized == coll:
        base = mul_div_up(liq.seized, BPS, BPS + liq.bonus_bps)
        assert liq.repaid == min(mul_div_up(base, cu, du), request, liq.debt) or liq.repaid == liq.debt
    # item 1: either a position closes or both stay worth at least the minimum
    if liq.scaled_repaid < debt and liq.scaled_seized < coll:
        left_debt = (debt - liq.scaled_repaid) * bi // RAY
        left_coll = (coll - liq.scaled_seized) * si // RAY
        assert mul_div_up(left_debt, debt_price, 10**debt_dec) + 1 >= minimum
        assert mul_div_down(left_coll, coll_price, 10**coll_dec) >= minimum


@settings(max_examples=400, deadline=None)
@given(lt=st.integers(1, 9_999), bonus=st.integers(0, 5_000),
       hf=st.one_of(st.integers(0, WAD - 1), st.integers(10**4, 10**6 - 1).map(lambda p: p * 10**12)))
@example(lt=9_000, bonus=2_000, hf=WAD - 1)  # the cap binds: lt·(1 + b) = 1.08 > HF
@example(lt=8_000, bonus=1_000, hf=85 * WAD // 100)  # binds between lt and lt·(1 + b)
@example(lt=8_000, bonus=500, hf=84 * WAD // 100)  # exactly lt·(1 + b) = HF: the whole bonus
def test_capped_bonus_keeps_lt_times_one_plus_bonus_below_hf(lt, bonus, hf):
    """Item 4: with HF >= lt the capped bonus b' has lt·(1 + b') <= HF (so HF cannot fall, SPEC §5.6)
    and it is the largest such bonus in whole bps, never above the configured one."""
    b = hf_preserving_bonus_bps(lt, bonus, hf)
    assert 0 <= b <= bonus
    if hf * BPS >= lt * WAD:
        assert lt * (BPS + b) * WAD <= hf * BPS * BPS
        assert b == bonus or lt * (BPS + b + 1) * WAD > hf * BPS * BPS


@settings(max_examples=300, deadline=None)
@given(coll_dec=decimals_st, debt_dec=decimals_st, coll_price=price_st, debt_price=price_st,
       coll_units=st.integers(10**3, 10**12), lt=st.integers(5_000, 9_500), bonus=st.integers(0, 1_500),
       fee=st.integers(0, BPS), cf=st.integers(1_000, BPS), full_close=st.integers(80 * WAD // 100, WAD),
       hf_target=st.integers(80 * 10**4, 10**6 - 1), share=st.integers(1, 100))
def test_partial_liquidation_never_lowers_hf(coll_dec, debt_dec, coll_price, debt_price, coll_units, lt, bonus, fee,
                                             cf, full_close, hf_target, share):
    """Item 4, property: a single-collateral account with HF in [max(line, lt), 1) liquidated (any size)
    keeps HF' >= HF, up to the value of one unit of each token (rounding)."""
    if lt * (BPS + bonus) >= BPS * BPS:
        return
    coll = coll_units * 10**coll_dec
    coll_value = mul_div_down(coll, coll_price, 10**coll_dec)
    adjusted = coll_value * lt // BPS
    debt_value = adjusted * 10**6 // hf_target
    debt = debt_value * 10**debt_dec // debt_price
    if debt == 0:
        return
    debt_value = mul_div_up(debt, debt_price, 10**debt_dec)
    hf = adjusted * WAD // debt_value
    if not max(full_close, lt * WAD // BPS) <= hf < WAD:
        return
    try:
        liq = liquidation_amounts(
            user_scaled_debt=debt, user_scaled_coll=coll, borrow_index_ray=RAY, supply_index_ray=RAY,
            repay_request=max(debt * share // 100, 1), hf_wad=hf, close_factor_bps=cf, full_close_hf_wad=full_close,
            min_leftover_usd_wad=0, liquidation_threshold_bps=lt, bonus_bps=bonus, protocol_fee_bps=fee,
            debt_price_wad=debt_price, coll_price_wad=coll_price, debt_decimals=debt_dec, coll_decimals=coll_dec)
    except (errors.NothingToSeize, errors.NothingToRepay):
        return
    if liq.repaid == liq.debt:
        return
    coll_after = mul_div_down(coll - liq.scaled_seized, coll_price, 10**coll_dec) * lt // BPS
    debt_after = mul_div_up(debt - liq.scaled_repaid, debt_price, 10**debt_dec)
    unit_coll = mul_div_up(1, coll_price, 10**coll_dec) + 1
    unit_debt = mul_div_up(1, debt_price, 10**debt_dec) + 1
    # HF' >= HF  <=>  A'·D >= A·D'; rounding: one unit of each token's value, twice
    assert (coll_after + 2 * unit_coll) * debt_value >= adjusted * max(debt_after - 2 * unit_debt, 0)


def _three_asset_pool(decs, prices, coll, other_coll, other_debt, debt, other_rejected):
    """A model pool at RAY indices: alice's consented A collateral (``coll`` scaled), her ``debt`` of D, and her
    position in B, the asset a liquidation of A for D does not touch (``other_coll`` consented supply,
    ``other_debt`` debt); B's feed reverts when ``other_rejected``."""
    from protocol_model.exact.lending.lending_pool import LendingPool
    from protocol_model.exact.lending.params import AssetConfig, RateParams
    from protocol_model.exact.oracle.price_router import Feed

    pool = LendingPool(oracle_now=1)  # heartbeating feeds, dated at the reading block
    for name, dec, price in zip("ABD", decs, prices, strict=True):
        pool.list_asset(name, RateParams(0, 0, 0, WAD // 2), AssetConfig(7_000, 8_000, 500, 1_000, 1_000), dec, 0)
        pool.set_feed(name, Feed(price // 10**10, reverts=name == "B" and other_rejected))
    pool.scaled_supply[("A", "alice")], pool.scaled_debt[("D", "alice")] = coll, debt
    pool.collateral_use.add(("alice", "A"))
    if other_coll:
        pool.scaled_supply[("B", "alice")] = other_coll
        pool.collateral_use.add(("alice", "B"))
    if other_debt:
        pool.scaled_debt[("B", "alice")] = other_debt
    return pool


@settings(max_examples=300, deadline=None)
@given(decs=st.tuples(decimals_st, decimals_st, decimals_st), prices=st.tuples(price_st, price_st, price_st),
       coll=st.integers(1, 10**30), debt=st.integers(1, 10**30), other=st.integers(1, 10**30),
       role=st.sampled_from(["collateral", "debt", "both"]))
def test_a_rejected_price_never_lowers_the_liquidation_hf(decs, prices, coll, debt, other, role):
    """P-LIQ-09 (docs/SPEC.md §3.6): rejecting the price of an asset the liquidation does not touch never lowers
    the HF the liquidation is decided on, compared with that asset at its valid price (whatever it is): an
    untouched collateral's rejection raises the router's error (FeedReverted here), an untouched debt-only asset
    counts as zero (the debt's lower bound). Anyone can force some rejections (a spot breaker tripped by a swap),
    so a rejection must never make a healthy account liquidatable."""
    other_coll, other_debt = (other if role != "debt" else 0), (other if role != "collateral" else 0)
    valid = _three_asset_pool(decs, prices, coll, other_coll, other_debt, debt, False).liquidation_values("alice")
    rejected_pool = _three_asset_pool(decs, prices, coll, other_coll, other_debt, debt, True)
    if other_coll:
        try:
            rejected_pool.liquidation_values("alice")
        except errors.FeedReverted:
            return
        raise AssertionError("P-LIQ-09: a rejected collateral price was valued (as zero) in a liquidation's HF")
    adjusted, debt_value = rejected_pool.liquidation_values("alice")
    # HF(rejected) >= HF(valid), cross-multiplied (the debt is never zero: alice owes D)
    assert adjusted * valid[1] >= valid[0] * debt_value, "P-LIQ-09: a rejected price lowered the liquidation HF"


@settings(max_examples=400, deadline=None)
@given(coll_dec=decimals_st, debt_dec=decimals_st, coll_price=price_st, debt_price=price_st,
       coll=st.integers(1, 10**4), debt=st.integers(1, 10**30), lt=st.integers(1, 9_500), bonus=st.integers(0, 2_000),
       fee=st.integers(0, BPS), hf=st.integers(0, 95 * WAD // 100 - 1), bi=st.integers(RAY + 1, 3 * RAY),
       si=st.integers(RAY // 2, 2 * RAY))
def test_a_max_liquidation_of_the_last_collateral_closes_a_side(coll_dec, debt_dec, coll_price, debt_price, coll,
                                                                debt, lt, bonus, fee, hf, bi, si):
    """P-LIQ-10 (docs/SPEC.md §3.6-3.7): below the full-close line a max liquidation of an account's last collateral,
    however small (a few scaled units, worth less than one scaled unit of the debt), either seizes nothing
    (NothingToSeize) or closes a side: all the debt repaid or all the collateral taken (then the write-off
    follows). Before, collateral dust whose repayment burnt no scaled debt was NothingToRepay for ever and kept
    the account's bad debt owed."""
    if lt * (BPS + bonus) >= BPS * BPS:
        return
    try:
        liq = liquidation_amounts(
            user_scaled_debt=debt, user_scaled_coll=coll, borrow_index_ray=bi, supply_index_ray=si,
            repay_request=2**256 - 1, hf_wad=hf, close_factor_bps=5_000, full_close_hf_wad=95 * WAD // 100,
            min_leftover_usd_wad=100 * WAD, liquidation_threshold_bps=lt, bonus_bps=bonus, protocol_fee_bps=fee,
            debt_price_wad=debt_price, coll_price_wad=coll_price, debt_decimals=debt_dec, coll_decimals=coll_dec,
            last_collateral=True)
    except errors.NothingToSeize:
        return
    except errors.NothingToRepay:
        raise AssertionError("P-LIQ-10: the last collateral could not be taken (NothingToRepay)") from None
    assert liq.scaled_repaid == debt or liq.scaled_seized == coll, "P-LIQ-10: a max liquidation closed no side"
