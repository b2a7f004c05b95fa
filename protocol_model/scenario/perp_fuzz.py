"""Scenario for the margin engine's differential fuzzer: two markets with different parameters, five accounts."""

from __future__ import annotations

from protocol_model.scenario.perp import PerpScenario, parse_perp_scenario

FUZZ_ACCOUNTS = ["alice", "bob", "carol", "dave", "erin"]


def perp_fuzz_scenario() -> PerpScenario:
    return parse_perp_scenario({
        "name": "perp_fuzz",
        "collateral": {"name": "USDC", "decimals": 6},
        "indexes": [{"name": "ETH", "price_usd": "2000"}, {"name": "BTC", "price_usd": "50000"}],
        "markets": [
            {"name": "ETH-PERP", "index": "ETH", "initial_margin_bps": 1000, "maintenance_margin_bps": 500,
             "trade_fee_bps": 5, "liquidation_penalty_bps": 100, "liquidator_share_bps": 5000,
             "close_factor_bps": 5000, "full_liquidation_bps": 5000, "max_funding_rate_bps": 75,
             "price_band_bps": 200, "funding_period_seconds": 28800},
            {"name": "BTC-PERP", "index": "BTC", "initial_margin_bps": 2000, "maintenance_margin_bps": 1000,
             "trade_fee_bps": 10, "liquidation_penalty_bps": 250, "liquidator_share_bps": 3000,
             "close_factor_bps": 2500, "full_liquidation_bps": 3000, "max_funding_rate_bps": 400,
             "price_band_bps": 100, "funding_period_seconds": 3600, "mark_max_age_seconds": 7200},
        ],
        "accounts": [{"name": n, "balance": "1000000"} for n in FUZZ_ACCOUNTS],
    })
