"""The pytest plugin (entry point ``pytest11``) and the hypothesis strategies (issue #19, item 2)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocol_model as pm
from protocol_model.testing import strategies as pst
from protocol_model.testing.plugin import starting_balances
from protocol_model.testing.roles import Roles

INNER_TESTS = '''
import pytest
from decimal import Decimal

pytestmark = pytest.mark.protocol_model(overrides={"assets.WETH.liquidation_threshold": "81%"})


def test_protocol_fixture_loads_the_ini_protocol_with_overrides(protocol, protocol_file):
    assert protocol_file.name == "mine.yaml"
    assert protocol.name == "mine"
    assert protocol.assets["WETH"].liquidation_threshold_bps == 8100


def test_model_is_the_protocols_twin_with_funded_roles(model, roles, protocol):
    assert model.account_names == list(roles.accounts)
    assert model.pool.ledger.balance("WETH", roles.suppliers[0]) == 500 * 10**18  # $1M at $2000
    assert model.pool.assets["WETH"].config.liquidation_threshold_bps == 8100


@pytest.mark.protocol_model(protocol="generic", accounts={"zed": {"USDC": 5}})
def test_marker_picks_a_bundled_protocol_and_accounts(model, protocol):
    assert protocol.name == "generic"
    assert model.account_names == ["zed"]
    assert model.pool.ledger.balance("USDC", "zed") == 5 * 10**6


@pytest.mark.protocol_model(protocol="generic", overrides={"assets.WETH.ltv": "95%"})
def test_a_bad_override_fails_the_setup(protocol):
    pass


@pytest.mark.protocol_model(protocol="protocols/nope.yaml")
def test_a_missing_protocol_fails_the_setup(protocol):
    pass
'''

PROTOCOL = '''kind: protocol
protocol: generic
name: mine
overrides: {assets.WETH.price_usd: "2000"}
'''


def test_the_plugin_is_registered_by_entry_point() -> None:
    names = {e.name: e.value for e in entry_points(group="pytest11")}
    assert names.get("protocol_model") == "protocol_model.testing.plugin"


def test_the_plugin_imports_nothing_heavy() -> None:
    code = ("import sys, protocol_model.testing.plugin; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ape', 'web3', 'hypothesis', 'pandas', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fixtures_in_a_users_project(tmp_path: Path) -> None:
    """A user's project: an ini option naming its own protocol file, a module marker, a test marker."""
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "mine.yaml").write_text(PROTOCOL)
    (tmp_path / "pytest.ini").write_text("[pytest]\nprotocol_model_protocol = protocols/mine.yaml\n"
                                         "addopts = --strict-markers\n")
    (tmp_path / "test_mine.py").write_text(textwrap.dedent(INNER_TESTS))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:ape_test", "-p", "no:cacheprovider",
                          "test_mine.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "3 passed, 2 errors" in run.stdout, run.stdout + run.stderr
    # Each bad input is one line naming where it was given, the file, the field and the rule: no traceback
    # into the package's loaders.
    assert re.search(r"^marker protocol_model\(overrides=\.\.\.\): \S*generic\.yaml: overrides\.assets\.WETH\.ltv: "
                     r"assets\.WETH: ltv \(95%\) is above liquidation_threshold", run.stdout, re.M), run.stdout
    assert re.search(r"^marker protocol_model\(protocol=\.\.\.\): no file 'protocols/nope\.yaml'", run.stdout,
                     re.M), run.stdout
    assert "protocol_model/scenario/" not in run.stdout and "protocol_model/api/" not in run.stdout, run.stdout


def test_a_pool_fork_without_the_rest_of_the_protocol_is_named_not_passed_over(tmp_path: Path) -> None:
    """A user's ape project that compiles its own LendingPool is deployed only with every other protocol contract
    (``PROTOCOL_CONTRACTS``); missing some, it is one error naming them, never a silent fallback to the bundled
    pool (the fork's tests would pass on a pool they never ran)."""
    from protocol_model.chain.story_chain import PROTOCOL_CONTRACTS, protocol_project
    from protocol_model.scenario.base import ScenarioError

    partial = SimpleNamespace(path=tmp_path, contracts=dict.fromkeys(
        ("LendingPool", "PriceRouter", "PoolLens", "KinkedRateModel", "PoolUser")))
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(tmp_path))}: contracts: LendingPool is compiled here "
                       r"but not MockERC20, MockAggregator;"):
        protocol_project(partial)
    whole = SimpleNamespace(path=tmp_path, contracts=dict.fromkeys((*PROTOCOL_CONTRACTS, "PoolUser")))
    assert protocol_project(whole) is whole


def test_starting_balances_are_a_million_dollars_of_each_asset() -> None:
    balances = starting_balances(pm.load("generic"))
    assert balances == {"USDC": 1_000_000, "WBTC": 16, "WETH": 500}
    assert Roles().accounts == ("alice", "bob", "carol", "dave", "erin", "mallory")


PROTOCOL_FILE = pm.load("generic")
ACCOUNTS = ["alice", "bob", "carol"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(pst.operations(PROTOCOL_FILE, ACCOUNTS, max_tokens=1000), min_size=1, max_size=25))
def test_operations_run_on_the_model_and_a_revert_changes_nothing(ops) -> None:
    """Every drawn operation is one the model can run: ``ok`` or a named revert that leaves the state as it was."""
    world = pm.model(PROTOCOL_FILE, {name: {"USDC": 100_000, "WETH": 50, "WBTC": 2} for name in ACCOUNTS})
    now = world.view_now
    for action in ops:
        now += action.seconds if action.kind == "warp" else 1
        before = world.snapshot()
        outcome = world.apply(action, now)
        assert isinstance(outcome, str) and outcome
        if outcome != "ok":
            assert world.snapshot().diff(before) == []


@given(path=pst.price_paths({"WETH": 2000, "USDC": 1}, steps=20, max_move=0.5))
def test_price_paths_stay_positive_and_bounded(path) -> None:
    assert len(path) == 20
    previous = {"WETH": 2000, "USDC": 1}
    for point in path:
        for asset, price in point.items():
            assert price > 0
            assert float(price) <= float(previous[asset]) * 1.5 + 1e-8
        previous = point
    actions = pst.price_actions(path[-1])
    assert [a.asset for a in actions] == ["USDC", "WETH"] and all(a.answer > 0 for a in actions)


@given(units=pst.token_amounts(6, 10, allow_max=True))
def test_token_amounts_are_positive_units(units) -> None:
    assert units == 2**256 - 1 or 0 < units <= 10 * 10**6 + 999_999
