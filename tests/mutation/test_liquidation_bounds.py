"""Exact-bound probes of the liquidation path, replayed on both twins in process (the kill check of ``make mutate``;
docs/mutation.md, probe table).

Each story sits on one bound of ``LendingPool._liquidationAmounts`` / ``_seizedAndDust`` / ``_hfPreservingBonusBps``
/ ``_liquidationValues`` / ``_burnDebt`` (and the twins' ``liquidation_amounts``, ``hf_preserving_bonus_bps``,
``LendingPool.liquidation_values``) and on the unit next to it: the dust-debt rule at exactly twice the minimum
leftover, the no-dust check at exactly the minimum, a bonus cap with an inexact division, leftovers valued through
an index off RAY. A flipped rounding, comparison or sign in either twin changes an outcome or a wei, and the
differential of ``play`` (same outcome, every field equal after every step) fails. The helpers are
tests/mutation/test_boundaries.py's and tests/crosscheck/test_pool_faults.py's.
"""

from __future__ import annotations

from protocol_model.exact.math_lib import BPS, RAY, WAD
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, _scenario, play
from tests.mutation import test_boundaries
from tests.mutation.test_boundaries import DAI, STABLE, USD8, _accrued

chain, replay = test_boundaries.chain, test_boundaries.replay
"""test_boundaries' fixtures: the module's in-process chain, and ``replay(scenario)`` on it, put back after a test."""

E18, E6 = 10**18, 10**6
MIN_LEFT = 100 * WAD
"""The pool's minimum leftover (``PoolParams.min_leftover_usd_wad``'s default): 100 USD."""
D102 = {**USDC, "name": "D102", "decimals": 18, "price_usd": "1.02"}
"""An 18-decimal debt asset at $1.02 (zero rate): a debt's USD value is fractional unless its units are a multiple
of 50."""
STALE_STBL = {**STABLE, "oracle": {"max_age_s": 3 * 86_400}}
"""STBL with a 3-day staleness bound, so a 30-day-old round makes its price unreadable."""


def _position(replay, assets, debt: str, coll: str, pledged: int, borrowed: int, answer: int):
    """bob lends 10,000 of ``debt``; alice pledges ``pledged`` of ``coll``, borrows ``borrowed`` of ``debt``, and
    ``coll``'s answer moves to ``answer`` (8 decimals); both twins agree at every step."""
    unit = 10 ** next(a["decimals"] for a in assets if a["name"] == debt)
    rp = replay(_scenario(assets, {debt: "100000", coll: "5000"}))
    play(rp, [
        (Action("supply", "bob", debt, 10_000 * unit, on_behalf="bob"), "ok"),
        (Action("supply", "alice", coll, pledged, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", debt, borrowed), "ok"),
        (Action("price", asset=coll, answer=answer), "ok"),
    ])
    return rp


def _liquidate(amount: int, coll: str = "STBL", debt: str = "D102") -> Action:
    """carol liquidates alice for ``amount`` of ``debt``, seizing ``coll``."""
    return Action("liquidate", "carol", amount=amount, borrower="alice", collateral=coll, debt=debt)


DUST_DEBT = (200 * E18 * 100 - 1) // 102
"""The largest D102 debt worth at most 200 USD = 2 × the minimum leftover / (1 − the 50% close factor): ×1.02 it is
200 USD − 0.14 wei, ⌈·⌉ = 200 USD exactly."""


def _dust_debt_story(replay, debt: int):
    """alice owes ``debt`` D102 against 235 STBL at $1 (HF = 193.875 / ~200 ≈ 0.969: above the 0.95 full-close line)
    and carol asks for the whole debt."""
    rp = _position(replay, [STALE_STBL, D102], "D102", "STBL", 235 * E18, debt, USD8)
    hf = rp.model.pool.health_factor("alice")
    assert 95 * WAD // 100 <= hf < WAD
    play(rp, [(_liquidate(debt), "ok")])
    return rp


def test_a_debt_of_exactly_twice_the_minimum_keeps_the_close_factor(replay):
    """The dust-debt rule lifts the close factor when ⌈debt value⌉ × (BPS − close factor) < minimum × BPS. At
    ⌈200 USD − 0.14 wei⌉ = 200 USD the two sides are equal: not dust, only ⌈debt / 2⌉ is repaid. Rounded down
    (200 USD − 1 wei) or with ``<=`` it would be dust and the whole debt repaid."""
    assert DUST_DEBT * 102 % 100 and -(-DUST_DEBT * 102 // 100) == 200 * E18
    rp = _dust_debt_story(replay, DUST_DEBT)
    assert rp.model.pool.debt_balance("D102", "alice") == DUST_DEBT // 2  # ⌈debt / 2⌉ repaid


def test_a_debt_one_unit_under_twice_the_minimum_is_closed_whole(replay):
    """One unit of debt less (⌈·⌉ = 200 USD − 1 wei): dust, the request for the whole debt repays all of it (with
    BPS + close factor in the rule it would be capped at half); the debt bit of D102 (id 1) is cleared, so with
    STBL's price stale alice still withdraws (a debt bit left set makes the withdrawal read that price)."""
    debt = DUST_DEBT - 1
    assert -(-debt * 102 // 100) == 200 * E18 - 1
    rp = _dust_debt_story(replay, debt)
    assert rp.model.pool.scaled_debt.get(("D102", "alice"), 0) == 0
    play(rp, [
        (Action("feed", asset="STBL", source="primary", answer=USD8, seconds=30 * 86_400), "ok"),
        (Action("borrow", "alice", "D102", 1), "StalePrice"),  # the price is unreadable indeed
        (Action("withdraw", "alice", "STBL", E18), "ok"),
    ])


HI = {**STABLE, "name": "HI", "ltv_bps": 9_000, "liquidation_threshold_bps": 9_800, "liquidation_bonus_bps": 200}
"""A 98% threshold with a 2% bonus (9,800 × 10,200 < BPS²): at HF ≈ 0.99 the HF-preserving cap binds."""


def test_the_hf_preserving_bonus_cap_is_rounded_down(replay):
    """1,000 HI at $0.91 × 98% against 900 USDC: HF ≈ 0.9909, above the full-close line, so the bonus is capped at
    ⌊HF·BPS²/(lt·WAD)⌋ − BPS = 111 bps < the asset's 200. The division is inexact: rounded up the cap is one bps more
    (112), with BPS − bonus in the comparison the full 200 is paid, with capBps + BPS the bonus is 20,111 bps; each
    changes the collateral seized."""
    from protocol_model.exact.lending.liquidation import hf_preserving_bonus_bps

    rp = _position(replay, [USDC, HI], "USDC", "HI", 1_000 * E18, 900 * E6, 91 * USD8 // 100)
    hf = rp.model.pool.health_factor("alice")
    assert 95 * WAD // 100 <= hf < WAD and hf * BPS * BPS % (9_800 * WAD)
    assert hf_preserving_bonus_bps(9_800, 200, hf) == 111
    before = rp.model.pool.supply_balance("HI", "alice")
    play(rp, [(_liquidate(100 * E6, "HI", "USDC"), "ok")])
    seized = 100 * E6 * E18 * E18 // (91 * E18 // 100 * E6) * (BPS + 111) // BPS
    assert before - rp.model.pool.supply_balance("HI", "alice") == seized


def test_a_debt_left_at_exactly_the_minimum_passes(replay):
    """alice owes 1,000 USDC against 3,000 STBL at $0.35 (HF ≈ 0.87, below the line: no cap, 5% bonus). Repaying
    901 USDC would leave 99 USD of debt: MustNotLeaveDust (with the scaled debt left computed as a sum it would
    pass). Repaying 900 leaves exactly 100 USD: allowed (``<=`` would refuse it)."""
    rp = _position(replay, [USDC, STABLE], "USDC", "STBL", 3_000 * E18, 1_000 * E6, 35 * USD8 // 100)
    play(rp, [(_liquidate(901 * E6, debt="USDC"), "MustNotLeaveDust"), (_liquidate(900 * E6, debt="USDC"), "ok")])
    assert rp.model.pool.debt_balance("USDC", "alice") == 100 * E6


def test_a_debt_left_worth_the_minimum_is_valued_up(replay):
    """The no-dust rule values the debt left rounded up: 98,039,215,686,274,509,803 D102 left is worth
    100 USD − 0.94 wei, ⌈·⌉ = 100 USD: allowed; rounded down it would be one wei under (MustNotLeaveDust).
    900 D102 repaid is exact (a multiple of 1,000: seized and the repayment derived from it have no remainder)."""
    left = (MIN_LEFT * 100 - 1) // 102
    assert left * 102 % 100 and -(-left * 102 // 100) == MIN_LEFT
    rp = _position(replay, [{**STABLE, "price_usd": "1.2"}, D102], "D102", "STBL", 1_150 * E18, 900 * E18 + left, USD8)
    assert rp.model.pool.health_factor("alice") < 95 * WAD // 100
    play(rp, [(_liquidate(900 * E18), "ok")])
    assert rp.model.pool.debt_balance("D102", "alice") == left


def test_the_last_debt_bit_cleared_by_a_repayment(replay):
    """``_burnDebt`` clears the debt bit ``128 + id`` (D102 is id 1): after alice repays all her debt and STBL's
    price goes stale, she withdraws without a price (with ``128 - id`` the debt bit would stay and the withdrawal
    would read the stale price: StalePrice)."""
    rp = _position(replay, [STALE_STBL, D102], "D102", "STBL", 1_000 * E18, 100 * E18, USD8)
    play(rp, [
        (Action("repay", "alice", "D102", 100 * E18, on_behalf="alice"), "ok"),
        (Action("feed", asset="STBL", source="primary", answer=USD8, seconds=30 * 86_400), "ok"),
        (Action("withdraw", "alice", "STBL", E18), "ok"),
    ])


GOV = {**STABLE, "name": "GOV", "rate": DAI["rate"]}
"""STBL's risk parameters with DAI's rate: borrowed for 91 days and repaid, its supply index is left off RAY and
frozen (no debt, no interest)."""
D18 = {**USDC, "name": "D18", "decimals": 18}
"""An 18-decimal debt asset at $1 (zero rate): a debt's units are its USD value in WAD."""


def _indexed_gov(replay):
    """bob lends 2,000 GOV, carol borrows 1,000 of it against 10,000 USDC for 91 days and repays it all; bob lends
    10,000 D18. GOV's supply index is then above RAY and stays put. Returns the replay and that index."""
    from protocol_model.exact.math_lib import UINT256_MAX

    rp = replay(_scenario([USDC, GOV, D18], {"USDC": "100000", "GOV": "5000", "D18": "100000"}))
    play(rp, [
        (Action("supply", "bob", "GOV", 2_000 * E18, on_behalf="bob"), "ok"),
        (Action("supply", "carol", "USDC", 10_000 * E6, on_behalf="carol"), "ok"),
        (Action("borrow", "carol", "GOV", 1_000 * E18), "ok"),
        (Action("warp", seconds=91 * 86_400 + 7), "ok"),
        (Action("repay", "carol", "GOV", UINT256_MAX, on_behalf="carol"), "ok"),
        (Action("supply", "bob", "D18", 10_000 * E18, on_behalf="bob"), "ok"),
    ])
    s = rp.model.pool.assets["GOV"].state
    assert s.supply_index_ray > RAY and s.total_scaled_debt == 0
    return rp, s.supply_index_ray


def _pledge_scaled(rp, index: int, scaled: int) -> None:
    """alice supplies the GOV amount that mints exactly ``scaled`` scaled units at ``index`` (⌊amount·RAY/index⌋;
    every count is reachable since index > RAY)."""
    from protocol_model.exact.math_lib import ray_div_down

    amount = -(-scaled * index // RAY)
    assert ray_div_down(amount, index) == scaled
    play(rp, [(Action("supply", "alice", "GOV", amount, on_behalf="alice"), "ok")])


def test_liquidation_values_round_the_indexed_collateral_down(replay):
    """alice's GOV is worth x + a fraction USD at $1 (index off RAY): rounded down, × 82.5% it is one wei under her
    debt (HF < 1, liquidated); rounded up (x + 1) it would cover the debt (HealthyAccount)."""
    from protocol_model.exact.math_lib import ray_mul_down, ray_mul_up

    rp, index = _indexed_gov(replay)
    scaled = 1_000 * E18
    while True:  # a scaled amount whose value is fractional and whose next unit crosses a threshold step
        x = ray_mul_down(scaled, index)
        if ray_mul_up(scaled, index) == x + 1 and x * 8_250 // BPS < (x + 1) * 8_250 // BPS:
            break
        scaled += 1
    debt = (x + 1) * 8_250 // BPS
    _pledge_scaled(rp, index, scaled)
    play(rp, [(Action("borrow", "alice", "D18", debt), "ok"), (Action("price", asset="GOV", answer=USD8), "ok")])
    assert _accrued(rp).liquidation_values("alice") == (debt - 1, debt)
    play(rp, [(_liquidate(10 * E18, "GOV", "D18"), "ok")])


def test_collateral_left_through_the_index_is_valued_down(replay):
    """The no-dust rule values the GOV a liquidation leaves at ⌊scaled·index⌋: alice keeps a scaled amount worth
    100 USD − a fraction (⌊·⌋ = 100 USD − 1 wei): MustNotLeaveDust (⌈·⌉ would pass); one scaled unit more left
    passes, and the scaled amount burnt is ⌈seized·RAY/index⌉ (an inexact division: rounded down, one unit less)."""
    from protocol_model.exact.math_lib import ray_div_up, ray_mul_down, ray_mul_up

    rp, index = _indexed_gov(replay)
    repay, price = 400 * E18, 7 * E18 // 10  # D18 repaid; GOV at $0.70
    seized = repay * E18 * E18 // (price * E18) * 10_500 // BPS
    burnt = ray_div_up(seized, index)
    assert burnt * index % RAY and seized * RAY % index
    left = MIN_LEFT * E18 // price * RAY // index  # scaled GOV worth about 100 USD at $0.70: then the exact bound
    while ray_mul_down(left, index) * price // E18 >= MIN_LEFT:
        left -= 1
    while ray_mul_down(left + 1, index) * price // E18 < MIN_LEFT:
        left += 1
    value = ray_mul_down(left, index)
    assert value * price // E18 == MIN_LEFT - 1 and ray_mul_up(left, index) * price // E18 >= MIN_LEFT
    _pledge_scaled(rp, index, burnt + left)
    play(rp, [(Action("borrow", "alice", "D18", 600 * E18), "ok"),
              (Action("price", asset="GOV", answer=70 * USD8 // 100), "ok")])
    assert rp.model.pool.health_factor("alice") < 95 * WAD // 100
    play(rp, [(_liquidate(repay, "GOV", "D18"), "MustNotLeaveDust")])
    _pledge_scaled(rp, index, 1)
    play(rp, [(_liquidate(repay, "GOV", "D18"), "ok")])
    assert rp.model.pool.scaled_supply[("GOV", "alice")] == left + 1


def test_a_liquidation_seizing_all_the_indexed_collateral(replay):
    """GOV crashes to $0.40 under alice's 1,000 D18 debt: the liquidation takes all her GOV, ⌊scaled·index⌋ tokens
    (a fractional product: rounded up the pool would pay out one wei it does not owe her), and writes the rest of
    the debt off."""
    from protocol_model.exact.math_lib import ray_mul_down, ray_mul_up

    rp, index = _indexed_gov(replay)
    scaled = 1_500 * E18
    while ray_mul_up(scaled, index) == ray_mul_down(scaled, index):
        scaled += 1
    _pledge_scaled(rp, index, scaled)
    play(rp, [(Action("borrow", "alice", "D18", 1_000 * E18), "ok"),
              (Action("price", asset="GOV", answer=40 * USD8 // 100), "ok"),
              (_liquidate(1_000 * E18, "GOV", "D18"), "ok")])
    assert rp.model.pool.scaled_supply.get(("GOV", "alice"), 0) == 0
    assert rp.model.pool.scaled_debt.get(("D18", "alice"), 0) == 0


def test_a_debt_left_through_the_index_is_valued_up(replay):
    """With DAI's borrow index off RAY, a liquidation leaves alice the scaled debt whose value is 100 USD − a
    fraction, ⌈·⌉ = 100 USD: allowed (⌊·⌋ would be MustNotLeaveDust)."""
    from protocol_model.exact.math_lib import ray_div_down, ray_mul_down, ray_mul_up

    rp = replay(_scenario([DAI, STABLE], {"DAI": "100000", "STBL": "3000"}))
    play(rp, [
        (Action("supply", "bob", "DAI", 900 * E18, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "STBL", 2_000 * E18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "DAI", 300 * E18), "ok"),
        (Action("warp", seconds=91 * 86_400 + 7), "ok"),
        (Action("price", asset="STBL", answer=17 * USD8 // 100), "ok"),
    ])
    pool = _accrued(rp)
    index, owed = pool.assets["DAI"].state.borrow_index_ray, pool.scaled_debt[("DAI", "alice")]
    assert pool.health_factor("alice") < 95 * WAD // 100
    left = MIN_LEFT * RAY // index
    while ray_mul_up(left + 1, index) <= MIN_LEFT:
        left += 1
    while ray_mul_up(left, index) > MIN_LEFT:
        left -= 1
    assert ray_mul_up(left, index) == MIN_LEFT and ray_mul_down(left, index) == MIN_LEFT - 1
    repay = ray_mul_up(owed - left, index)
    while ray_div_down(repay, index) > owed - left:
        repay -= 1
    assert ray_div_down(repay, index) == owed - left
    play(rp, [(_liquidate(repay, "STBL", "DAI"), "ok")])
    assert rp.model.pool.scaled_debt[("DAI", "alice")] == left


BIG_DEBT = {**USDC, "name": "BIGD", "decimals": 0, "price_usd": "100000000000000000"}
"""A 0-decimal debt asset at 1e17 USD a unit (1e35 USD WAD, below the router's MAX_PRICE_WAD of 1e36)."""
BIG_COLL = {**USDC, "name": "BIGC", "decimals": 0, "price_usd": "100000000000000000"}


def test_a_dust_test_that_overflows_reverts_panic_0x11_on_both_twins(replay):
    """The dust-debt test's left side ``value(debt) · (BPS − closeFactor)`` is Solidity's checked ``*``: a debt worth
    2.5e73 USD WAD times 5,000 passes 2^256 − 1 and the liquidation reverts ``Panic(0x11)``. The twin computed it on
    unbounded integers (and liquidated); it now checks the product (``checked_mul``) and names the same revert,
    with every field unchanged on both sides. One unit of debt less than the threshold liquidates on both."""
    from protocol_model.exact.math_lib import UINT256_MAX

    units = 10**38
    rp = replay(_scenario([BIG_DEBT, BIG_COLL], {"BIGD": str(34 * units // 10), "BIGC": str(34 * units // 10)}))
    debt = 25 * units // 10  # 2.5e38 units x 1e35 = 2.5e73 USD WAD; x 5,000 = 1.25e77 > 2^256 - 1
    play(rp, [
        (Action("supply", "bob", "BIGD", 3 * units, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "BIGC", 33 * units // 10, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "BIGD", debt), "ok"),
        (Action("price", asset="BIGC", answer=75 * 10**15 * USD8 // 100), "ok"),  # HF = 3.3 x 0.75 x 0.88 / 2.5 < 1
    ])
    value = debt * 10**35
    assert value * (BPS - 5_000) > UINT256_MAX
    play(rp, [(_liquidate(debt // 10, "BIGC", "BIGD"), "Panic(0x11)")])
    assert rp.model.pool.scaled_debt[("BIGD", "alice")] > 0
