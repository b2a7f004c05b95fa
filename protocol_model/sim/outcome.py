"""What a cascade run returns: one value per path for each metric, optionally per-step series and the
individual liquidation events (small runs only: cross-checks and on-chain replays)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PATH_FIELDS = (
    "bad_debt_usd",        # debt written off (seize-all with debt left), valued at the oracle price then
    "bad_debt_count",      # positions written off
    "liquidation_count",   # liquidate calls (one per liquidatable position per step)
    "liquidation_volume_usd",  # debt repaid by liquidators, at the oracle price
    "min_health_factor",   # lowest HF of any indebted position at any step (before that step's liquidations)
    "reserves_end_usd",    # protocol reserves at the end, at the final oracle prices
    "reserves_used_usd",   # bad debt absorbed by reserves
    "supplier_loss_usd",   # bad debt absorbed by suppliers (beyond reserves)
    "liquidator_pnl_usd",  # AMM proceeds (or par redemptions) of the collateral minus the debt repaid (market prices)
    "max_amm_discount",    # largest relative gap of any AMM price below its fundamental price
    "redeemed_usd",        # seized collateral redeemed at par by keepers (``Liquidators.redeem``), not sold
)

ASSET_FIELDS = (
    "bad_debt_by_collateral_usd",            # bad debt of positions backed by each collateral asset (USD, as above)
    "liquidation_volume_by_collateral_usd",  # debt repaid against each collateral asset (USD, at the oracle price)
    "min_market_rel",       # lowest market (AMM) price of each asset over the path, relative to step 0
    "min_fundamental_rel",  # lowest exogenous (fundamental) price of each asset, relative to step 0
)
"""Per-path, per-asset fields: ``CascadeOutcome.per_asset[name]`` has shape (paths, assets). The market price
is the fundamental price times the AMM dislocation left by liquidators' sales (always <= 1), so
``min_fundamental_rel - min_market_rel`` >= 0 is the part of the path's price drop caused by liquidation
selling (``liquidation_induced_drop``)."""

Event = tuple[int, int, int, float, float, float, float]
"""(path, step, position, repaid, seized, fee, bad_debt): one liquidation, amounts in whole tokens"""


@dataclass
class CascadeOutcome:
    """One run of :func:`~protocol_model.sim.cascade.run_cascade` (or ``run_reference``): per-path metrics,
    bad debt per asset, and optional per-step series and liquidation events.
    """

    per_path: dict[str, np.ndarray]
    """PATH_FIELDS -> array (paths,)"""
    bad_debt_tokens: np.ndarray
    """(paths, assets) whole tokens written off per debt asset"""
    series: dict[str, np.ndarray] = field(default_factory=dict)
    """if recorded: 'oracle' (paths, steps+1, assets), 'market' (same), 'bad_debt_usd' and
    'liquidation_volume_usd' cumulative (paths, steps+1)"""
    events: list[Event] = field(default_factory=list)
    """if recorded: (path, step, position, repaid, seized, fee, bad_debt) in order of execution"""
    per_asset: dict[str, np.ndarray] = field(default_factory=dict)
    """ASSET_FIELDS -> array (paths, assets)"""

    @property
    def n_paths(self) -> int:
        """Number of paths (length of every ``per_path`` array)."""
        return len(self.per_path["bad_debt_usd"])

    @staticmethod
    def concat(parts: list[CascadeOutcome]) -> CascadeOutcome:
        """Chunks in chunk order -> one outcome (path indices of events are shifted).

        Raises ``IndexError`` for an empty list (there is no array to concatenate).
        """
        per_path = {k: np.concatenate([p.per_path[k] for p in parts]) for k in PATH_FIELDS}
        series = {k: np.concatenate([p.series[k] for p in parts]) for k in parts[0].series} if parts else {}
        events, offset = [], 0
        for p in parts:
            events += [(e[0] + offset, *e[1:]) for e in p.events]
            offset += p.n_paths
        per_asset = {k: np.concatenate([p.per_asset[k] for p in parts]) for k in parts[0].per_asset}
        return CascadeOutcome(per_path, np.concatenate([p.bad_debt_tokens for p in parts]), series, events, per_asset)


def liquidation_induced_drop(per_asset: dict[str, np.ndarray]) -> np.ndarray:
    """The part of each path's largest price drop caused by liquidators' sales, per asset: (paths, assets),
    a fraction of the starting price (``min_fundamental_rel - min_market_rel``, >= 0).

    The total drop is ``1 - min_market_rel``; the exogenous drop (what the price driver alone did) is
    ``1 - min_fundamental_rel``. Raises ``KeyError`` if the outcome has no per-asset fields.
    """
    return per_asset["min_fundamental_rel"] - per_asset["min_market_rel"]


def drop_columns(outcome: CascadeOutcome, names: list[str], prefix: str = "") -> dict[str, np.ndarray]:
    """Per-path columns of each asset's largest price drop and its split (fractions of the starting price):
    ``{prefix}{asset}_price_drop`` (market), ``_exogenous_drop`` (the driver alone) and ``_induced_drop``
    (liquidation selling); each (paths,). Empty if the outcome has no per-asset fields."""
    pa = outcome.per_asset
    if not pa:
        return {}
    induced = liquidation_induced_drop(pa)
    cols: dict[str, np.ndarray] = {}
    for k, name in enumerate(names):
        cols[f"{prefix}{name}_price_drop"] = 1.0 - pa["min_market_rel"][:, k]
        cols[f"{prefix}{name}_exogenous_drop"] = 1.0 - pa["min_fundamental_rel"][:, k]
        cols[f"{prefix}{name}_induced_drop"] = induced[:, k]
    return cols
