"""The notebook API (protocol_model.load / model / play, to_frame) and the bundled data (issue #19, items 1 and 3)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import protocol_model as pm
from protocol_model import data
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.perp import PerpScenario
from protocol_model.scenario.protocol import ProtocolFile
from protocol_model.scenario.story import Scenario, load_scenario
from protocol_model.sim.spec import SimulationSpec, SweepSpec
from protocol_model.world.model_world import ModelWorld, run_model
from protocol_model.world.perp_world import PerpModelWorld
from protocol_model.world.snapshot import ASSET_FIELDS, POSITION_FIELDS, TABLES


def test_import_is_light_and_lazy() -> None:
    """``import protocol_model`` loads no submodule, no pandas/numpy/pydantic; the API arrives on first use."""
    code = ("import sys, protocol_model as pm; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'numpy', 'pydantic', 'yaml') or m.startswith('protocol_model.')); print(heavy); "
            "pm.load; print('protocol_model.api.load' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"


def test_version_is_the_distribution_version() -> None:
    from importlib.metadata import version

    assert pm.__version__ == version("protocol_model")


def test_bundled_folders_are_package_resources() -> None:
    assert data.resource("protocols", "generic.yaml").is_file()
    assert "generic" in data.bundled("protocols")
    assert "stories/bad_debt" in data.bundled("scenarios", "**/*.yaml")
    assert data.path("contracts", "lending", "LendingPool.sol").is_file()
    assert data.PROTOCOLS_DIR == data.path("protocols")
    with pytest.raises(FileNotFoundError, match="bundled: .*generic"):
        data.protocol_file("no_such_protocol")
    with pytest.raises(ValueError):
        data.path("elsewhere")


@pytest.mark.parametrize("name,kind", [("generic", ProtocolFile), ("stories/bad_debt", Scenario),
                                       ("perp/bankruptcy", PerpScenario), ("lab/eth_crash", SimulationSpec),
                                       ("lab/sweep_eth.yaml", tuple)])
def test_load_takes_every_kind(name: str, kind: type) -> None:
    loaded = pm.load(name)
    assert isinstance(loaded, kind)
    if kind is tuple:
        assert isinstance(loaded[0], SweepSpec) and isinstance(loaded[1], SimulationSpec)


def test_load_names_what_it_tried(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="bundled scenarios/nope.yaml"):
        pm.load("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: protocol\nname: x\nrules: generic\nassets: {X: {decimals: 6, price_usd: '1', ltv: 90%, "
                   "liquidation_threshold: 80%, liquidation_bonus: 5%}}\n")
    with pytest.raises(ScenarioError, match="ltv"):
        pm.load(bad)


def test_model_builds_a_funded_pool_in_one_call() -> None:
    world = pm.model("generic", accounts={"alice": {"WETH": "1.5"}, "bob": {"USDC": 1000}}, assets=["USDC", "WETH"])
    assert isinstance(world, ModelWorld)
    assert world.asset_names == ["USDC", "WETH"]
    assert world.pool.ledger.balance("WETH", "alice") == 15 * 10**17
    t = world.view_now
    assert world.apply(pm.Action("supply", "alice", "WETH", 15 * 10**17), t + 1) == "ok"
    assert world.apply(pm.Action("supply", "bob", "USDC", 1000 * 10**6), t + 2) == "ok"
    # 1.5 WETH at $2000 with an 80% LTV: $2400 of borrowing power, the pool holds $1000
    assert world.apply(pm.Action("borrow", "alice", "USDC", 1001 * 10**6), t + 3) != "ok"
    assert world.apply(pm.Action("borrow", "alice", "USDC", 1000 * 10**6), t + 3) == "ok"
    assert world.pool.ledger.balance("USDC", "alice") == 1000 * 10**6
    assert isinstance(pm.model("perp", accounts={"alice": {"balance": 100}}), PerpModelWorld)
    with pytest.raises(TypeError):
        pm.model("lab/eth_crash")
    with pytest.raises(ValueError, match="own accounts"):
        pm.model("stories/bad_debt", accounts=["alice"])


def test_play_matches_run_model_and_keeps_every_state() -> None:
    run = pm.play("stories/bad_debt")
    _, outcomes = run_model(load_scenario(data.path("scenarios", "stories", "bad_debt.yaml")))
    assert list(run.outcomes) == outcomes
    assert not run.mismatches
    assert len(run.snapshots) == len(run.scenario.steps)
    frame = run.to_frame()
    assert list(frame.index) == list(range(len(outcomes) + 1))
    assert list(frame["outcome"])[1:] == outcomes
    # the warp step moves time by its seconds; the others by one
    assert frame["time (s)"].iloc[4] - frame["time (s)"].iloc[3] == 31_536_000
    # bad debt appears at the liquidation and stays
    bad = frame["assets USDC: bad debt (tokens)"]
    assert bad.iloc[5] == 0 and bad.iloc[6] > 0


def test_snapshot_frames_are_the_integers_in_human_units() -> None:
    run = pm.play("stories/bad_debt")
    snap = run.snapshots[2]
    assert set(snap.frames()) == set(TABLES)
    raw, human = snap.to_frame("positions", raw=True), snap.to_frame("positions")
    assert list(raw.columns) == list(POSITION_FIELDS)
    decimals = {a.name: a.decimals for a in run.scenario.assets}
    for (asset, account), row in raw.iterrows():
        assert row["supply_balance"] == snap.positions[(asset, account)][2]
        assert human.loc[(asset, account), "supply balance (tokens)"] == row["supply_balance"] / 10 ** decimals[asset]
    assets = snap.to_frame("assets")
    assert assets.loc["WETH", "price (USD)"] == 2000.0
    assert list(snap.to_frame("assets", raw=True).columns) == list(ASSET_FIELDS)
    accounts = snap.to_frame("accounts")
    assert accounts.loc["bob", "health factor"] == float("inf")  # no debt: UINT256_MAX
    assert snap.accounts["bob"][4] == UINT256_MAX
    with pytest.raises(KeyError):
        snap.to_frame("nope")


def test_snapshot_without_decimals_says_so() -> None:
    snap = pm.play("stories/bad_debt").snapshots[0]
    bare = type(snap)(snap.assets, snap.positions, snap.accounts)
    assert bare == snap  # decimals are not compared (model == chain compares values only)
    with pytest.raises(ValueError, match="decimals"):
        bare.to_frame("assets")
    assert bare.to_frame("assets", raw=True).loc["WETH", "price_wad"] == 2000 * 10**18


def test_perp_snapshot_frames() -> None:
    run = pm.play("perp/bankruptcy")
    snap = run.world.snapshot()
    glob = snap.to_frame("global")
    assert glob.loc["engine", "engine balance (tokens)"] == snap.globals_[2] / 10 ** run.scenario.collateral.decimals
    assert list(snap.to_frame("positions").index.names) == ["account", "market"]
    assert run.to_frame().shape[0] == len(run.scenario.steps) + 1


def test_simulation_and_sweep_frames() -> None:
    spec = pm.load("lab/eth_crash")
    sim = pm.simulate(spec, paths=40, workers=1, record_series=True)
    paths = sim.to_frame()
    assert len(paths) == 40
    assert list(paths["bad debt (USD)"]) == list(sim.outcome.per_path["bad_debt_usd"])
    summary = sim.to_frame("summary")
    assert summary["bad debt probability (%)"].iloc[0] == pytest.approx(100 * sim.summary()["bad_debt_probability"])
    series = sim.to_frame("series")
    assert series.shape[0] == 40 * (spec.steps + 1)
    assert "oracle price WETH (USD)" in series.columns
    no_series = pm.simulate(spec, paths=10, workers=1)
    with pytest.raises(ValueError, match="record_series"):
        no_series.to_frame("series")
    sweep, base = pm.load("lab/sweep_eth.yaml")
    small = sweep.model_copy(update={"paths": 20, "fan_chart_paths": 5,
                                     "axes": [a.model_copy(update={"values": a.values[:2]}) for a in sweep.axes]})
    swept = pm.run_sweep(small, base, workers=1)
    cells = swept.to_frame()
    assert len(cells) == 4
    assert list(cells["liquidation threshold (%)"]) == [v / 100 for v in swept.to_frame(raw=True)
                                                        ["liquidation_threshold_bps"]]


def test_compare_frames_are_the_rows_in_human_units() -> None:
    from protocol_model.sim import compare as cmp

    cur, prop, notes = cmp.load_sides("generic", data.path("scenarios", "lab", "weth_lt80_bonus8.yaml"),
                                      data.path("scenarios", "lab", "eth_crash.yaml"))
    result = cmp.compare(cur, prop, paths=40, fan_paths=0, resamples=50, workers=1, notes=notes)
    raw, human = result.to_frame(raw=True), result.to_frame()
    assert len(raw) == sum(len(rows) for rows in result.scopes.values())
    row = next(r for r in result.scopes["Total"] if r["key"] == "bad_debt_probability")
    assert raw.loc[("Total", "bad_debt_probability"), "proposed"] == row["proposed"]
    assert human.loc[("Total", "bad_debt_probability"), "proposed"] == pytest.approx(100 * row["proposed"])
    assert human.loc[("Total", "bad_debt_probability"), "unit"] == "%"
    assert human.loc[("Total", "bad_debt_probability"), "change high"] == pytest.approx(100 * row["change_hi"])
    usd = next(r for r in result.scopes["Total"] if r["key"] == "bad_debt_var99_usd")
    assert human.loc[("Total", "bad_debt_var99_usd"), "current"] == usd["current"]
    params = result.to_frame("parameters")
    assert set(params["field"]) == {"assets.WETH.liquidation_threshold_bps", "assets.WETH.liquidation_bonus_bps"}
    paths = result.to_frame("paths")
    assert list(paths.index.names) == ["side", "path"] and len(paths) == 2 * 40
    assert list(paths.loc["proposed", "bad debt (USD)"]) == list(result.outcomes["proposed"].per_path["bad_debt_usd"])
    with pytest.raises(KeyError, match="tables: metrics, parameters, paths"):
        result.to_frame("nope")


def test_every_result_type_has_to_frame() -> None:
    """Snapshots, story runs, simulations, sweeps, compares and chain cross-checks (``Replay``: what
    ``run_story``, ``protocol-model story --chain`` and the crosscheck suites return) all give a DataFrame."""
    from protocol_model.chain.replay import Replay
    from protocol_model.sim.compare import CompareResult
    from protocol_model.sim.run import SimulationResult
    from protocol_model.sim.sweep import SweepResult
    from protocol_model.world.perp_world import PerpSnapshot
    from protocol_model.world.snapshot import Snapshot

    for kind in (Snapshot, PerpSnapshot, pm.StoryRun, SimulationResult, SweepResult, CompareResult, Replay):
        assert callable(getattr(kind, "to_frame", None)), kind.__name__


def test_a_chain_cross_check_frame_has_both_outcomes_and_the_chains_state() -> None:
    """``Replay.to_frame`` on the in-process chain (pyrevm: no node): one row per step, the twins' outcomes and
    the chain's state after it, in the units ``StoryRun.to_frame`` uses."""
    from protocol_model.chain.inprocess_world import deploy_in_process
    from protocol_model.chain.replay import Replay

    scenario = pm.load("stories/bad_debt")
    replay = Replay.start(scenario, deploy_in_process(scenario))
    assert replay.to_frame().empty
    replay.run()
    frame, raw = replay.to_frame(), replay.to_frame(raw=True)
    assert len(frame) == len(scenario.steps) and list(frame.index) == list(range(len(scenario.steps)))
    assert list(frame["chain"]) == [r.chain for r in replay.results] == [s.expect for s in scenario.steps]
    assert frame["agrees"].all() and (frame["differing fields"] == 0).all()
    last = replay.results[-1].after()
    assert raw["assets USDC: bad_debt"].iloc[-1] == last.field("asset", "USDC", "bad_debt") > 0
    tokens = last.field("asset", "USDC", "bad_debt") / 1e6
    assert frame["assets USDC: bad debt (tokens)"].iloc[-1] == pytest.approx(tokens)
    story = pm.play(scenario).to_frame()
    assert set(frame.columns) - set(story.columns) == {"action", "model", "chain", "agrees", "differing fields"}
