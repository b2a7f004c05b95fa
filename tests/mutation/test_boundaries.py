"""Exact-boundary probes, replayed on both twins in process (the kill check of ``make mutate``; docs/mutation.md).

Random fuzzing almost never lands on a value equal to a bound (HF exactly 1, a borrow of exactly the capacity or
of exactly the cash, a withdrawal that leaves HF at exactly 1, adjusted collateral half a wei under the debt).
Each story below sits on one such bound and on the unit next to it, so a flipped comparison or rounding
direction in either twin changes an outcome or a field, and the differential (same outcome, every field equal)
or the stated outcome fails. A $1 collateral with 18 decimals makes its USD value equal its units, so the
values are exact to the wei.
"""

from __future__ import annotations

import pytest

from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.replay import Replay
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, ZERO_RATE, _scenario, play

STABLE = {"name": "STBL", "decimals": 18, "price_usd": "1.1", "ltv_bps": 8000, "liquidation_threshold_bps": 8250,
          "liquidation_bonus_bps": 500, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000,
          "rate": ZERO_RATE}
USD8 = 10**8
E18, E6 = 10**18, 10**6


@pytest.fixture(scope="module")
def chain():
    return InProcessChain(Artifacts.load())


@pytest.fixture
def replay(chain):
    """``start(scenario) -> Replay`` on the module's in-process chain, put back after the test."""
    snap = chain.snapshot()
    yield lambda scenario: Replay.start(scenario, deploy_in_process(scenario, chain))
    chain.restore(snap)


def _borrower(replay, collateral_units: int, debt_units: int):
    """bob lends 100,000 USDC; alice supplies ``collateral_units`` STBL at $1.1, borrows ``debt_units`` USDC,
    and STBL goes back to exactly $1 (its value is then its units, in WAD)."""
    return _priced_borrower(replay, collateral_units, debt_units, STABLE["price_usd"], USD8)


def test_hf_exactly_one_is_not_liquidated(replay):
    """2,000 STBL × 82.5% = 1,650 USD of adjusted collateral against 1,650 USDC: HF = 1 exactly, HealthyAccount;
    one wei of STBL less (withdrawn) would be HealthFactorTooLow."""
    rp = _borrower(replay, 2_000 * E18, 1_650 * E6)
    assert rp.model.pool.health_factor("alice") == WAD
    play(rp, [
        (Action("liquidate", "carol", amount=100 * E6, borrower="alice", collateral="STBL", debt="USDC"),
         "HealthyAccount"),
        (Action("withdraw", "alice", "STBL", 1), "HealthFactorTooLow"),
    ])


def test_half_a_wei_under_the_debt_is_liquidated(replay):
    """2,000 STBL − 1 wei: adjusted collateral 1,650 USD − 0.825 wei, rounded down (in the protocol's favour) to
    1,650 USD − 1 wei < the debt: HF < 1 and the account is liquidated; rounded up it would look healthy."""
    rp = _borrower(replay, 2_000 * E18 - 1, 1_650 * E6)
    assert rp.model.pool.health_factor("alice") == WAD - 1
    play(rp, [(Action("liquidate", "carol", amount=100 * E6, borrower="alice", collateral="STBL", debt="USDC"),
               "ok")])


def test_withdrawal_down_to_hf_exactly_one(replay):
    """2,000 STBL + 1 wei against 1,650 USDC: withdrawing the 1 wei leaves HF = 1 exactly (allowed); the next wei
    would not be."""
    rp = _borrower(replay, 2_000 * E18 + 1, 1_650 * E6)
    play(rp, [
        (Action("withdraw", "alice", "STBL", 1), "ok"),
        (Action("withdraw", "alice", "STBL", 1), "HealthFactorTooLow"),
    ])
    assert rp.model.pool.health_factor("alice") == WAD


def test_borrow_exactly_the_capacity(replay):
    """2,000 STBL at $1 and 80% LTV: 1,600 USDC is exactly the capacity (allowed), one unit more is not."""
    rp = _borrower(replay, 2_000 * E18, 1_000 * E6)
    play(rp, [
        (Action("borrow", "alice", "USDC", 600 * E6 + 1), "InsufficientCollateral"),
        (Action("borrow", "alice", "USDC", 600 * E6), "ok"),
    ])


def test_borrow_exactly_the_cash_and_repay_exactly_the_debt(replay):
    """bob lends 1,000 USDC; alice borrows exactly the cash (one unit more is InsufficientLiquidity), repays
    exactly her debt (the whole of it), and bob withdraws everything."""
    rp = replay(_scenario([USDC, STABLE], {"USDC": "100000", "STBL": "3000"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "STBL", 2_000 * E18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 1_000 * E6 + 1), "InsufficientLiquidity"),
        (Action("borrow", "alice", "USDC", 1_000 * E6), "ok"),
        (Action("repay", "alice", "USDC", 1_000 * E6, on_behalf="alice"), "ok"),
        (Action("repay", "alice", "USDC", 1, on_behalf="alice"), "NoDebt"),
        (Action("withdraw", "bob", "USDC", UINT256_MAX), "ok"),
    ])
    assert rp.model.pool.debt_balance("USDC", "alice") == 0


DAI = {"name": "DAI", "decimals": 18, "price_usd": "1", "ltv_bps": 8000, "liquidation_threshold_bps": 8500,
       "liquidation_bonus_bps": 500, "reserve_factor_bps": 1000, "supply_cap": "1000",
       "rate": {"base_bps": 200, "slope1_bps": 1000, "slope2_bps": 30_000, "optimal_bps": 8000}}


def _borrowed_and_waited(replay, debt: dict, collateral: dict, lent: int, pledged: int, borrowed: int, seconds: int):
    """bob lends ``lent`` of ``debt``, alice pledges ``pledged`` of ``collateral`` and borrows ``borrowed``, then
    ``seconds`` pass (interest moves the indexes off RAY)."""
    d, c = debt["name"], collateral["name"]
    rp = replay(_scenario([debt, collateral], {d: "100000", c: "3000"}))
    play(rp, [
        (Action("supply", "bob", d, lent, on_behalf="bob"), "ok"),
        (Action("supply", "alice", c, pledged, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", d, borrowed), "ok"),
        (Action("warp", seconds=seconds), "ok"),
    ])
    return rp


def _accrued(rp):
    """A copy of the model pool accrued to the next step's block time (what that step will see)."""
    from protocol_model.world.lending_properties import clone

    pool = clone(rp.model.pool)
    pool._accrue_all(rp.now + 1)
    return pool


def test_supply_exactly_to_the_cap_and_repay_exactly_the_debt(replay):
    """With interest accrued (indexes off RAY, so the roundings matter): a supply whose new total, rounded down,
    is exactly the cap passes (rounded up it would be one unit over), one more is SupplyCapExceeded; a repayment of
    exactly the debt (rounded up) burns all of it, leaving no scaled dust (``amount >= debt`` or ``>`` burn the same:
docs/mutation.md lists that mutant as equivalent)."""
    from protocol_model.exact.math_lib import RAY, ray_div_down, ray_mul_down, ray_mul_up

    rp = _borrowed_and_waited(replay, DAI, STABLE, 500 * E18, 2_000 * E18, 300 * E18, 91 * 86_400 + 7)
    play(rp, [(Action("price", asset="STBL", answer=11 * USD8 // 10), "ok")])
    pool = _accrued(rp)
    s, cap = pool.assets["DAI"].state, pool.assets["DAI"].config.supply_cap
    assert s.supply_index_ray > RAY and cap == 1_000 * E18
    top = cap * RAY // s.supply_index_ray  # the largest total scaled supply whose value rounds down to <= cap
    while ray_mul_down(top + 1, s.supply_index_ray) <= cap:
        top += 1
    # a scaled total on the cap whose exact value is fractional: down gives the cap, up one unit more
    while ray_mul_up(top, s.supply_index_ray) == ray_mul_down(top, s.supply_index_ray):
        top -= 1
    amount = ray_mul_up(top - s.total_scaled_supply, s.supply_index_ray)
    while ray_div_down(amount, s.supply_index_ray) > top - s.total_scaled_supply:
        amount -= 1
    assert ray_div_down(amount, s.supply_index_ray) == top - s.total_scaled_supply
    play(rp, [(Action("supply", "bob", "DAI", amount, on_behalf="bob"), "ok")])
    play(rp, [(Action("supply", "bob", "DAI", 2 * E18, on_behalf="bob"), "SupplyCapExceeded")])
    pool = _accrued(rp)
    debt = ray_mul_up(pool.scaled_debt[("DAI", "alice")], pool.assets["DAI"].state.borrow_index_ray)
    play(rp, [(Action("repay", "alice", "DAI", debt, on_behalf="alice"), "ok")])
    assert rp.model.pool.scaled_debt.get(("DAI", "alice"), 0) == 0


def test_policy_bounds_agree_on_chain(chain):
    """``PriceRouter.setOraclePolicy`` accepts or rejects each policy bound and the unit past it exactly as the
    twin's ``OraclePolicy.validate`` (tests/exact/test_oracle_faults.py::POLICY_FIELDS), in process; a fallback
    or a feed (``setFeed``, the twin's ``Feed``) of 18 decimals is accepted, 19 is InvalidDecimals."""
    from protocol_model.chain.inprocess import ZERO_ADDRESS
    from protocol_model.exact.oracle.oracle_policy import OraclePolicy
    from protocol_model.exact.oracle.price_router import Feed
    from tests.exact.test_oracle_faults import POLICY_FIELDS

    snap = chain.snapshot()
    try:
        world = deploy_in_process(_scenario([USDC, STABLE], {"USDC": "1"}), chain)
        token, sequencer = world.tokens["USDC"], world.feeds["STBL"].address
        for policy, field in POLICY_FIELDS:
            if policy.min_price_wad < 0:  # not representable in the contract's uint256
                continue
            outcome = _set_policy(world, token, policy.as_tuple(
                ZERO_ADDRESS, sequencer if policy.has_sequencer else ZERO_ADDRESS))
            assert outcome == ("ok" if field is None else "InvalidOraclePolicy"), f"{policy}: {outcome}"
        for decimals, expected in ((18, "ok"), (19, "InvalidDecimals")):  # a feed's decimals, at the bound
            fallback = chain.deploy(world.project.MockAggregator, decimals, 10**decimals, "FB", sender=world.deployer)
            outcome = _set_policy(world, token, OraclePolicy().as_tuple(fallback.address, ZERO_ADDRESS))
            assert outcome == expected, f"a fallback with {decimals} decimals: {outcome}"
            outcomes = (_name_or_ok(world.router.setFeed, token, fallback, sender=world.deployer),
                        _name_or_ok(Feed, 10**decimals, decimals, 1, 0))
            assert outcomes == (expected, expected), f"a feed with {decimals} decimals: chain, twin {outcomes}"
    finally:
        chain.restore(snap)


USDR = {**USDC, "name": "USDR", "rate": {"base_bps": 500, "slope1_bps": 1000, "slope2_bps": 0, "optimal_bps": 8000}}
DAI18 = {**USDR, "name": "DAI18", "decimals": 18, "price_usd": "1.01"}


@pytest.mark.parametrize("debt_asset, borrowed", [(USDR, 800 * E6), (DAI18, 700 * E18 + 3)], ids=["6-dec", "18-dec"])
def test_liquidation_values_round_the_debt_up(replay, debt_asset, borrowed):
    """Interest makes the debt's units fractional (and, at $1.01 with 18 decimals, its value too); the
    liquidation's HF counts both rounded up. Collateral is set so the adjusted value is one wei under that
    rounded-up debt: HF < 1 and the account is liquidated (either rounded down would leave HF >= 1)."""
    from protocol_model.exact.math_lib import RAY, mul_div_up, ray_mul_down, ray_mul_up

    name = debt_asset["name"]
    rp = _borrowed_and_waited(replay, debt_asset, {**STABLE, "price_usd": "2.2"}, 50_000 * 10 ** debt_asset["decimals"],
                              500 * E18, borrowed, 30 * 86_400 + 11)
    from protocol_model.world.lending_properties import clone

    # the liquidation (now + 3) accrues alice's assets once; the supply below (now + 1) accrues STBL alone
    # (zero rate) and the price step nothing, so the debt grows in one accrual, as here
    pool = clone(rp.model.pool)
    pool._accrue_account("alice", rp.now + 3)
    scaled, index = pool.scaled_debt[(name, "alice")], pool.assets[name].state.borrow_index_ray
    debt, price = ray_mul_up(scaled, index), pool._price_wad(name)
    assert index > RAY and ray_mul_down(scaled, index) == debt - 1
    value = mul_div_up(debt, price, 10 ** debt_asset["decimals"])
    assert debt_asset["decimals"] == 6 or debt * price % 10**18, "the 18-decimal value must be fractional"
    target = value - 1  # adjusted collateral (WAD): one wei under the debt's value
    units = -(-target * 10_000 // 8_250)
    while units * 8_250 // 10_000 > target:
        units -= 1
    assert units * 8_250 // 10_000 == target
    play(rp, [
        (Action("supply", "alice", "STBL", units - 500 * E18, on_behalf="alice"), "ok"),
        (Action("price", asset="STBL", answer=USD8), "ok"),
    ])
    assert _accrued(rp).liquidation_values("alice") == (target, value)  # what the liquidation will see
    play(rp, [(Action("liquidate", "carol", amount=10**debt_asset["decimals"], borrower="alice", collateral="STBL",
                      debt=name), "ok")])

def _set_policy(world, token, policy: tuple) -> str:
    """``router.setOraclePolicy(token, policy)`` by the deployer: "ok" or the revert's name."""
    from protocol_model.chain.inprocess import TransactionReverted

    try:
        world.router.setOraclePolicy(token, policy, sender=world.deployer)
    except TransactionReverted as err:
        return err.name
    return "ok"


def test_collateral_switched_off_down_to_hf_exactly_one(replay):
    """HF exactly 1 on STBL alone, plus 10 USDC of collateral: switching the USDC off leaves HF = 1 (allowed on
    both twins; the check is ``adjusted < debt``), switching STBL off would not be."""
    from protocol_model.chain.inprocess import TransactionReverted
    from protocol_model.exact.errors import HealthFactorTooLow

    rp = _borrower(replay, 2_000 * E18, 1_650 * E6)
    play(rp, [(Action("supply", "alice", "USDC", 10 * E6, on_behalf="alice"), "ok")])
    pool, chain = rp.model.pool, rp.chain
    with pytest.raises(HealthFactorTooLow):
        pool.set_use_as_collateral("alice", "STBL", False, rp.now + 1)
    with pytest.raises(TransactionReverted, match="HealthFactorTooLow"):
        chain.pool.setUseAsCollateral(chain.tokens["STBL"], False, sender=chain.signers["alice"])
    pool.set_use_as_collateral("alice", "USDC", False, rp.now + 1)
    chain.pool.setUseAsCollateral(chain.tokens["USDC"], False, sender=chain.signers["alice"])
    assert pool.health_factor("alice") == chain.pool.healthFactor(chain.address_of("alice")) == WAD


def _priced_borrower(replay, pledged: int, borrowed: int, price_usd: str, answer: int):
    """bob lends 100,000 USDC; alice pledges ``pledged`` STBL at ``price_usd``, borrows ``borrowed`` USDC, and the
    STBL answer moves to ``answer`` (8 decimals): both twins agree at every step."""
    rp = replay(_scenario([USDC, {**STABLE, "price_usd": price_usd}], {"USDC": "100000", "STBL": "3000"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 100_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "STBL", pledged, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", borrowed), "ok"),
        (Action("price", asset="STBL", answer=answer), "ok"),
    ])
    return rp


def test_liquidation_values_round_the_collateral_down(replay):
    """The collateral's value in the liquidation's HF is rounded down before the threshold: 1,818.18… STBL at
    $1.1 is worth 1,999.99…9.8 USD, ⌊·⌋ = 2,000 USD − 1 wei, × 82.5% = 1,650 USD − 1 wei (rounded down), one wei
    under the 1,650 USDC debt: liquidated. The value rounded up (2,000 USD) would make HF exactly 1 and the
    account healthy."""
    pledged = 2_000 * E18 * 10 // 11  # 1,818,181,818,181,818,181,818: × 1.1 = 2,000e18 − 0.2
    assert pledged * 11 % 10 and pledged * 11 // 10 == 2_000 * E18 - 1
    rp = _priced_borrower(replay, pledged, 1_650 * E6, "1.2", 11 * USD8 // 10)
    assert _accrued(rp).liquidation_values("alice") == (1_650 * E18 - 1, 1_650 * E18)
    play(rp, [(Action("liquidate", "carol", amount=100 * E6, borrower="alice", collateral="STBL", debt="USDC"),
               "ok")])


def test_collateral_left_by_a_liquidation_is_valued_down(replay):
    """The no-dust rule values the collateral a partial liquidation leaves rounded down: leaving 142.857…142 STBL
    at $0.7 (99.99…9.4 USD, ⌊·⌋ one wei under the 100 USD minimum) is MustNotLeaveDust on both twins; one wei of
    STBL more left (100.00…0.1 USD) passes. Rounded up, the first would pass too.

    Below the full-close line (HF ≈ 0.43) the bonus is the asset's 5% and the request is not capped, so the
    seized amount for 400 USDC is ⌊⌊400e6·1e36/(0.7e18·1e6)⌋·10,500/10,000⌋ whatever the balance."""
    left = 142_857_142_857_142_857_142  # × 0.7 = 100e18 − 0.6
    assert left * 7 % 10 and left * 7 // 10 == 100 * E18 - 1
    repay, price_wad = 400 * E6, 7 * E18 // 10
    seized = repay * E18 * E18 // (price_wad * E6) * 10_500 // 10_000
    rp = _priced_borrower(replay, seized + left, 1_000 * E6, "2", 7 * USD8 // 10)
    liquidation = Action("liquidate", "carol", amount=repay, borrower="alice", collateral="STBL", debt="USDC")
    play(rp, [
        (liquidation, "MustNotLeaveDust"),
        (Action("supply", "alice", "STBL", 1, on_behalf="alice"), "ok"),
        (liquidation, "ok"),
    ])
    assert rp.model.pool.supply_balance("STBL", "alice") == left + 1


def _name_or_ok(call, *args, **kwargs) -> str:
    """``call(*args, **kwargs)``'s outcome: "ok", or the name of the contract's revert / the twin's error."""
    from protocol_model.chain.inprocess import TransactionReverted
    from protocol_model.exact.errors import PoolError

    try:
        call(*args, **kwargs)
    except TransactionReverted as err:
        return err.name
    except PoolError as err:
        return err.name
    return "ok"


BPS = 10_000
CONFIG_BOUNDS = [  # (ltv, threshold, bonus, protocol fee, reserve factor), the outcome
    ((0, BPS - 1, 0, 0, 0), "ok"), ((0, BPS, 0, 0, 0), "ThresholdTooHigh"),
    ((8_250, 8_250, 500, 0, 0), "ok"), ((8_251, 8_250, 500, 0, 0), "LtvAboveThreshold"),
    ((8_000, 8_000, 2_499, 0, 0), "ok"), ((8_000, 8_000, 2_500, 0, 0), "LiquidationBonusTooHigh"),
    ((8_000, 8_250, 500, BPS, 0), "ok"), ((8_000, 8_250, 500, BPS + 1, 0), "FeeTooHigh"),
    ((8_000, 8_250, 500, 0, BPS), "ok"), ((8_000, 8_250, 500, 0, BPS + 1), "FeeTooHigh"),
]
"""Each bound of ``LendingPool._validate`` / ``AssetConfig.validate`` and the unit past it (8,000 × 12,500 =
BPS²: the bonus bound is exact)."""
CLOSE_FACTOR_BOUNDS = [((BPS, WAD), "ok"), ((BPS + 1, WAD), "InvalidCloseFactor"), ((1, 0), "ok"),
                       ((0, WAD), "InvalidCloseFactor"), ((5_000, WAD + 1), "InvalidCloseFactor")]


def test_pool_admin_bounds_agree_in_process(chain):
    """``setAssetConfig``, ``setCloseFactor``, ``setMinLeftover`` and ``listAsset``'s decimals accept each bound and
    reject the unit past it, by name, exactly as the twin's validation (``AssetConfig.validate``,
    ``PoolParams.validate``, ``LendingPool.list_asset``)."""
    from protocol_model.exact.lending.params import MAX_MIN_LEFTOVER_USD_WAD, AssetConfig, PoolParams

    snap = chain.snapshot()
    try:
        scenario = _scenario([USDC, STABLE], {"USDC": "1"})
        world = deploy_in_process(scenario, chain)
        pool, token, admin = world.pool, world.tokens["USDC"], world.deployer
        for fields, expected in CONFIG_BOUNDS:
            config = AssetConfig(*fields)
            outcomes = (_name_or_ok(pool.setAssetConfig, token, config.as_tuple(), sender=admin),
                        _name_or_ok(config.validate))
            assert outcomes == (expected, expected), f"{fields}: chain, twin {outcomes}"
        for (close_factor, full_close), expected in CLOSE_FACTOR_BOUNDS:
            params = PoolParams(close_factor_bps=close_factor, full_close_hf_wad=full_close)
            outcomes = (_name_or_ok(pool.setCloseFactor, close_factor, full_close, sender=admin),
                        _name_or_ok(params.validate))
            assert outcomes == (expected, expected), f"close factor {close_factor}, {full_close}: {outcomes}"
        bound = MAX_MIN_LEFTOVER_USD_WAD  # the largest whose `* BPS` in the liquidation fits uint256
        for minimum, expected in ((bound, "ok"), (bound + 1, "InvalidMinLeftover")):
            outcomes = (_name_or_ok(pool.setMinLeftover, minimum, sender=admin),
                        _name_or_ok(PoolParams(min_leftover_usd_wad=minimum).validate))
            assert outcomes == (expected, expected), f"min leftover {minimum}: chain, twin {outcomes}"
        rate_model = chain.deploy(world.project.KinkedRateModel, 0, 0, 0, 8 * WAD // 10, sender=admin)
        config = AssetConfig(*CONFIG_BOUNDS[2][0])
        twin = Replay.start(scenario, world).model.pool
        for decimals, expected in ((24, "ok"), (25, "InvalidDecimals")):  # MAX_DECIMALS
            listed = chain.deploy(world.project.MockERC20, "D", "D", decimals, sender=admin)
            outcomes = (_name_or_ok(pool.listAsset, listed, rate_model, config.as_tuple(), sender=admin),
                        _name_or_ok(twin.list_asset, f"D{decimals}", twin.assets["USDC"].rate, config, decimals, 0))
            assert outcomes == (expected, expected), f"an asset with {decimals} decimals: chain, twin {outcomes}"
    finally:
        chain.restore(snap)


def test_rate_model_bound_agrees_in_process(chain):
    """``KinkedRateModel``'s constructor and ``RateParams`` accept the whole ``MAX_BORROW_RATE_PER_SECOND_RAY`` in
    each term (and split over all three) and reject one RAY-unit more, by name (BorrowRateTooHigh): a flipped
    comparison in either twin's bound changes an outcome."""
    from protocol_model.exact.lending.params import MAX_BORROW_RATE_PER_SECOND_RAY as MAX
    from protocol_model.exact.lending.params import RateParams

    snap = chain.snapshot()
    try:
        world = deploy_in_process(_scenario([USDC], {"USDC": "1"}), chain)
        t, opt = MAX // 3, 8 * WAD // 10
        for at_bound, past in (((MAX, 0, 0), (MAX + 1, 0, 0)), ((0, MAX, 0), (0, MAX + 1, 0)),
                               ((0, 0, MAX), (0, 0, MAX + 1)), ((t, t, MAX - 2 * t), (t, t + 1, MAX - 2 * t))):
            for terms, expected in ((at_bound, "ok"), (past, "BorrowRateTooHigh")):
                outcomes = (_name_or_ok(chain.deploy, world.project.KinkedRateModel, *terms, opt,
                                        sender=world.deployer),
                            _name_or_ok(RateParams, *terms, opt))
                assert outcomes == (expected, expected), f"{terms}: chain, twin {outcomes}"
    finally:
        chain.restore(snap)


def test_withdraw_exactly_the_balance(replay):
    """With the supply index off RAY (a balance rounded down): withdrawing one unit more than the balance is
    InsufficientBalance, withdrawing exactly the balance (by amount, not ``max``) passes and burns every scaled
    unit, on both twins."""
    rp = _borrowed_and_waited(replay, DAI, STABLE, 500 * E18, 2_000 * E18, 300 * E18, 91 * 86_400 + 7)
    play(rp, [(Action("supply", "carol", "DAI", 10 * E18 + 3, on_behalf="carol"), "ok"),
              (Action("warp", seconds=86_400 + 5), "ok")])
    over = _accrued(rp).supply_balance("DAI", "carol") + 1
    play(rp, [(Action("withdraw", "carol", "DAI", over), "InsufficientBalance")])
    exact = _accrued(rp).supply_balance("DAI", "carol")
    assert exact > 10 * E18 + 3, "interest accrued to carol"
    play(rp, [(Action("withdraw", "carol", "DAI", exact), "ok")])
    assert rp.model.pool.scaled_supply.get(("DAI", "carol"), 0) == 0


def _largest_borrow_within_cap(rp, asset: str, cap: int) -> int:
    """The largest borrow of ``asset`` whose new total debt, rounded up at the next step's index, is at most
    ``cap`` (token units); asserts that it lands exactly on the cap."""
    from protocol_model.exact.math_lib import ray_div_up, ray_mul_up

    s = _accrued(rp).assets[asset].state

    def total(amount: int) -> int:
        return ray_mul_up(s.total_scaled_debt + ray_div_up(amount, s.borrow_index_ray), s.borrow_index_ray)
    amount = cap - total(0)
    while total(amount + 1) <= cap:
        amount += 1
    while total(amount) > cap:
        amount -= 1
    assert total(amount) == cap < total(amount + 1)
    return amount


def test_borrow_exactly_to_the_cap(replay):
    """With the borrow index off RAY: a borrow whose new total debt, rounded up, is exactly the borrow cap passes;
    one unit more is BorrowCapExceeded (rounded down, or with ``>=``, the outcomes would move by one)."""
    from protocol_model.exact.math_lib import RAY

    rp = _borrowed_and_waited(replay, {**DAI, "borrow_cap": "400"}, STABLE, 500 * E18, 2_000 * E18, 300 * E18,
                              91 * 86_400 + 7)
    assert _accrued(rp).assets["DAI"].state.borrow_index_ray > RAY
    play(rp, [(Action("borrow", "alice", "DAI", _largest_borrow_within_cap(rp, "DAI", 400 * E18) + 1),
               "BorrowCapExceeded")])
    play(rp, [(Action("borrow", "alice", "DAI", _largest_borrow_within_cap(rp, "DAI", 400 * E18)), "ok")])


def test_hf_exactly_at_the_full_close_line_keeps_the_close_factor(replay):
    """1,900 STBL × 82.5% = 1,567.5 USD against 1,650 USDC: HF = 0.95 exactly, the full-close line, which counts
    as above it: a request for the whole debt repays only the 50% close factor (with ``>`` it would repay all)."""
    rp = _borrower(replay, 1_900 * E18, 1_650 * E6)
    assert rp.model.pool.health_factor("alice") == 95 * WAD // 100
    play(rp, [(Action("liquidate", "carol", amount=1_650 * E6, borrower="alice", collateral="STBL", debt="USDC"),
               "ok")])
    assert rp.model.pool.scaled_debt[("USDC", "alice")] == 825 * E6  # zero rate: the index is RAY


FLAT0 = {"name": "DAI0", "decimals": 18, "price_usd": "1", "ltv_bps": 8000, "liquidation_threshold_bps": 8500,
         "liquidation_bonus_bps": 500, "reserve_factor_bps": 0,
         "rate": {"base_bps": 1000, "slope1_bps": 0, "slope2_bps": 0, "optimal_bps": 8000}}
"""A flat 10% rate and no reserve factor: the suppliers' whole share is the interest, so the cap of docs/SPEC.md
§3.3 (⌊interest · S / D⌋ while S < D) is all that stands between them."""


@pytest.mark.parametrize("excess", [-1, 0, 1], ids=["S=D+1", "S=D", "S=D-1"])
def test_the_suppliers_cap_at_debt_equal_to_supply(replay, excess):
    """bob supplies S = 1,000 DAI0 + 7 wei, carol donates 1 DAI0 and alice borrows S + ``excess`` (indexes at RAY:
    D = S + excess), then 91 days pass and an accrual runs on both twins. One unit under the debt the cap binds and
    its division is inexact: suppliers get ⌊interest · S / D⌋ = interest − 1 and reserves the one unit left
    (mulDivUp: nothing; ``<`` flipped to ``>``/``>=``: no cap); at S = D and above they get the whole interest
    (``<`` → ``<=`` is equivalent there: the cap is then the interest itself, docs/mutation.md)."""
    from fractions import Fraction

    from protocol_model.exact.math_lib import RAY

    supplied = 1_000 * E18 + 7
    rp = replay(_scenario([FLAT0, STABLE], {"DAI0": "100000", "STBL": "3000"}))
    play(rp, [
        (Action("supply", "bob", "DAI0", supplied, on_behalf="bob"), "ok"),
        (Action("donate", "carol", "DAI0", E18), "ok"),
        (Action("supply", "alice", "STBL", 2_000 * E18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "DAI0", supplied + excess), "ok"),
    ])
    s = rp.model.pool.assets["DAI0"].state
    debt, si = s.total_debt(), s.supply_index_ray
    assert (s.total_supply(), debt, si, s.borrow_index_ray) == (supplied, supplied + excess, RAY, RAY)
    play(rp, [(Action("warp", seconds=91 * 86_400 + 7), "ok"), (Action("accrue", "carol"), "ok")])
    interest = s.total_debt() - debt
    cap = Fraction(interest * supplied, debt)
    share = min(interest, int(cap)) if supplied < debt else interest
    assert interest > 10**19 and (cap.denominator == 1) == (excess == 0)
    assert share == interest - (excess == 1)
    assert s.reserves == interest - share
    assert s.supply_index_ray == si + share * RAY // supplied
