"""`ape run deploy` / `ape run play`: bad input deploys nothing; a dying chain keeps the report so far."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from protocol_model.chain import play as play_mod
from protocol_model.chain.play import ChainDied, Player, Report, deploy_and_open
from protocol_model.chain.record import DeploymentRecord, attach, record_of, scenario_signers
from protocol_model.scenario.story import load_scenario

ROOT = Path(__file__).resolve().parents[2]
POPULATED = ROOT / "scenarios" / "fork" / "populated.yaml"


@pytest.mark.parametrize("edit,needle", [
    (lambda d: d.setdefault("overrides", {}).update({"assets.USDC.decimals": "six"}), "assets.USDC.decimals"),
    (lambda d: d["accounts"][1]["borrows"].update(USDC="20000"), "accounts.1.borrows.USDC"),
])
def test_bad_scenario_deploys_nothing_and_writes_no_record(tmp_path, edit, needle):
    data = yaml.safe_load(POPULATED.read_text())
    edit(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    out = tmp_path / "record.json"
    done = subprocess.run(["ape", "run", "deploy", "--scenario", str(bad), "--out", str(out),
                           "--network", "ethereum:local:test"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert needle in text and f"{bad}:" in text
    assert "deployed to" not in text, "something was deployed"
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


@pytest.fixture(scope="module")
def deployed(chain, project, accounts):
    """The populated scenario deployed and opened once for this module."""
    scenario = load_scenario(POPULATED)
    before = chain.snapshot()
    replay = deploy_and_open(scenario, project, accounts[0], scenario_signers(scenario, accounts))
    yield scenario, replay, {"id": chain.snapshot()}
    chain.restore(before)


@pytest.fixture
def opened(deployed, chain):
    """A fresh copy of the opened replay for one test; the chain is put back afterwards."""
    scenario, replay, snap = deployed
    fresh = copy.copy(replay)
    fresh.model, fresh.results = copy.deepcopy(replay.model), list(replay.results)
    fresh.chain = copy.copy(replay.chain)
    yield scenario, fresh
    chain.restore(snap["id"])  # anvil consumes a snapshot when it reverts to it
    snap["id"] = chain.snapshot()


def test_record_round_trip(opened, chain, project, tmp_path):
    scenario, replay = opened
    path = record_of(replay.chain, "test").write(tmp_path / "r.json")
    record = DeploymentRecord.read(path)
    assert record.block_number == chain.blocks.head.number
    assert set(record.accounts) == {a.name for a in scenario.accounts}
    assert record.parsed_scenario() == scenario
    again = attach(record, project)
    assert again.snapshot() == replay.chain.snapshot() == replay.model.snapshot()


class _Dies:
    """Wraps a ChainWorld: after ``alive_for`` calls every call fails as a dropped connection does."""

    def __init__(self, world, alive_for: int):
        self._world, self._left = world, alive_for

    def apply(self, action, now):
        if self._left == 0:
            raise requests.ConnectionError("Connection refused")
        self._left -= 1
        return self._world.apply(action, now)

    def __getattr__(self, name):
        return getattr(self._world, name)


def test_dead_chain_stops_with_one_message_and_keeps_the_report(opened, tmp_path, monkeypatch):
    scenario, replay = opened
    done = len(replay.results)
    replay.chain = _Dies(replay.chain, alive_for=3)
    # ape's own chain cannot be killed inside the session: the liveness probe sees what a dead one answers
    monkeypatch.setattr(play_mod, "_alive", lambda world: False)
    report = Report.open(tmp_path / "play.jsonl")
    with pytest.raises(ChainDied, match=r"stopped answering during path \(step \d+, .*ConnectionError"):
        Player(scenario, replay, report).run()
    report.close()
    lines = [json.loads(x) for x in (tmp_path / "play.jsonl").read_text().splitlines()]
    # path point 0: warp, WETH price, the keeper liquidates dave; point 1's warp finds the chain dead
    assert [x["event"] for x in lines] == ["step", "step", "step", "point", "error"]
    assert all(x["agrees"] for x in lines[:3]) and lines[2]["phase"] == "keeper"
    assert "during path (step" in lines[-1]["message"] and f"keeps the {done + 3} steps" in lines[-1]["message"]


def test_an_error_on_a_live_chain_is_not_called_a_dead_chain(opened, tmp_path):
    scenario, replay = opened
    replay.chain = _Dies(replay.chain, alive_for=0)
    with pytest.raises(requests.ConnectionError):
        Player(scenario, replay, Report.open(tmp_path / "p.jsonl")).run()
