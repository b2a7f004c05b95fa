"""Scenario for differential fuzzing: protocols/fuzz.yaml (three assets of 6, 8 and 18 decimals), five accounts.

Kept in the package so tests, ``make fuzz`` and benchmarks share one definition; the parameters are the
protocol file's.
"""

from __future__ import annotations

from pathlib import Path

from protocol_model.scenario.protocol import PROTOCOLS_DIR, load_protocol
from protocol_model.scenario.story import Scenario, scenario_on

FUZZ_ACCOUNTS = ["alice", "bob", "carol", "dave", "erin"]
FUZZ_PROTOCOL = PROTOCOLS_DIR / "fuzz.yaml"


def fuzz_scenario(protocol: str | Path = FUZZ_PROTOCOL) -> Scenario:
    """Every asset of ``protocol``; each account holds 10,000,000 USDC, 200 WBTC and 5,000 WETH."""
    balances = {"USDC": "10000000", "WBTC": "200", "WETH": "5000"}
    return scenario_on(load_protocol(protocol), {
        "name": "fuzz", "accounts": [{"name": n, "balances": balances} for n in FUZZ_ACCOUNTS]})
