"""The example project's own contract (PoolUser) on its own protocol file, checked against the exact model with
protocol_model's plugin fixtures: ``deployed`` (the protocol on this network), ``model`` (its twin at the same
state), ``cross_check`` (every field to the wei) and ``run_story``."""

import pytest

from protocol_model.world.action import Action

USDC, WETH = 10**6, 10**18


@pytest.fixture
def pool_user(project, deployed):
    """This project's PoolUser, deployed against the protocol's pool."""
    return deployed.account("alice").deploy(project.PoolUser, deployed.chain.pool)


def test_the_deployment_is_this_projects_protocol(deployed, protocol, model, cross_check):
    assert protocol.name == "mine"
    assert model is deployed.model
    assert model.pool.assets["WETH"].config.liquidation_threshold_bps == 8000
    cross_check()


def test_supply_and_borrow_through_the_wrapper_match_the_model(deployed, model, pool_user, cross_check):
    world = deployed.chain
    usdc, weth = world.tokens["USDC"], world.tokens["WETH"]
    alice, carol = deployed.account("alice"), deployed.account("carol")

    # The wrapper acts as alice's operator: without the authorization the pool credits the supply but does not
    # count it as collateral (a third party cannot plant collateral), and the model's own-supply would differ.
    world.pool.setAuthorization(pool_user, True, sender=alice)
    usdc.approve(pool_user, 200_000 * USDC, sender=alice)
    receipt = pool_user.supplyFor(usdc, 200_000 * USDC, sender=alice)
    assert deployed.mirror(Action("supply", "alice", "USDC", 200_000 * USDC), receipt) == "ok"
    cross_check()

    assert deployed.step(Action("supply", "carol", "WETH", 10 * WETH)).agrees  # the pool called directly, via ape
    world.pool.setAuthorization(pool_user, True, sender=carol)
    before = usdc.balanceOf(carol)
    receipt = pool_user.borrowFor(usdc, 15_000 * USDC, sender=carol)
    assert deployed.mirror(Action("borrow", "carol", "USDC", 15_000 * USDC), receipt) == "ok"
    assert usdc.balanceOf(carol) - before == 15_000 * USDC
    assert weth.balanceOf(pool_user) == usdc.balanceOf(pool_user) == 0
    cross_check()

    assert deployed.step(Action("borrow", "carol", "USDC", 1_000 * USDC)).agrees  # and the pool directly
    assert deployed.step(Action("warp", seconds=30 * 86_400)).agrees
    assert deployed.step(Action("repay", "carol", "USDC", 5_000 * USDC)).agrees
    cross_check()


def test_cross_check_names_the_field_that_differs(deployed, model, cross_check):
    model.apply(Action("supply", "bob", "USDC", 1 * USDC), deployed.replay.now + 1)  # the chain never sees it
    with pytest.raises(AssertionError, match=r"(?s)differ in \d+ field.*bob"):
        cross_check()


def test_a_bundled_story_plays_on_this_network(run_story):
    replay = run_story("stories/bad_debt")
    kinds = {r.action.kind for r in replay.results}
    assert {"supply", "borrow", "liquidate"} <= kinds
    assert replay.mismatches == 0
