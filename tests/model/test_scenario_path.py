"""Deployment scenarios: opening positions, price path, keeper and checks (model only, no chain)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from protocol_model.chain.play import preflight
from protocol_model.exact.math_lib import WAD
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.scenario.story import ScenarioError, load_scenario, parse_scenario
from protocol_model.world.keeper import accrued, decide, liquidatable
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.positions import opening_actions, path_actions

ROOT = Path(__file__).resolve().parents[2]
POPULATED = ROOT / "scenarios" / "fork" / "populated.yaml"
BASE = yaml.safe_load(POPULATED.read_text())


def broken(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


# scenarios/lab (simulation and sweep files), scenarios/perp (margin-engine stories) and scenarios/presets
# (stories on a preset's rules: Morpho Blue, Aave V3) have schemas of their own, validated by their own tests.
OTHER_SCHEMAS = ("lab", "perp", "presets")
LENDING_FILES = sorted(p for p in ROOT.glob("scenarios/**/*.yaml")
                       if p.relative_to(ROOT / "scenarios").parts[0] not in OTHER_SCHEMAS)


@pytest.mark.parametrize("path", LENDING_FILES, ids=lambda p: p.stem)
def test_every_scenario_file_stays_valid(path):
    load_scenario(path)


@pytest.mark.parametrize("edit,needle", [
    (lambda d: d["path"][0]["prices"].update(DOGE="1"), "path.0.prices: unknown asset 'DOGE'"),
    (lambda d: d["path"][1]["prices"].update(WETH="-3"), "path.1.prices.WETH: a price must be >= 0"),
    (lambda d: d["path"][1].update(warp="soon"), "path.1.warp"),
    (lambda d: d["keeper"].update(account="mallory"), "keeper.account: unknown account 'mallory'"),
    (lambda d: d["checks"].append({"at": 9, "liquidated": []}), "checks.5.at: 9 is past the path's last point"),
    (lambda d: d["checks"][0].update(healthy=["zed"]), "checks.0.healthy: unknown account 'zed'"),
    (lambda d: d["accounts"][1]["supplies"].update(USDT="1"), "accounts.1.supplies: unknown asset 'USDT'"),
    (lambda d: d["accounts"][1]["borrows"].update(USDC="0"), "accounts.1.borrows.USDC: amount must be > 0"),
    (lambda d: d["accounts"][1]["borrows"].update(USDC="1.0000001"), "has more than 6 decimals"),
    (lambda d: d["accounts"][1].update(loans={"USDC": "1"}), "accounts.1.loans"),
])
def test_bad_input_names_the_field(edit, needle):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(broken(edit), "p.yaml")
    assert needle in str(err.value) and str(err.value).startswith("p.yaml: ")


def test_an_impossible_opening_position_is_rejected_before_deployment():
    """alice's 10 WETH at $2000 and LTV 80% carry at most 16,000 USDC."""
    s = parse_scenario(broken(lambda d: d["accounts"][1]["borrows"].update(USDC="16000.000001")), "p.yaml")
    with pytest.raises(ScenarioError, match=r"^p\.yaml: accounts\.1\.borrows\.USDC: .*\(InsufficientCollateral\)$"):
        preflight(s, "p.yaml")
    preflight(parse_scenario(broken(lambda d: d["accounts"][1]["borrows"].update(USDC="16000")), "p.yaml"))


def test_opening_order_and_path_actions():
    s = load_scenario(POPULATED)
    opening = opening_actions(s)
    kinds = [a.kind for _, a in opening]
    assert kinds == ["supply"] * 8 + ["borrow"] * 5, "every supply precedes every borrow"
    assert opening[-1][0] == "accounts.5.borrows.WETH" and opening[-1][1].amount == 7 * 10**18
    assert [a.kind for a in path_actions(s, 0)] == ["warp", "price"]
    assert path_actions(s, 0)[1].answer == 1800 * 10**8


def _opened(s):
    world = ModelWorld(s, {a.name: 0 for a in s.assets})
    for t, (_, action) in enumerate(opening_actions(s), start=1):
        assert world.apply(action, t) == "ok"
    return world


def test_keeper_finds_and_chooses_deterministically():
    """WETH to $1000 at once: alice (0.69) and dave (0.53) fall below 1 (hand figures in populated.yaml)."""
    s = load_scenario(POPULATED)
    world = _opened(s)
    pool = world.pool
    pool.set_feed("WETH", Feed(1000 * 10**8, 8, 2, 100))
    borrowers = [a for a in world.account_names if a != "keeper"]
    assert liquidatable(pool, borrowers, 100) == ["alice", "dave"]
    d = decide(pool, "keeper", "alice", 100)
    assert (d.action.collateral, d.action.debt) == ("WETH", "USDC")
    assert d.health_factor_wad < WAD
    # the debt as a call at t=100 sees it (accrued); the keeper's 200k USDC wallet caps nothing
    assert d.action.amount == accrued(pool, 100).debt_balance("USDC", "alice") > pool.debt_balance("USDC", "alice")
    # carol holds WETH and WBTC: at WETH $1000 WBTC (0.5 · 60000) is her larger collateral
    pool.set_feed("WBTC", Feed(20_000 * 10**8, 8, 2, 100))
    pool.set_feed("WETH", Feed(300 * 10**8, 8, 3, 100))
    d = decide(pool, "keeper", "carol", 100)
    assert d is not None and d.action.collateral == "WBTC"
    # a keeper with an empty wallet cannot act, and says why
    pool.ledger.balances[("USDC", "keeper")] = 0
    assert decide(pool, "keeper", "carol", 100).reason == "keeper holds no USDC"
    assert decide(pool, "keeper", "lp", 100) is None
