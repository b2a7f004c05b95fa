"""The oracle stories (scenarios/oracle/): each a naive and a protected configuration of one failure."""

from __future__ import annotations

from pathlib import Path

from protocol_model.data import SCENARIOS_DIR

ORACLE_DIR = SCENARIOS_DIR / "oracle"
VARIANTS = ("naive", "protected")

STORIES = {
    "stale_crash": "1. crash while the feed is stale",
    "single_venue_spike": "2. DAI spikes to $1.30 on one source",
    "spot_manipulation": "3. thin AMM spot price pumped within one transaction",
    "luna_floor": "4. feed frozen at its floor while the market falls through it",
    "stablecoin_depeg": "5. stablecoin collateral at 0.87 while priced at $1",
    "osm_delay": "6. OSM-style one-hour delayed feed in a fast crash",
    "sequencer_outage": "7. L2 sequencer outage and grace period",
}


def story_path(name: str, variant: str) -> Path:
    """The file ``scenarios/oracle/{name}_{variant}.yaml`` (it may not exist: see :func:`available`).

    Raises ``KeyError`` naming the known stories or variants for an unknown one.
    """
    if name not in STORIES:
        raise KeyError(f"unknown story '{name}' (known: {', '.join(STORIES)})")
    if variant not in VARIANTS:
        raise KeyError(f"unknown variant '{variant}' (known: {', '.join(VARIANTS)})")
    return ORACLE_DIR / f"{name}_{variant}.yaml"


def available() -> list[str]:
    """Stories whose two scenario files exist."""
    return [n for n in STORIES if all(story_path(n, v).exists() for v in VARIANTS)]
