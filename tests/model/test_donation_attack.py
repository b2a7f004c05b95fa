"""The empty-market (inflation) attack on the exact model, played as a story with the ``donate`` step: a 1-unit USDC
supply, 100,000 USDC donated to the pool and borrowed back. Without the suppliers' cap (docs/SPEC.md §3.3) the
suppliers' share of that interest went to the one scaled unit (worth ~180 USDC after a day, ~60,000 after a year),
and every later supplier lost up to one unit's worth to ``supply``'s rounding. With the cap the supply index grows
at most like the borrow index (ΔSI/SI ≤ ΔBI/BI + 1/D per accrual), the interest on the unfunded debt goes to
reserves, and a later 1,000,000 USDC supply loses at most one scaled unit's worth (2 wei). The cap's formula at its
exact bounds (S = D, one unit either side, an inexact division) is checked here on the model and in
tests/mutation/test_boundaries.py on both twins; tests/chain/test_inprocess_widths.py plays the WETH attack on both.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from protocol_model.exact.lending.kinked_rate_model import accrue
from protocol_model.exact.lending.params import RateParams
from protocol_model.exact.lending.pool_state import AssetState
from protocol_model.exact.math_lib import RAY, bps_mul_up, mul_div_down
from protocol_model.scenario.story import parse_scenario
from protocol_model.world.action import Action
from protocol_model.world.model_world import run_model

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
T0 = 1_700_000_000
DAY = 86_400
ATTACK = {"kind": "story", "name": "empty-market", "protocol": "generic",
          "accounts": [{"name": "carol", "balances": {"USDC": "100000.000001"}},
                       {"name": "alice", "balances": {"WBTC": "10"}},
                       {"name": "dave", "balances": {"USDC": "1000000"}}],
          "steps": [{"op": "supply", "account": "carol", "asset": "USDC", "amount": "0.000001"},
                    {"op": "donate", "account": "carol", "asset": "USDC", "amount": "100000"},
                    {"op": "supply", "account": "alice", "asset": "WBTC", "amount": "10"},
                    {"op": "borrow", "account": "alice", "asset": "USDC", "amount": "100000"}]}


def within_the_borrow_index(si: int, bi: int, debt: int, si_after: int, bi_after: int) -> bool:
    """The per-unit bound of docs/SPEC.md §3.3 for one accrual over ``debt`` (D, token units): ΔSI / SI <= ΔBI / BI
    + 1 / D, in integers."""
    return (si_after - si) * bi * debt <= (bi_after - bi) * si * debt + si * bi


def _attacked():
    world, outcomes = run_model(parse_scenario(ATTACK, str(SCENARIOS / "default.yaml")), T0)
    assert outcomes == ["ok"] * 4
    return world


def test_the_donation_is_a_plain_transfer():
    """``donate`` moves the tokens into the pool's cash and touches nothing else: no supply, no index, no accrual."""
    world = _attacked()
    s = world.pool.assets["USDC"].state
    assert world.pool.ledger.balance("USDC", "carol") == 0
    assert (s.total_scaled_supply, s.total_debt(), world.pool.lendable("USDC")) == (1, 10**11, 1)
    assert world.apply(Action("donate", "carol", "USDC", 1), T0 + 10) == "ERC20InsufficientBalance"


def test_the_supply_index_grows_at_most_like_the_borrow_index():
    """A year of daily accruals at 100% utilization (S = 1 unit, D ≈ 10^11): each accrual raises the supply index
    by at most ΔBI/BI + 1/D per unit, the suppliers never gain more than interest · S / D, and the rest of the
    interest goes to reserves. The first accrual uncapped would have made one scaled unit worth > 100 USDC."""
    world = _attacked()
    s, rf = world.pool.assets["USDC"].state, world.pool.assets["USDC"].config.reserve_factor_bps
    now = T0 + 4
    for day in range(365):
        si, bi, debt, supplied, reserves = (s.supply_index_ray, s.borrow_index_ray, s.total_debt(), s.total_supply(),
                                            s.reserves)
        now += DAY
        assert world.apply(Action("accrue", "alice"), now) == "ok"
        interest = s.total_debt() - debt
        if day == 0:
            uncapped = mul_div_down(interest - bps_mul_up(interest, rf), RAY, s.total_scaled_supply)
            assert uncapped > 100 * 10**6 * RAY, "the story no longer inflates an uncapped index"
        assert within_the_borrow_index(si, bi, debt, s.supply_index_ray, s.borrow_index_ray)
        gain = s.total_supply() - supplied
        assert gain * debt <= interest * supplied
        assert s.reserves - reserves >= interest - gain - 1 > 0
    assert s.borrow_index_ray > RAY * 3 // 2  # a year at 66%
    assert s.supply_index_ray <= s.borrow_index_ray
    assert world.pool.supply_balance("USDC", "carol") <= 2


def test_a_later_supplier_loses_at_most_one_scaled_unit():
    """After a year of the attack (one accrual) dave supplies 1,000,000 USDC: his balance is short of it by less than
    one scaled unit's worth (SI/RAY + 1 units: at most 1 wei), not the ~60,000 USDC an uncapped index would take."""
    world = _attacked()
    assert world.apply(Action("warp", seconds=365 * DAY), T0 + 4 + 365 * DAY) == "ok"
    amount = 10**12
    assert world.apply(Action("supply", "dave", "USDC", amount, on_behalf="dave"), T0 + 5 + 365 * DAY) == "ok"
    si = world.pool.assets["USDC"].state.supply_index_ray
    loss = amount - world.pool.supply_balance("USDC", "dave")
    assert RAY <= si < 2 * RAY  # the year's suppliers' share on one unit, ⌊interest / D⌋, rounds to nothing
    assert 0 <= loss <= 1 and loss * RAY < si + RAY


FLAT = RateParams(10**18, 0, 0, 8 * 10**17)  # 1e-9 per second at any utilization
DEBT = 10**9 + 7


@pytest.mark.parametrize("supplied", [DEBT - 1, DEBT, DEBT + 1, DEBT // 3])
@pytest.mark.parametrize("rf", [0, 1000])
def test_the_cap_at_its_bounds(supplied, rf):
    """``accrue`` against the formula of docs/SPEC.md §3.3 in exact fractions, indexes at RAY (S = TSS, D = TSD):
    the share ⌊interest · (BPS − rf) / BPS⌋, capped at ⌊interest · S / D⌋ (an inexact division here) when S < D.
    With rf = 0 the cap binds one unit under S = D and not at S = D; with rf = 10% it binds only at S = D/3."""
    s = AssetState(decimals=18, last_update=T0, total_scaled_supply=supplied, total_scaled_debt=DEBT)
    interest = accrue(s, FLAT, rf, T0 + 1000)
    assert interest == 1001  # ⌈DEBT · (1 + 10^-6)⌉ − DEBT
    share = interest - -(-interest * rf // 10_000)
    cap = Fraction(interest * supplied, DEBT)
    expected = min(share, int(cap)) if supplied < DEBT else share
    assert (cap.denominator == 1) == (supplied == DEBT)  # an inexact division wherever the cap is computed
    assert s.reserves == interest - expected
    assert s.supply_index_ray == RAY + expected * RAY // supplied
    binds = expected < share
    assert binds == (supplied == DEBT // 3 or (rf == 0 and supplied == DEBT - 1))
