"""The example ape project (examples/ape_project) run by ``ape test`` in a fresh virtual environment that has only
the wheel ``make dist`` builds (issue #19, items 2 and 3): the plugin's ``deployed``, ``model``, ``cross_check``
and ``run_story`` fixtures on anvil, and ``ape test --gas`` listing the pool's state-changing calls.

The environment is made as in test_wheel.py (no pip, ``--no-deps``, the test environment's site-packages through
a ``.pth`` line, so ape and its plugins are there but the checkout is not); the project is copied to a temporary
folder so nothing it writes (``.build``) lands in the checkout. The project's own contract compiles with this
checkout's solc facade (``SOLCX_BINARY_PATH``); the protocol's contracts come from the wheel's artifacts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.package.test_wheel import install_in_fresh_venv, wheel  # noqa: F401 - wheel: the module fixture

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ape_project"
ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin"
APE = "import sys; from ape._cli import cli; sys.argv[0] = 'ape'; sys.exit(cli())"
NETWORK = "ethereum:local:foundry"


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:  # noqa: F811
    """(python of a fresh venv holding the wheel, a copy of the example project, the environment to run in)."""
    if not (ANVIL_BIN / "anvil").is_file():
        pytest.fail(f"no anvil at {ANVIL_BIN} (make setup)")
    tmp = tmp_path_factory.mktemp("ape_project")
    venv = tmp / "venv"
    python, _ = install_in_fresh_venv(wheel, venv)
    project = tmp / "ape_project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".build", ".cache", "__pycache__"))
    env = {"PATH": f"{ANVIL_BIN}{os.pathsep}{venv / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": os.environ["HOME"],
           "SOLCX_BINARY_PATH": str(ROOT / ".solcx"), "MPLBACKEND": "Agg"}
    return python, project, env


def ape_test(installed: tuple[Path, Path, dict[str, str]], *args: str) -> str:
    """``ape test --network ethereum:local:foundry ARGS`` in the copied project; its output (stdout + stderr)."""
    python, project, env = installed
    run = subprocess.run([str(python), "-c", APE, "test", "--network", NETWORK, "-p", "no:cacheprovider", *args],
                         cwd=project, env=env, capture_output=True, text=True, timeout=900)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    return out


def test_the_example_project_passes_ape_test_with_the_wheels_plugin(installed) -> None:
    python, project, env = installed
    where = subprocess.run([str(python), "-c", "import protocol_model; print(protocol_model.__file__)"], cwd=project,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert not Path(where).is_relative_to(ROOT), where  # the wheel's package, not the checkout
    out = ape_test(installed, "-q")
    collected = len(re.findall(r"^def test_", (EXAMPLE / "tests" / "test_pool_user.py").read_text(), re.M))
    assert re.search(rf"\b{collected} passed\b", out), out[-3000:]
    assert not re.search(r"\b\d+ (failed|error)", out), out[-3000:]


def test_ape_test_gas_lists_the_pools_state_changing_calls(installed) -> None:
    # The wrapper test (the pool called through PoolUser and through the plugin's `deployed.step`) and the bundled
    # story through `run_story` (liquidate, withdraw): every state-changing pool call is an ape transaction.
    out = ape_test(installed, "-q", "--gas", "-k", "wrapper or bundled_story")
    table = out.split("LendingPool Gas", 1)
    assert len(table) == 2, out[-3000:]
    pool_rows = table[1].split(" Gas", 1)[0]  # up to the next contract's table
    for method in ("supply", "borrow", "borrowOnBehalf", "repay", "withdraw", "liquidate"):
        assert re.search(rf"^\s*{method}\s+[1-9]\d*\s", pool_rows, re.M), (method, pool_rows)
    own_rows = out.split("PoolUser Gas", 1)[-1]
    for method in ("supplyFor", "borrowFor"):
        assert re.search(rf"^\s*{method}\s+[1-9]\d*\s", own_rows, re.M), (method, out[-3000:])


OWN_STORY = """kind: story
name: own-crash
protocol: ../protocols/mine.yaml
accounts:
  - {name: lender, balances: {USDC: "50000"}}
  - {name: borrower, balances: {WETH: "4"}}
  - {name: keeper, balances: {USDC: "20000"}}
steps:
  - {op: supply, account: lender, asset: USDC, amount: "40000"}
  - {op: supply, account: borrower, asset: WETH, amount: "4"}
  - {op: borrow, account: borrower, asset: USDC, amount: "7000"}
  - {op: price, asset: WETH, price_usd: "2100"}
  - {op: liquidate, account: keeper, borrower: borrower, collateral: WETH, debt: USDC, amount: max}
"""


def protocol_model_cli(installed: tuple[Path, Path, dict[str, str]], *args: str,
                       env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The wheel's ``protocol-model ARGS`` console script, run in the copied project."""
    _, project, default_env = installed
    exe = Path(default_env["PATH"].split(os.pathsep)[1]) / "protocol-model"
    return subprocess.run([str(exe), *args], cwd=project, env=env or default_env, capture_output=True, text=True,
                          timeout=600)


def test_the_console_command_plays_the_projects_own_story_on_anvil(installed) -> None:
    # Outside a checkout the package has no ape project of its own: `story --chain` deploys from the wheel's
    # artifacts, on an anvil it starts on a free port whatever the current folder's ape-config says.
    _, project, env = installed
    (project / "stories").mkdir(exist_ok=True)
    (project / "stories" / "own_crash.yaml").write_text(OWN_STORY)
    check = protocol_model_cli(installed, "check", "stories/own_crash.yaml")
    assert check.returncode == 0 and "--chain" in check.stdout and "ape run" not in check.stdout, check.stdout
    run = protocol_model_cli(installed, "story", "stories/own_crash.yaml", "--chain")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "own-crash: crosscheck: 1 sequences, 5 operations, 0 mismatches" in run.stdout, run.stdout
    assert re.search(r"liquidate\s+model ok\s+chain ok\s+fields equal", run.stdout), run.stdout
    # No anvil anywhere: one line saying what to put on PATH, no traceback.
    no_anvil = protocol_model_cli(installed, "story", "stories/own_crash.yaml", "--chain",
                                  env={**env, "PATH": env["PATH"].split(os.pathsep, 1)[1]})
    assert no_anvil.returncode == 1, no_anvil.stdout + no_anvil.stderr
    assert no_anvil.stderr.strip().splitlines() == [no_anvil.stderr.strip()], no_anvil.stderr
    assert no_anvil.stderr.startswith("error: anvil: not found on PATH"), no_anvil.stderr
