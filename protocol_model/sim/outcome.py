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
    "liquidator_pnl_usd",  # AMM proceeds of the sold collateral minus the debt repaid (market prices)
    "max_amm_discount",    # largest relative gap of any AMM price below its fundamental price
)

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
        return CascadeOutcome(per_path, np.concatenate([p.bad_debt_tokens for p in parts]), series, events)
