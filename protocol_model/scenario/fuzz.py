"""Scenario builder for differential fuzzing: three assets of 6, 8 and 18 decimals, five accounts.

Kept in the package so tests, ``make fuzz`` and benchmarks share one definition.
"""

from __future__ import annotations

from protocol_model.scenario.story import Scenario, parse_scenario

FUZZ_ACCOUNTS = ["alice", "bob", "carol", "dave", "erin"]
WBTC_ORACLE = {"max_age_s": 3 * 86_400, "max_jump_bps": 3_000, "min_price_usd": "1000", "max_price_usd": "1000000"}
"""WBTC is read through an oracle policy, so the fuzzer meets stale rounds, breaker trips and bound breaches."""


def fuzz_scenario() -> Scenario:
    assets = [
        {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8500, "liquidation_threshold_bps": 8800,
         "liquidation_bonus_bps": 400, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000,
         "rate": {"base_bps": 0, "slope1_bps": 600, "slope2_bps": 6000, "optimal_bps": 9000}},
        {"name": "WBTC", "decimals": 8, "price_usd": "60000", "ltv_bps": 7000, "liquidation_threshold_bps": 7500,
         "liquidation_bonus_bps": 1000, "liquidation_protocol_fee_bps": 2000, "reserve_factor_bps": 2000,
         "supply_cap": "1000", "rate": {"base_bps": 100, "slope1_bps": 400, "slope2_bps": 30000, "optimal_bps": 4500},
         "oracle": WBTC_ORACLE},
        {"name": "WETH", "decimals": 18, "price_usd": "2000", "ltv_bps": 8000, "liquidation_threshold_bps": 8250,
         "liquidation_bonus_bps": 500, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1500,
         "borrow_cap": "5000", "rate": {"base_bps": 0, "slope1_bps": 270, "slope2_bps": 8000, "optimal_bps": 8000}},
    ]
    balances = {"USDC": "10000000", "WBTC": "200", "WETH": "5000"}
    return parse_scenario({
        "name": "fuzz",
        "assets": assets,
        "accounts": [{"name": n, "balances": balances} for n in FUZZ_ACCOUNTS],
    })
