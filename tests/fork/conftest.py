"""Fork suite session: serve a populated protocol on an upstream anvil, fork it at a pinned block.

``ape test tests/fork --network ethereum:forked-protocol`` (ape-config.yaml names that network: the
``node`` provider at 127.0.0.1:18550). Before ape connects, this session
1. builds the fixture if it is missing or older than the contracts or the scenario:
   ``ape run deploy --scenario scenarios/fork/populated.yaml --mine-to 200 --state ... --out ...``;
2. serves the saved state on the upstream (``anvil --load-state``, 127.0.0.1:18549);
3. starts the fork ``anvil --fork-url <upstream> --fork-block-number 200`` on 127.0.0.1:18550.
Tests change the fork freely (each one is reverted afterwards); test_upstream_unchanged.py checks that
the upstream still serves exactly what it served when the session began.

The presets' fixture (tests/fork/presets_fixture.py: real Aave V3 and Morpho Blue deployed and used) is built
the same way and served by a second upstream (127.0.0.1:18551); the ``preset_fork`` fixture points the fork at
it (``anvil_reset`` to ``--fork-url`` that upstream at ``PRESETS_BLOCK``) and back to the protocol's upstream
at ``PINNED_BLOCK`` afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from protocol_model.chain.state import AnvilProcess, rpc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # presets_fixture (also run as a script)
FORK_NETWORK = "ethereum:forked-protocol"
UPSTREAM_PORT, FORK_PORT, PRESETS_PORT = 18549, 18550, 18551
PINNED_BLOCK = 200
SCENARIO = ROOT / "scenarios" / "fork" / "populated.yaml"
OUT = ROOT / "out" / "fork"
STATE, RECORD = OUT / "state.json", OUT / "record.json"

PRESETS_STATE, PRESETS_RECORD = OUT / "presets_state.json", OUT / "presets_record.json"
PRESETS_SOURCES = [ROOT / "tests" / "fork" / "presets_fixture.py", ROOT / "protocols" / "aave_v3_market.yaml",
                   ROOT / "protocols" / "morpho_blue_wsteth.yaml"]

_NODES = pytest.StashKey[list]()


def _older(state: Path, record: Path, block: int, sources: list[Path]) -> bool:
    """True when a fixture (state, record) is missing, pinned at another block, or older than a source."""
    if not (state.exists() and record.exists()):
        return True
    if f'"block_number": {block},' not in record.read_text():
        return True
    built = min(state.stat().st_mtime, record.stat().st_mtime)
    return any(p.stat().st_mtime > built for p in sources)


def _stale() -> bool:
    return _older(STATE, RECORD, PINNED_BLOCK, [SCENARIO, *ROOT.joinpath("contracts").rglob("*.sol")])


def build_fixture() -> None:
    """Deploy the populated protocol on a throw-away anvil and save its state and record."""
    cmd = ["ape", "run", "deploy", "--scenario", str(SCENARIO), "--out", str(RECORD), "--state", str(STATE),
           "--mine-to", str(PINNED_BLOCK), "--network", "ethereum:local:foundry"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise pytest.UsageError(f"building the fork fixture failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}"
                                f"\n{done.stderr[-2000:]}")


def _presets_stale() -> bool:
    from presets_fixture import PRESETS_BLOCK

    deployers = [*ROOT.joinpath("protocol_model", "chain", "aave_v3").glob("*.py"),
                 ROOT / "protocol_model" / "chain" / "morpho_blue.py"]  # the lens and the deploy flows
    return _older(PRESETS_STATE, PRESETS_RECORD, PRESETS_BLOCK,
                  [*PRESETS_SOURCES, *deployers, *ROOT.joinpath("contracts").rglob("*.sol")])


def build_presets_fixture() -> None:
    """Deploy and use real Aave V3 and Morpho Blue on a throw-away anvil; save its state and record."""
    cmd = [sys.executable, str(PRESETS_SOURCES[0]), str(PRESETS_STATE), str(PRESETS_RECORD)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise pytest.UsageError(f"building the presets fixture failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}"
                                f"\n{done.stderr[-3000:]}")


def pytest_configure(config):
    network = config.getoption("network", default=None) or ""
    if not network.startswith(FORK_NETWORK):
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if _stale():
        build_fixture()
    upstream = AnvilProcess.serving(STATE, UPSTREAM_PORT, log_file=OUT / "upstream.log").start()
    nodes = [upstream]
    config.stash[_NODES] = nodes
    head = int(rpc(upstream.url, "eth_blockNumber"), 16)
    if head != PINNED_BLOCK:
        upstream.stop()
        raise pytest.UsageError(f"upstream head is block {head}, the fork pins {PINNED_BLOCK}: rebuild "
                                f"the fixture (delete {OUT})")
    nodes.append(AnvilProcess.forking(upstream.url, PINNED_BLOCK, FORK_PORT, log_file=OUT / "fork.log").start())
    if _presets_stale():
        build_presets_fixture()
    nodes.append(AnvilProcess.serving(PRESETS_STATE, PRESETS_PORT, log_file=OUT / "presets_upstream.log").start())


def pytest_unconfigure(config):
    for node in reversed(config.stash.get(_NODES, [])):
        node.stop()


@pytest.fixture(scope="session")
def on_local_fork(request) -> bool:
    return (request.config.getoption("network", default=None) or "").startswith(FORK_NETWORK)


@pytest.fixture(scope="session")
def upstream_url(on_local_fork) -> str:
    if not on_local_fork:
        pytest.skip("the served upstream exists only with --network ethereum:forked-protocol")
    return f"http://127.0.0.1:{UPSTREAM_PORT}"


@pytest.fixture(scope="session")
def record(on_local_fork):
    from protocol_model.chain.record import DeploymentRecord

    path = os.environ.get("PROTOCOL_MODEL_DEPLOYMENT") or (RECORD if on_local_fork else None)
    if path is None:
        pytest.skip("no deployment to fork: run with --network ethereum:forked-protocol, or set "
                    "PROTOCOL_MODEL_DEPLOYMENT to a deployment record (docs/fork_testing.md)")
    return DeploymentRecord.read(path)


def upstream_fingerprint(url: str, record, lens_call: dict) -> dict:
    """What the upstream serves: head block, its hash, the pool's code and the lens's full state read."""
    block = rpc(url, "eth_getBlockByNumber", ["latest", False])
    return {"number": int(block["number"], 16), "hash": block["hash"],
            "pool_code": rpc(url, "eth_getCode", [record.pool, "latest"]),
            "state": rpc(url, "eth_call", [lens_call, "latest"])}


@pytest.fixture(scope="session")
def lens_call(record, project) -> dict:
    """Raw eth_call of PoolLens.snapshot over every asset and account of the record."""
    lens = project.PoolLens.at(record.lens)
    data = lens.snapshot.encode_input(record.pool, [a.token for a in record.assets.values()],
                                      list(record.accounts.values()))
    return {"to": record.lens, "data": "0x" + bytes(data).hex()}


@pytest.fixture(scope="session")
def upstream_at_start(upstream_url, record, lens_call) -> dict:
    return upstream_fingerprint(upstream_url, record, lens_call)


@pytest.fixture
def fork(chain, upstream_at_start):
    """The fork, reverted after the test (tests may change it freely)."""
    make = chain.provider.web3.provider.make_request
    snap = make("evm_snapshot", [])["result"]
    yield chain
    assert make("evm_revert", [snap])["result"], "the fork could not be reverted"


@pytest.fixture
def world(fork, record, project):
    from protocol_model.chain.record import attach

    return attach(record, project)


@pytest.fixture(scope="session")
def presets_record(on_local_fork) -> dict:
    """The presets' fixture record: block, Aave (pool, lens, assets, accounts, treasury) and Morpho (address,
    market ids, accounts)."""
    if not on_local_fork:
        pytest.skip("the presets' upstream exists only with --network ethereum:forked-protocol")
    return json.loads(PRESETS_RECORD.read_text())


def reset_fork(chain, url: str, block: int) -> None:
    """Point the fork at ``url`` pinned at ``block`` (``anvil_reset``)."""
    make = chain.provider.web3.provider.make_request
    assert "error" not in make("anvil_reset", [{"forking": {"jsonRpcUrl": url, "blockNumber": block}}])
    assert chain.blocks.head.number == block


@pytest.fixture
def preset_fork(chain, presets_record, upstream_at_start):
    """The fork pointed at the presets' upstream at its pinned block; pointed back at the protocol's upstream
    at ``PINNED_BLOCK`` afterwards (each test starts from the served state)."""
    reset_fork(chain, f"http://127.0.0.1:{PRESETS_PORT}", presets_record["block_number"])
    yield chain
    reset_fork(chain, f"http://127.0.0.1:{UPSTREAM_PORT}", PINNED_BLOCK)
