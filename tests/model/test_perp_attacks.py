"""An attacker's properties of the margin engine (docs/perp_margin.md, "Insurance fund and socialised losses"):

- A winner cannot dodge a socialised loss by liquidating the bankrupt account itself: taking the losing position
  over flattens its own, but the charge is booked before its fill, so it pays what a bystander's liquidation
  would have charged it (to the wei, within rounding) and nothing is left unsocialised (P-PERP-11).
- Liquidating oneself from a second account never pays: the pair of accounts loses at least the fund's share of
  the penalty (P-PERP-12).
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.exact.math_lib import WAD
from protocol_model.exact.perp.params import MarketParams
from protocol_model.exact.perp.perp_engine import ENGINE, LiquidationEvent
from tests.model.test_perp_properties import T0, decimals, engine, fund

PARAMS = MarketParams(1_000, 500, trade_fee_bps=0, liquidation_penalty_bps=100, liquidator_share_bps=5_000,
                      price_band_bps=200)


def equity(e, who: str, now: int) -> int:
    """Cross equity of ``who`` (WAD quote)."""
    return e.margin(who, False, 0, now).equity_wad


@settings(max_examples=120, deadline=None)
@given(dec=decimals, answer=st.integers(10**6, 10**14), victim_usd=st.integers(100, 10**9),
       share_pct=st.integers(1, 100), gap_pct=st.integers(12, 60), insurance_usd=st.integers(0, 50))
def test_a_winning_liquidator_pays_its_share_of_the_socialised_loss(dec, answer, victim_usd, share_pct, gap_pct,
                                                                   insurance_usd):
    """The victim is long at 9× against two shorts (``share_pct`` % from the attacker, the rest from ``other``); a
    gap down bankrupts it beyond the insurance fund. The attacker's cross equity after liquidating the victim itself
    equals its equity after a bystander's liquidation (±2 wei of rounding), and no loss is left unsocialised."""
    e = engine(dec, [answer, answer, answer], PARAMS)
    fund(e, "victim", victim_usd)
    for who in ("attacker", "other", "bystander"):
        fund(e, who, 20 * victim_usd + 10)
    if insurance_usd:
        amount = insurance_usd * 10**dec
        e.ledger.mint("USD", "donor", amount)
        e.ledger.approve("USD", "donor", ENGINE, amount)
        e.fund_insurance("donor", amount)
    price = e.index_price("A", T0)
    size = victim_usd * 9 * WAD * WAD // price  # 9× leverage (10× allowed): a 12% gap bankrupts it
    mine = size * share_pct // 100
    if mine:
        e.trade(0, "victim", "attacker", mine, price, T0)
    if size - mine:
        e.trade(0, "victim", "other", size - mine, price, T0)
    e.feeds["A"].answer = answer * (100 - gap_pct) // 100
    now = T0 + 1
    before = equity(e, "attacker", now)
    results = {}
    for liquidator in ("attacker", "bystander"):
        w = copy.deepcopy(e)
        w.liquidate(liquidator, "victim", 0, now)
        assert w.position("victim", 0).size_wad == 0
        assert w.unsocialized_loss_wad == 0, f"{liquidator}: a loss was left unsocialised"
        results[liquidator] = equity(w, "attacker", now)
    assert abs(results["attacker"] - results["bystander"]) <= 2, (
        f"attacker's equity {before} -> {results['attacker']} when it liquidates, {results['bystander']} otherwise")


@settings(max_examples=120, deadline=None)
@given(dec=decimals, answer=st.integers(10**6, 10**14), victim_usd=st.integers(100, 10**9),
       gap_pct=st.integers(7, 10), minutes=st.integers(0, 600))
def test_liquidating_oneself_from_a_second_account_never_pays(dec, answer, victim_usd, gap_pct, minutes):
    """``victim`` is long at 9× against ``other``; a 7–10% drop puts it below maintenance but not under water.
    ``alt``, the attacker's second account (flat), liquidates it: the pair's combined cross equity falls by at least
    the insurance fund's share of the penalty (penalty − liquidator reward), never rises."""
    e = engine(dec, [answer, answer, answer], PARAMS)
    fund(e, "victim", victim_usd)
    for who in ("other", "alt"):
        fund(e, who, 20 * victim_usd + 10)
    price = e.index_price("A", T0)
    e.trade(0, "victim", "other", victim_usd * 9 * WAD * WAD // price, price, T0)
    e.feeds["A"].answer = answer * (100 - gap_pct) // 100
    now = T0 + 1 + 60 * minutes
    before = equity(e, "victim", now) + equity(e, "alt", now)
    assert before > equity(e, "alt", now)  # the victim is not under water: no loss to hand to others
    e.liquidate("alt", "victim", 0, now)
    liq = [ev for ev in e.events if isinstance(ev, LiquidationEvent)][-1]
    after = equity(e, "victim", now) + equity(e, "alt", now)
    assert after <= before - (liq.penalty_wad - liq.reward_wad), (
        f"pair {before} -> {after}, penalty {liq.penalty_wad}, reward {liq.reward_wad}")
