"""Cross-check (3) support: pick lab paths (the worst and some at random) and turn them into scenarios
that ``protocol_model.chain.replay.Replay`` plays on a chain. Pure Python: no ape import here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protocol_model.scenario.protocol import PROTOCOLS_DIR, load_protocol
from protocol_model.sim.books import Book, synthetic_book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import AssetRisk, CascadeParams, OracleLag
from protocol_model.sim.exact import ExactRun, exact_keeper
from protocol_model.sim.outcome import CascadeOutcome
from protocol_model.sim.paths import Gbm, JumpDiffusion, MarketModel

BORROWERS = ["alice", "bob", "carol", "dave", "erin", "frank"]
SUPPLIER, KEEPER = "grace", "heidi"


def pick_paths(outcome: CascadeOutcome, n_random: int, seed: int) -> list[int]:
    """The path with the most bad debt (ties: most liquidations), then ``n_random`` other paths.

    Path indices into ``outcome``; the random picks are drawn without replacement from ``seed``.
    """
    per = outcome.per_path
    worst = int(np.lexsort((per["liquidation_count"], per["bad_debt_usd"]))[-1])
    others = [i for i in range(outcome.n_paths) if i != worst]
    rng = np.random.default_rng(seed)
    return [worst, *map(int, rng.choice(others, size=min(n_random, len(others)), replace=False))]


@dataclass(frozen=True)
class LabReplayCase:
    """A lab run small enough to replay on chain: parameters, market, book, and its path count, step count
    and seed (cross-check (3), docs/risk_lab.md).
    """

    params: CascadeParams
    market: MarketModel
    book: Book
    n_paths: int
    n_steps: int
    seed: int

    def run(self) -> CascadeOutcome:
        """Run the vectorized cascade with series and events recorded (the lab side of the cross-check)."""
        return run_cascade(self.params, self.book, self.market, np.random.default_rng(self.seed), self.n_paths,
                           self.n_steps, record_series=True, record_events=True)

    def exact(self, outcome: CascadeOutcome, path: int) -> ExactRun:
        """Path ``path`` of ``outcome`` (its oracle series, shape (steps + 1, assets)) played by
        :func:`~protocol_model.sim.exact.exact_keeper` with the chain's named accounts.

        Raises ``ValueError`` as ``opening`` and ``AssertionError`` if the exact engine rejects a step.
        """
        return exact_keeper(self.params, self.book, outcome.series["oracle"][path], names=BORROWERS,
                            supplier=SUPPLIER, keeper=KEEPER)


DEFAULT_PROTOCOL = PROTOCOLS_DIR / "generic.yaml"
POOL_DEPTH_USD = {"USDC": float("inf"), "WBTC": 3e5, "WETH": 2e5}
"""The default case's market: USD per side of the pools liquidators sell into (thin, so cascades happen)."""


def default_case(n_paths: int = 200, n_steps: int = 20, seed: int = 42,
                 protocol: str | Path = DEFAULT_PROTOCOL) -> LabReplayCase:
    """Six borrowers (the chain's named test accounts) on WETH/WBTC against USDC of ``protocol``, a violent
    daily market with thin pools, oracle on a 0.5% deviation rule: liquidations, full closes and bad debt
    are likely."""
    proto = load_protocol(protocol)
    assets = proto.asset_specs(list(POOL_DEPTH_USD))
    params = CascadeParams(tuple(AssetRisk.from_spec(a, POOL_DEPTH_USD[a.name]) for a in assets),
                           close_factor_bps=proto.pool.close_factor_bps,
                           full_close_hf_bps=proto.pool.full_close_hf_bps, oracle=OracleLag(0, 50, 1))
    market = MarketModel((Gbm(0.0), JumpDiffusion(1.0, 12.0, -0.12, 0.1), Gbm(1.5)),
                         ((1, 0, 0), (0, 1, 0.7), (0, 0.7, 1)))
    book = synthetic_book(np.random.default_rng(seed), params, len(BORROWERS),
                          collateral_weights={"WBTC": 1, "WETH": 2}, debt_asset="USDC",
                          utilization_beta=(8.0, 1.5)).quantized(params)
    return LabReplayCase(params, market, book, n_paths, n_steps, seed)
