"""Scenario extensions for deployments and paths: a price/oracle path, a keeper and checks.

These specs are fields of ``scenario.Scenario`` (all optional, so every older scenario file stays
valid). Names are cross-checked against the scenario's assets and accounts in ``Scenario``'s validator,
which reports the first bad field as ``path.2.prices: unknown asset 'DOGE'``.

Extension points (built elsewhere, in parallel):
- feed policies (issue #4): a ``PathPoint`` may grow oracle events besides ``prices`` (stale rounds,
  fallback feeds); ``world.resolve``-style translation lives in ``positions.path_actions``.
- loops and leveraged-token holdings (issue #5): see ``positions.opening_actions``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from protocol_model.scenario.base import Strict


class PathPoint(Strict):
    """One point of a price path: time passes, then the listed feeds publish new answers."""

    warp: int = Field(0, ge=0, le=10 * 365 * 86_400)
    """Seconds that pass before the prices change (0: next block)."""
    prices: dict[str, Decimal] = Field(default_factory=dict)
    """Asset name -> new USD price. 0 is allowed (a broken feed the pool must reject)."""
    label: str = ""


class KeeperSpec(Strict):
    """A liquidation bot: after every path point it liquidates whatever the model says is liquidatable."""

    account: str
    """Scenario account that pays the repayments (it needs a wallet balance of the debt assets)."""
    max_liquidations_per_point: int = Field(50, ge=1, le=1_000)


class Check(Strict):
    """What must be true after path point ``at`` (after the keeper ran there)."""

    at: int = Field(ge=0)
    liquidated: list[str] | None = None
    """Exactly these borrowers were liquidated at this point (in any order)."""
    healthy: list[str] | None = None
    """These accounts have HF >= 1 (or no debt)."""
    liquidatable: list[str] | None = None
    """These accounts are still below HF 1 after the keeper (e.g. it ran out of funds)."""
    bad_debt_assets: list[str] | None = None
    """Exactly these assets had bad debt written off at this point."""
