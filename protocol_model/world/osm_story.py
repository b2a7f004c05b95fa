"""Story 6 generator: a fast crash read through an OSM-style delayed feed (``feeds.osm_path``).

WETH falls 5% every 10 minutes for 2.5 hours; a keeper tries to liquidate Alice after every tick. The
expected outcome of each attempt comes from a float walk-through of the liquidation rules (``_expects``),
independent of the integer engine that replays the file.
"""

from __future__ import annotations

import numpy as np

from protocol_model.analytics.feeds import osm_path

TICK_S = 600
TICKS = 15
START_USD, STEP = 2000.0, 0.95
COLL_WETH, DEBT_USDC = 10.0, 15_000.0
LT, BONUS, FULL_CLOSE_HF = 0.825, 0.05, 0.95


def market_path() -> tuple[np.ndarray, np.ndarray]:
    """(times, prices) of the crash: shape (TICKS + 1,) each; seconds from 0 every ``TICK_S``, USD rounded to
    cents, ``START_USD · STEP^k``.
    """
    times = np.arange(TICKS + 1) * TICK_S
    return times, np.round(START_USD * STEP ** np.arange(TICKS + 1), 2)


def _expects(oracle: np.ndarray) -> list[str]:
    coll, debt, out = COLL_WETH, DEBT_USDC, []
    for price in oracle[1:]:
        if debt == 0:
            out.append("NoDebt")
            continue
        if coll * price * LT >= debt:
            out.append("HealthyAccount")
            continue
        hf = coll * price * LT / debt
        repaid = debt if hf < FULL_CLOSE_HF else debt / 2
        seized = repaid * (1 + BONUS) / price
        if seized >= coll:
            coll, debt = 0.0, 0.0  # seize all; the rest is written off
        else:
            coll, debt = coll - seized, debt - repaid
        out.append("ok")
    return out


def osm_scenario(delay_s: int, name: str | None = None) -> dict:
    """Story 6 as scenario data (parse with ``parse_scenario``): the crash read through a feed ``delay_s``
    seconds late (:func:`~protocol_model.analytics.feeds.osm_path`), each liquidation attempt's ``expect``
    from the float walk-through. Raises ``ValueError`` if ``delay_s`` < 0.
    """
    times, market = market_path()
    oracle = osm_path(times, market, delay_s)
    weth = {"name": "WETH", "decimals": 18, "price_usd": "2000", "ltv_bps": 8000,
            "liquidation_threshold_bps": 8250, "liquidation_bonus_bps": 500, "liquidation_protocol_fee_bps": 1000,
            "reserve_factor_bps": 1500, "oracle": {"max_age_s": 86_400}}
    usdc = {"name": "USDC", "decimals": 6, "price_usd": "1", "ltv_bps": 8500, "liquidation_threshold_bps": 8800,
            "liquidation_bonus_bps": 400, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 1000}
    steps: list[dict] = [
        {"op": "supply", "account": "bob", "asset": "USDC", "amount": "30000"},
        {"op": "supply", "account": "alice", "asset": "WETH", "amount": "10"},
        {"op": "borrow", "account": "alice", "asset": "USDC", "amount": "15000"},
    ]
    for k, expect in enumerate(_expects(oracle), start=1):
        steps += [{"op": "warp", "seconds": TICK_S - 3},
                  {"op": "market", "asset": "WETH", "price_usd": f"{market[k]:.2f}"},
                  {"op": "feed", "asset": "WETH", "price_usd": f"{oracle[k]:.2f}"},
                  {"op": "liquidate", "account": "carol", "borrower": "alice", "collateral": "WETH",
                   "debt": "USDC", "amount": "max", "expect": expect}]
    return {
        "name": name or f"osm-delay-{delay_s}s",
        "description": f"Story 6: WETH falls 5% every 10 minutes; the feed publishes the market price of "
                       f"{delay_s} s earlier (OSM-style). A keeper tries to liquidate after every tick.",
        "assets": [usdc, weth],
        "accounts": [{"name": "alice", "balances": {"WETH": "10"}}, {"name": "bob", "balances": {"USDC": "30000"}},
                     {"name": "carol", "balances": {"USDC": "100000"}}],
        "steps": steps,
    }
