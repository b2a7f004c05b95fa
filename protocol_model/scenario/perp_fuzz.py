"""Scenario for the margin engine's differential fuzzer: protocols/perp.yaml's two markets, five accounts."""

from __future__ import annotations

from pathlib import Path

from protocol_model.scenario.perp import PerpScenario, perp_scenario_on
from protocol_model.scenario.protocol import PROTOCOLS_DIR, load_protocol

FUZZ_ACCOUNTS = ["alice", "bob", "carol", "dave", "erin"]
PERP_FUZZ_PROTOCOL = PROTOCOLS_DIR / "perp.yaml"


def perp_fuzz_scenario(protocol: str | Path = PERP_FUZZ_PROTOCOL) -> PerpScenario:
    """Every market of ``protocol``; each account holds 1,000,000 of the settlement token."""
    return perp_scenario_on(load_protocol(protocol), {
        "name": "perp_fuzz", "accounts": [{"name": n, "balance": "1000000"} for n in FUZZ_ACCOUNTS]})
