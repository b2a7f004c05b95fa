"""`make demo`, `ape run loops` and `ape run oracle_story` as a designer reads them: fit 100 columns, no ape
INFO lines, error names whole, the file's units in the step table, no progress bar when not a TTY."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.yaml"


def run_at_100_columns(*args: str) -> subprocess.CompletedProcess:
    """``ape run <args>`` with COLUMNS=100 and stdout a pipe (not a TTY); asserts exit 0, every line of
    stdout and stderr at most 100 characters, no ape INFO/SUCCESS lines and no progress bar drawn."""
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run(["ape", "run", *args, "--network", "ethereum:local:foundry"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    assert not [line for line in lines if line.startswith(("INFO:", "SUCCESS:"))]
    assert "━╸" not in done.stdout and "\x1b[?25l" not in done.stdout  # no bar, no cursor hiding
    return done


def test_demo_fits_100_columns_hides_ape_logs_and_shows_file_units():
    done = run_at_100_columns("demo")
    table = "".join(line.split("│")[2] for line in done.stdout.splitlines() if line.count("│") > 3)
    compact = table.replace(" ", "")
    steps = yaml.safe_load(DEFAULT.read_text())["steps"]
    amounts = [s["amount"] for s in steps if s.get("amount") not in (None, "max")]
    assert amounts and all(f"amount={a}" in compact for a in amounts), table
    prices = [s["price_usd"] for s in steps if s["op"] == "price"]
    assert prices and all(f"usd={p}" in compact for p in prices), table
    assert "000000000000" not in done.stdout  # no raw 18-decimal or 8-decimal integers
    for name in ("InsufficientCollateral", "HealthyAccount", "ERC20InsufficientBalance"):
        assert name in done.stdout  # error names whole, never cut


@pytest.mark.parametrize(("args", "names"), [
    (("loops", "--story", "open_3x"), ("InsufficientCollateral", "SlippageExceeded", "NothingToUnwind",
                                       "Unauthorized")),
    (("oracle_story", "--name", "stale_crash"), ("bad debt written off (USD)", "protected")),
])
def test_long_chain_runs_fit_100_columns_without_ape_logs(args, names):
    done = run_at_100_columns(*args)
    for name in names:
        assert name in done.stdout  # error names and measures whole, never cut
    if args[0] == "loops":
        equal = [line.split("│")[4].strip() for line in done.stdout.splitlines() if line.count("│") == 6]
        steps = yaml.safe_load((ROOT / "scenarios" / "loops" / "open_3x.yaml").read_text())["steps"]
        assert [e for e in equal if e] == ["yes"] * len(steps), done.stdout  # one row a step, all agreed
        assert "amount=10," in done.stdout.replace(" ", "").replace("│", "")  # equity in WETH, not wei
