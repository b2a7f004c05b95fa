"""LendingPool configuration on chain: validation mirrors the model's errors; roles guard every setter."""

from __future__ import annotations

import ape
import pytest

from protocol_model.exact import errors
from protocol_model.exact.lending.params import AssetConfig, RateParams


@pytest.fixture(scope="module")
def pool_setup(project, admin, accounts):
    router = admin.deploy(project.PriceRouter, admin)
    pool = admin.deploy(project.LendingPool, admin, router)
    token = admin.deploy(project.MockERC20, "T", "T", 18)
    r = RateParams.from_annual_bps(0, 400, 30_000, 8_000)
    model = admin.deploy(project.KinkedRateModel, r.base_per_second_ray, r.slope1_per_second_ray,
                         r.slope2_per_second_ray, r.optimal_utilization_wad)
    return pool, token, model, accounts[5]


BAD_CONFIGS = [
    AssetConfig(8000, 10_000, 0, 0, 0),
    AssetConfig(8500, 8000, 500, 0, 0),
    AssetConfig(8000, 9600, 500, 0, 0),
    AssetConfig(8000, 8500, 500, 10_001, 0),
    AssetConfig(8000, 8500, 500, 0, 10_001),
]


@pytest.mark.parametrize("cfg", BAD_CONFIGS)
def test_listing_rejects_what_the_model_rejects(pool_setup, admin, cfg):
    pool, token, model, _ = pool_setup
    with pytest.raises(errors.PoolError) as expected:
        cfg.validate()
    with ape.reverts(getattr(pool, expected.value.name)):
        pool.listAsset(token, model, cfg.as_tuple(), sender=admin)


def test_roles_guard_setters(pool_setup, admin):
    pool, token, model, stranger = pool_setup
    good = AssetConfig(8000, 8500, 500, 1000, 1000)
    with ape.reverts(pool.AccessControlUnauthorizedAccount):
        pool.listAsset(token, model, good.as_tuple(), sender=stranger)
    pool.listAsset(token, model, good.as_tuple(), sender=admin)
    with ape.reverts(pool.AssetAlreadyListed):
        pool.listAsset(token, model, good.as_tuple(), sender=admin)
    with ape.reverts(pool.AccessControlUnauthorizedAccount):
        pool.setAssetConfig(token, good.as_tuple(), sender=admin)  # admin lacks the risk-admin role
    with ape.reverts(pool.AccessControlUnauthorizedAccount):
        pool.setPause(True, True, sender=stranger)
    with ape.reverts(pool.AccessControlUnauthorizedAccount):
        pool.setCloseFactor(4000, 9 * 10**17, sender=stranger)
    pool.grantRole(pool.RISK_ADMIN_ROLE(), stranger, sender=admin)
    with ape.reverts(pool.InvalidCloseFactor):
        pool.setCloseFactor(0, 9 * 10**17, sender=stranger)
    pool.setCloseFactor(4000, 9 * 10**17, sender=stranger)
    assert pool.closeFactorBps() == 4000
    tighter = AssetConfig(7000, 8000, 500, 1000, 2000)
    pool.setAssetConfig(token, tighter.as_tuple(), sender=stranger)
    assert pool.configs(token)[:5] == (7000, 8000, 500, 1000, 2000)


def test_rate_model_rejects_bad_kink(project, admin):
    with ape.reverts():
        admin.deploy(project.KinkedRateModel, 0, 1, 1, 10**18)


def test_rate_model_rejects_a_rate_above_the_bound(project, admin):
    """On anvil too: the whole ``MAX_BORROW_RATE_PER_SECOND_RAY`` in slope2 deploys and is charged at 100%; one
    RAY-unit more, or terms whose sum overflows uint256, revert BorrowRateTooHigh like ``RateParams``."""
    from protocol_model.exact.lending.params import MAX_BORROW_RATE_PER_SECOND_RAY as MAX

    model = admin.deploy(project.KinkedRateModel, 0, 0, MAX, 8 * 10**17)
    assert model.MAX_BORROW_RATE_PER_SECOND_RAY() == MAX == model.borrowRatePerSecondRay(10**18)
    assert _deploy_outcome(project, admin, 0, 0, MAX, 8 * 10**17) == "ok"
    for terms in ((0, 0, MAX + 1), (2**256 - 1, 2**256 - 1, 0)):
        # ape cannot decode a custom error of a constructor (it has no contract address to read the ABI from):
        # the revert data of a raw eth_call of the deployment is decoded by selector instead.
        assert _deploy_outcome(project, admin, *terms, 8 * 10**17) == "BorrowRateTooHigh"
        with pytest.raises(errors.BorrowRateTooHigh):
            RateParams(*terms, 8 * 10**17)


def _deploy_outcome(project, sender, *args: int) -> str:
    """'ok' or the error name of deploying KinkedRateModel(``args``), from a raw eth_call of its creation code."""
    from eth_abi import encode

    from protocol_model.chain.driver import error_selectors

    code = project.KinkedRateModel.contract_type.deployment_bytecode.bytecode
    data = code + encode(["uint256"] * len(args), list(args)).hex()
    res = ape.chain.provider.web3.provider.make_request("eth_call", [{"from": sender.address, "data": data}, "latest"])
    if "error" not in res:
        return "ok"
    raw = res["error"].get("data") or ""
    raw = raw.get("data", "") if isinstance(raw, dict) else raw
    return error_selectors(project).get(raw[2:10].lower(), f"Revert({res['error']})")


def test_price_router_rejects_non_positive_answers(project, admin):
    router = admin.deploy(project.PriceRouter, admin)
    feed = admin.deploy(project.MockAggregator, 8, 0, "zero")
    token = admin.deploy(project.MockERC20, "Z", "Z", 6)
    with ape.reverts(router.FeedNotSet):
        router.priceWad(token)
    router.setFeed(token, feed, sender=admin)
    with ape.reverts(router.InvalidPrice):
        router.priceWad(token)
    feed.setAnswer(-5, sender=admin)
    with ape.reverts(router.InvalidPrice):
        router.priceWad(token)
    feed.setAnswer(123_45000000, sender=admin)
    assert router.priceWad(token) == 12345 * 10**16
