"""The borrow-rate bound on the in-process chain next to the exact model (docs/SPEC.md §3.1 "Bound"):
``KinkedRateModel``'s constructor refuses a curve whose rate at 100% utilization passes
``MAX_BORROW_RATE_PER_SECOND_RAY`` with BorrowRateTooHigh, as ``RateParams`` does (before, it deployed, and the
pool's first accrual panicked 0x11 on chain while the model raised MathOverflow); a curve at the bound lists on both
twins and accrues at 100% utilization over the longest gap a uint40 ``lastUpdate`` allows, to the wei.
tests/model/test_rate_bounds.py checks the twin's arithmetic; tests/mutation/test_boundaries.py each term's bound."""

from __future__ import annotations

from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.replay import Replay
from protocol_model.exact.lending.params import MAX_BORROW_RATE_BPS, MAX_BORROW_RATE_PER_SECOND_RAY, RateParams
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, WETH, _scenario, faults_spec, lend_usdc_against_weth, play
from tests.mutation.test_boundaries import _name_or_ok

MAX = MAX_BORROW_RATE_PER_SECOND_RAY
BALANCES = {"USDC": "100000", "WETH": "100"}
OPT = 8 * WAD // 10
CURVES = [  # (base, slope1, slope2, optimal), the outcome on both twins
    ((0, 0, MAX, OPT), "ok"),
    ((MAX + 1, 0, 0, OPT), "BorrowRateTooHigh"),
    ((0, UINT256_MAX, 1, OPT), "BorrowRateTooHigh"),  # deployed before; every rate read then panicked 0x11
    ((10**30, 10**30, 10**30, OPT), "BorrowRateTooHigh"),  # deployed before; `rateRay * dt` then panicked 0x11
    ((UINT256_MAX, UINT256_MAX, UINT256_MAX, WAD), "InvalidRateModel"),  # the kink is checked first
]



def test_a_curve_past_the_bound_is_refused_by_name_on_both_twins(chain):
    """Deploying each curve of ``CURVES`` on chain and building it in the twin: the same outcome by name; the
    curve at the bound charges exactly the bound at 100% and lists on both twins."""
    snap = chain.snapshot()
    try:
        scenario = _scenario([USDC, WETH], {"USDC": "1"})
        world = deploy_in_process(scenario, chain)
        admin, project = world.deployer, world.project
        deployed = []
        for curve, expected in CURVES:
            outcomes = (_name_or_ok(lambda c=curve: deployed.append(
                            chain.deploy(project.KinkedRateModel, *c, sender=admin))),
                        _name_or_ok(RateParams, *curve))
            assert outcomes == (expected, expected), f"{curve}: chain, twin {outcomes}"
        (model,) = deployed
        assert model.MAX_BORROW_RATE_PER_SECOND_RAY() == MAX
        assert model.borrowRatePerSecondRay(WAD) == MAX
        token = chain.deploy(project.MockERC20, "HOT", "HOT", 18, sender=admin)
        twin = Replay.start(scenario, world).model.pool
        config = twin.assets["WETH"].config
        outcomes = (_name_or_ok(world.pool.listAsset, token, model, config.as_tuple(), sender=admin),
                    _name_or_ok(twin.list_asset, "HOT", RateParams(*CURVES[0][0]), config, 18, 0))
        assert outcomes == ("ok", "ok")
    finally:
        chain.restore(snap)


def test_the_longest_accrual_at_the_bound_agrees_to_the_wei(chain, replay_in_process):
    """USDC at the bound (1,000% a year at 100% utilization) lent out whole, then the clock runs to the last second
    a uint40 ``lastUpdate`` holds: one accrual of ~2^40 seconds (``rateRay · dt`` < 2^109) agrees to the wei on both
    twins (no Panic 0x11, no MathOverflow), and the underwater borrower is still liquidated."""
    hot = {**USDC, "rate": {"base_bps": 0, "slope1_bps": 0, "slope2_bps": MAX_BORROW_RATE_BPS, "optimal_bps": 8000}}
    rp = replay_in_process(faults_spec([hot, WETH], BALANCES))
    lend_usdc_against_weth(rp, 1_000 * 10**6)  # 100% utilization: the bound's rate
    gap = 2**40 - 1 - chain.now() - 2  # the next two steps take a second each
    play(rp, [
        (Action("warp", seconds=gap), "ok"),
        (Action("supply", "carol", "USDC", 10 * 10**6, on_behalf="carol"), "ok"),  # accrues ~2^40 s at once
        (Action("liquidate", "carol", amount=10**6, borrower="alice", collateral="WETH", debt="USDC"), "ok"),
    ])
    assert chain.now() == 2**40 - 1
    index = rp.model.pool.assets["USDC"].state.borrow_index_ray
    assert index > 3 * 10**5 * 10**27, "a 34,800-year gap at 1,000% a year multiplies the index by ~3.5e5"


def test_a_third_party_model_above_the_bound_is_read_as_the_bound(chain):
    """A third-party ``IRateModel`` (``FixedRateModel``) answering 10^30 RAY a second (≈ 3·10^12 times the bound):
    the pool reads it as ``MAX_BORROW_RATE_PER_SECOND_RAY``, so the chain, with that model, agrees to the wei with
    the twin on a curve at the bound at every utilization (base = the bound, no slopes), through a borrow, a
    100-day gap and a repayment. Without the clamp the borrow index passed 2^128 within a minute (asset frozen)."""
    at_bound = {**USDC, "rate": {"base_bps": MAX_BORROW_RATE_BPS, "slope1_bps": 0, "slope2_bps": 0,
                                 "optimal_bps": 8000}}
    snap = chain.snapshot()
    try:
        scenario = _scenario([at_bound, WETH], BALANCES)
        world = deploy_in_process(scenario, chain)
        wild = chain.deploy(world.project.FixedRateModel, 10**30, sender=world.deployer)
        world.pool.setRateModel(world.tokens["USDC"], wild, sender=world.deployer)  # no debt yet: nothing accrues
        rp = Replay.start(scenario, world)
        assert rp.model.pool.assets["USDC"].rate.base_per_second_ray == MAX
        lend_usdc_against_weth(rp, 500 * 10**6)
        play(rp, [
            (Action("warp", seconds=60), "ok"),
            (Action("accrue"), "ok"),
            (Action("warp", seconds=100 * 86_400), "ok"),
            (Action("repay", "alice", "USDC", 100 * 10**6), "ok"),
        ])
        index = rp.model.pool.assets["USDC"].state.borrow_index_ray
        assert 3 * 10**27 < index < 2**128, "100 days at 1,000% a year: the index about 3.7 times RAY"
    finally:
        chain.restore(snap)


def test_a_rate_model_without_code_is_refused(chain):
    """``listAsset`` and ``setRateModel`` refuse a rate model address without code (an account's address, and one
    nothing was ever deployed at) with ``InvalidRateModel``, after ``ZeroAddress`` for the zero address: accepted, its
    first accrual reverted on the empty return and froze the asset. A deployed model still passes both."""
    snap = chain.snapshot()
    try:
        world = deploy_in_process(_scenario([USDC, WETH], BALANCES), chain)
        admin, pool = world.deployer, world.pool
        token = chain.deploy(world.project.MockERC20, "NEW", "NEW", 18, sender=admin)
        config = Replay.start(world.scenario, world).model.pool.assets["WETH"].config.as_tuple()
        usdc = world.tokens["USDC"]
        for no_code, expected in ((world.address_of("alice"), "InvalidRateModel"),
                                  ("0x" + "ab" * 20, "InvalidRateModel"), ("0x" + "00" * 20, "ZeroAddress")):
            outcomes = (_name_or_ok(pool.listAsset, token, no_code, config, sender=admin),
                        _name_or_ok(pool.setRateModel, usdc, no_code, sender=admin))
            assert outcomes == (expected, expected), f"{no_code}: listAsset, setRateModel {outcomes}"
        model = chain.deploy(world.project.FixedRateModel, 10**18, sender=admin)
        assert (_name_or_ok(pool.setRateModel, usdc, model, sender=admin),
                _name_or_ok(pool.listAsset, token, model, config, sender=admin)) == ("ok", "ok")
    finally:
        chain.restore(snap)
