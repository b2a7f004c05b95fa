"""The wheel a user installs (``make dist``), installed into a fresh virtual environment (issue #19, item 1).

Offline and fast: the environment is made without pip (``venv --without-pip``), the wheel is installed into
it with this interpreter's pip (``pip --python``, ``--no-deps --no-index``), and its dependencies come from
this environment's site-packages through a ``.pth`` line (a plain path: this environment's own ``.pth``
files, among them the editable install of the checkout, are not run there). The check then runs from an
empty folder, so the checkout cannot be imported by accident.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import protocol_model
from protocol_model.chain.inprocess_storage import storage_layouts

ROOT = Path(__file__).resolve().parents[2]

CHECK = r'''
import json, sys
from importlib import metadata, resources
import protocol_model as pm
from protocol_model import data

generic = resources.files("protocol_model.data") / "protocols" / "generic.yaml"
with resources.as_file(generic) as path:
    protocol = pm.load(path)
run = pm.play("stories/bad_debt")
frame = run.to_frame()
# The in-process chain (revm) from the wheel's artifacts and shipped storage layouts, no solc, no npm packages.
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.replay import Replay
story = pm.load("stories/bad_debt")
replay = Replay.start(story, deploy_in_process(story))
replay.run()
print(json.dumps({
    "file": pm.__file__,
    "version": pm.__version__,
    "dist_version": metadata.version("protocol_model"),
    "protocol": protocol.name,
    "py_typed": (resources.files("protocol_model") / "py.typed").is_file(),
    "lending_pool_sol": data.path("contracts", "lending", "LendingPool.sol").is_file(),
    "artifacts_have_pool": "LendingPool" in data.artifacts_manifest().read_text(),
    "stories": len(data.bundled("scenarios", "**/*.yaml")),
    "outcomes": list(run.outcomes),
    "mismatches": run.mismatches,
    "bad_debt_after": float(frame["assets USDC: bad debt (tokens)"].iloc[-1]),
    "plugin": [e.value for e in metadata.entry_points(group="pytest11") if e.name == "protocol_model"],
    "in_process": [len(replay.results), replay.mismatches, [r.chain for r in replay.results]],
}))
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout, as ``make dist`` builds it."""
    if not (ROOT / ".build" / "__local__.json").is_file():
        pytest.fail("the contracts are not compiled (make setup): the wheel would ship no artifacts")
    storage_layouts()  # as `make dist`: the in-process chain's storage layouts ship too (a wheel has no solc)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    (found,) = out.glob("protocol_model-*.whl")
    return found


def test_the_wheel_ships_code_data_and_artifacts(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith(f"protocol_model-{protocol_model.__version__}-")
    for needed in ("protocol_model/py.typed", "protocol_model/data/protocols/generic.yaml",
                   "protocol_model/data/scenarios/stories/bad_debt.yaml",
                   "protocol_model/data/contracts/lending/LendingPool.sol",
                   "protocol_model/data/artifacts/__local__.json", "protocol_model/data/artifacts/storage_layout.json",
                   "protocol_model/testing/plugin.py"):
        assert needed in names, needed
    shipped = {n.removeprefix("protocol_model/data/") for n in names if n.startswith("protocol_model/data/")}
    for folder, pattern in (("protocols", "*.yaml"), ("scenarios", "**/*.yaml"), ("contracts", "**/*.sol")):
        for path in (ROOT / folder).glob(pattern):
            if ".cache" not in path.parts:
                assert f"{folder}/{path.relative_to(ROOT / folder)}" in shipped, path


def install_in_fresh_venv(wheel: Path, venv: Path) -> tuple[Path, str]:
    """A venv at ``venv`` (no pip) with ``wheel`` installed (``--no-deps``) and this environment's site-packages
    on its path (a ``.pth`` line); returns (its python, its site-packages)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "_deps_from_the_test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, purelib


def test_a_fresh_environment_installs_and_uses_it(wheel: Path, tmp_path: Path) -> None:
    python, purelib = install_in_fresh_venv(wheel, tmp_path / "venv")
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    run = subprocess.run([str(python), "-c", CHECK], cwd=empty, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(got["file"]).is_relative_to(Path(purelib)), got["file"]  # the wheel, not the checkout
    assert got["version"] == got["dist_version"] == protocol_model.__version__
    assert got["protocol"] == "generic"
    assert got["py_typed"] and got["lending_pool_sol"] and got["artifacts_have_pool"]
    assert got["stories"] == len(list((ROOT / "scenarios").glob("**/*.yaml")))
    assert got["mismatches"] == [] and got["outcomes"][-2] == "NoDebt"
    assert got["bad_debt_after"] > 0
    assert got["plugin"] == ["protocol_model.testing.plugin"]
    assert got["in_process"] == [len(got["outcomes"]), 0, got["outcomes"]]
