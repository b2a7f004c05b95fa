"""`make demo` as a designer reads it: fits 100 columns, no ape INFO lines, the file's units in the step table."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.yaml"


def test_demo_fits_100_columns_hides_ape_logs_and_shows_file_units():
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run(["ape", "run", "demo", "--network", "ethereum:local:foundry"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # stdout is a pipe: not a TTY
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    assert not [line for line in lines if line.startswith(("INFO:", "SUCCESS:"))]
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
