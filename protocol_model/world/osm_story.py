"""Story 6 generator: a fast crash read through an OSM-style delayed feed (``feeds.osm_path``).

WETH falls 5% every 10 minutes for 2.5 hours; a keeper tries to liquidate Alice after every tick. The
expected outcome of each attempt comes from a float walk-through of the liquidation rules (``_expects``),
independent of the integer engine that replays the file.
"""

from __future__ import annotations

import numpy as np

from protocol_model.analytics.feeds import osm_path
from protocol_model.exact.math_lib import BPS
from protocol_model.scenario.protocol import PROTOCOLS_DIR, ProtocolFile, load_protocol

TICK_S = 600
TICKS = 15
START_USD, STEP = 2000.0, 0.95
COLL_WETH, DEBT_USDC = 10.0, 15_000.0
OSM_PROTOCOL = PROTOCOLS_DIR / "oracle_stories.yaml"
OSM_OVERRIDES = {"assets.WETH.oracle": {"max_age_s": 86_400}}
"""The story's protocol: WETH's feed may be up to a day old (the OSM publishes with a delay)."""


def osm_protocol() -> ProtocolFile:
    """``protocols/oracle_stories.yaml`` with WETH's oracle policy for this story."""
    return load_protocol(OSM_PROTOCOL, OSM_OVERRIDES)


def market_path() -> tuple[np.ndarray, np.ndarray]:
    """(times, prices) of the crash: shape (TICKS + 1,) each; seconds from 0 every ``TICK_S``, USD rounded to
    cents, ``START_USD · STEP^k``.
    """
    times = np.arange(TICKS + 1) * TICK_S
    return times, np.round(START_USD * STEP ** np.arange(TICKS + 1), 2)


def _expects(oracle: np.ndarray, protocol: ProtocolFile) -> list[str]:
    weth = protocol.assets["WETH"]
    lt, bonus = weth.liquidation_threshold_bps / BPS, weth.liquidation_bonus_bps / BPS
    full_close_hf = protocol.pool.full_close_hf_bps / BPS
    coll, debt, out = COLL_WETH, DEBT_USDC, []
    for price in oracle[1:]:
        if debt == 0:
            out.append("NoDebt")
            continue
        if coll * price * lt >= debt:
            out.append("HealthyAccount")
            continue
        hf = coll * price * lt / debt
        repaid = debt if hf < full_close_hf else debt / 2
        seized = repaid * (1 + bonus) / price
        if seized >= coll:
            coll, debt = 0.0, 0.0  # seize all; the rest is written off
        else:
            coll, debt = coll - seized, debt - repaid
        out.append("ok")
    return out


def osm_scenario(delay_s: int, name: str | None = None) -> dict:
    """Story 6 as a resolved scenario (``parse_scenario`` input) on ``osm_protocol()``: the crash read through a
    feed ``delay_s`` seconds late (:func:`~protocol_model.analytics.feeds.osm_path`), each liquidation attempt's
    ``expect`` from the float walk-through. Raises ``ValueError`` if ``delay_s`` < 0.
    """
    times, market = market_path()
    oracle = osm_path(times, market, delay_s)
    protocol = osm_protocol()
    steps: list[dict] = [
        {"op": "supply", "account": "bob", "asset": "USDC", "amount": "30000"},
        {"op": "supply", "account": "alice", "asset": "WETH", "amount": "10"},
        {"op": "borrow", "account": "alice", "asset": "USDC", "amount": "15000"},
    ]
    for k, expect in enumerate(_expects(oracle, protocol), start=1):
        steps += [{"op": "warp", "seconds": TICK_S - 3},
                  {"op": "market", "asset": "WETH", "price_usd": f"{market[k]:.2f}"},
                  {"op": "feed", "asset": "WETH", "price_usd": f"{oracle[k]:.2f}"},
                  {"op": "liquidate", "account": "carol", "borrower": "alice", "collateral": "WETH",
                   "debt": "USDC", "amount": "max", "expect": expect}]
    return {
        "name": name or f"osm-delay-{delay_s}s",
        "description": f"Story 6: WETH falls 5% every 10 minutes; the feed publishes the market price of "
                       f"{delay_s} s earlier (OSM-style). A keeper tries to liquidate after every tick.",
        "pool": protocol.pool.model_dump(),
        "assets": [a.model_dump() for a in protocol.asset_specs(["USDC", "WETH"])],
        "accounts": [{"name": "alice", "balances": {"WETH": "10"}}, {"name": "bob", "balances": {"USDC": "30000"}},
                     {"name": "carol", "balances": {"USDC": "100000"}}],
        "steps": steps,
    }
