"""Stablecoin quality in the risk lab: issuer redemption (fee, delay, minimum size, daily capacity, a queue,
closed windows) and wrong-way links, applied to an asset's price path. docs/stablecoin_quality.md.

A ``StableMarket`` is a ``MarketModel`` whose stream transforms the columns of its stablecoins after the
base drivers have moved (it draws no random numbers of its own, so a seed gives the same base paths with
and without the frictions: common random numbers). Per step and path, for a stablecoin with par = its
starting price and relative price ``b`` from its driver (e.g. a bridge to 0.87 and back):

1. **wrong way** (``WrongWay``): ``b ← b · max(1 − β · hurt, 10⁻⁶)`` where ``hurt`` is the relative rise
   (``when="rise"``) or fall (``"fall"``) of another asset's base price since step 0: the coin weakens as
   the position that holds it needs it (a book short that asset, or a long perp margined in the coin);
2. **redemption** (``Redemption``): the issuer first processes ``daily_capacity · step_days`` of the queue
   (nothing in a closed window). A request made now pays after ``wait = days to reopening + queue /
   daily_capacity + delay_days``. An arbitrageur buying on the market and redeeming at par less the fee,
   asking ``wait_cost_bps_per_day`` per day of waiting, supports the price at
   ``floor = (1 − fee) · max(1 − wait_cost · wait, 0)``. When ``b < floor`` the arbitrage buys the tokens
   that lift a constant-product pool of ``depth_usd`` per side at par from ``b`` to ``floor``,
   ``depth · (1/√b − 1/√floor)``, and queues them for redemption; an arbitrage smaller than ``minimum``
   is not possible and the price stays at ``b``. The price is ``max(b, floor)`` where it happens.

The floor uses the queue before this step's own requests (the marginal arbitrageur is first in line);
amounts are at par value. The cascade then applies its AMM dislocation on top (``arb_recovery``), and its
oracle reads the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from protocol_model.analytics.stablecoin import RedemptionTerms
from protocol_model.sim.paths import MarketModel, PathStream

MIN_RELATIVE = 1e-6


@dataclass(frozen=True)
class Redemption:
    """An issuer's redemption channel for one stablecoin in the lab (module docstring, step 2).

    Raises ``ValueError`` if ``depth_usd`` is not positive, ``wait_cost_bps_per_day`` is not within 0..10,000
    or a closed window is not ``0 <= start < end``.
    """

    terms: RedemptionTerms
    """fee, delay, minimum size and daily capacity (``protocol_model.analytics.stablecoin``)"""
    depth_usd: float
    """USD per side at par of the market the arbitrage buys in"""
    wait_cost_bps_per_day: float = 50.0
    """what an arbitrageur asks per day of waiting for par (carry and the issuer's credit risk)"""
    closed_steps: tuple[tuple[int, int], ...] = ()
    """[start, end) step windows in which the issuer processes nothing (a weekend, a bank failure)"""

    def __post_init__(self) -> None:
        if not self.depth_usd > 0:
            raise ValueError(f"depth_usd ({self.depth_usd}) must be positive")
        if not 0 <= self.wait_cost_bps_per_day <= 10_000:
            raise ValueError(f"wait_cost_bps_per_day ({self.wait_cost_bps_per_day}) must be within 0..10000")
        for a, b in self.closed_steps:
            if not 0 <= a < b:
                raise ValueError(f"closed_steps: window [{a}, {b}) must have 0 <= start < end")

    def floor(self, queue_usd: np.ndarray, reopen_days: float) -> np.ndarray:
        """The arbitrage floor relative to par: ``(1 − fee) · max(1 − wait_cost · wait, 0)`` with ``wait =
        reopen_days + queue / daily_capacity + delay_days``; ``queue_usd`` shape (paths,), result the same.
        """
        wait = reopen_days + queue_usd / self.terms.daily_capacity + self.terms.delay_days
        return (1 - self.terms.fee_bps / 10_000) * np.maximum(1 - self.wait_cost_bps_per_day / 10_000 * wait, 0.0)

    def reopen_steps(self, t: int) -> int:
        """Steps until the window containing step ``t`` ends (0 when open)."""
        return max((b - t for a, b in self.closed_steps if a <= t < b), default=0)


@dataclass(frozen=True)
class WrongWay:
    """A wrong-way link (module docstring, step 1): the coin falls ``beta`` × the relative ``rise``/``fall``
    of asset ``asset``'s base price since step 0.

    Raises ``ValueError`` if ``beta`` < 0 or ``when`` is not ``"rise"`` or ``"fall"``.
    """

    asset: int
    """index of the asset whose move weakens the coin"""
    beta: float
    when: str = "rise"

    def __post_init__(self) -> None:
        if self.beta < 0 or self.when not in ("rise", "fall"):
            raise ValueError(f"wrong_way: beta ({self.beta}) must be >= 0 and when ('{self.when}') rise or fall")


@dataclass(frozen=True)
class StableCoin:
    """Asset index ``asset`` treated as a stablecoin: its redemption channel and wrong-way link, if any."""

    asset: int
    redemption: Redemption | None = None
    wrong_way: WrongWay | None = None


@dataclass(frozen=True)
class StableMarket(MarketModel):
    """A :class:`MarketModel` whose stream applies each stablecoin's transforms after the base drivers move
    (no random draws of its own: the base paths are the same with and without them).
    """

    stables: tuple[StableCoin, ...] = field(default=())

    @classmethod
    def wrap(cls, base: MarketModel, stables: tuple[StableCoin, ...]) -> StableMarket:
        """``base``'s drivers, correlation and step length with ``stables`` added."""
        return cls(base.drivers, base.correlation, base.step_seconds, stables)

    def stream(self, rng: np.random.Generator, n_paths: int, initial_prices, n_steps: int) -> StableStream:
        """A :class:`StableStream` over the base :class:`PathStream` (shapes and errors as ``MarketModel.stream``;
        ``ValueError`` also for a wrong-way link to an asset that does not exist).
        """
        return StableStream(self, PathStream(self, rng, n_paths, np.asarray(initial_prices, dtype=float), n_steps))


class StableStream:
    """The base stream's prices with the stablecoins' transforms; keeps per-path redemption statistics."""

    def __init__(self, market: StableMarket, inner: PathStream):
        self.market, self.inner = market, inner
        for s in market.stables:
            if s.wrong_way is not None and not 0 <= s.wrong_way.asset < len(inner.p0):
                raise ValueError(f"wrong_way.asset: no asset {s.wrong_way.asset}")
        n = inner.n_paths
        self.queue_usd = {s.asset: np.zeros(n) for s in market.stables}
        self.redeemed_usd = {s.asset: np.zeros(n) for s in market.stables}
        self.max_wait_days = {s.asset: np.zeros(n) for s in market.stables}
        self.floor_steps = {s.asset: np.zeros(n) for s in market.stables}
        self.min_relative = {s.asset: np.ones(n) for s in market.stables}

    @property
    def t(self) -> int:
        """Steps taken so far (the base stream's)."""
        return self.inner.t

    def next(self) -> np.ndarray:
        """Prices after one more step, shape (paths, assets), USD: the base stream's with each stablecoin's
        wrong-way link, then its redemption floor, applied; updates the per-path statistics.
        """
        base = self.inner.next()
        out = base.copy()
        p0, t = self.inner.p0, self.inner.t
        step_days = self.market.step_seconds / 86_400.0
        for s in self.market.stables:
            rel = base[:, s.asset] / p0[s.asset]
            if s.wrong_way is not None:
                move = base[:, s.wrong_way.asset] / p0[s.wrong_way.asset] - 1.0
                hurt = np.maximum(move if s.wrong_way.when == "rise" else -move, 0.0)
                rel = rel * np.maximum(1.0 - s.wrong_way.beta * hurt, MIN_RELATIVE)
            if s.redemption is not None:
                rel = self._redeem(s.asset, s.redemption, rel, t, step_days)
            np.minimum(self.min_relative[s.asset], rel, out=self.min_relative[s.asset])
            out[:, s.asset] = p0[s.asset] * rel
        return out

    def _redeem(self, k: int, r: Redemption, rel: np.ndarray, t: int, step_days: float) -> np.ndarray:
        q = self.queue_usd[k]
        reopen = r.reopen_steps(t)
        if reopen == 0:
            q -= np.minimum(q, r.terms.daily_capacity * step_days)
        wait = reopen * step_days + q / r.terms.daily_capacity + r.terms.delay_days
        np.maximum(self.max_wait_days[k], wait, out=self.max_wait_days[k])
        floor = r.floor(q, reopen * step_days)
        with np.errstate(divide="ignore", invalid="ignore"):
            tokens = r.depth_usd * (1 / np.sqrt(rel) - 1 / np.sqrt(floor))
        active = (rel < floor) & (tokens >= r.terms.minimum)
        q += np.where(active, tokens, 0.0)
        self.redeemed_usd[k] += np.where(active, tokens, 0.0)
        self.floor_steps[k] += active
        return np.where(active, floor, rel)


def stable_stats(market: StableMarket, rng: np.random.Generator, n_paths: int, initial_prices,
                 n_steps: int) -> dict[int, dict[str, np.ndarray]]:
    """Per stablecoin, per path: lowest relative price, longest wait, par value queued for redemption and
    steps the floor held, from the same stream a cascade with this generator would see.

    Returns asset index → {``min_relative_price``, ``max_wait_days``, ``redeemed_usd``, ``floor_steps``},
    each shape (paths,).
    """
    s = market.stream(rng, n_paths, initial_prices, n_steps)
    for _ in range(n_steps):
        s.next()
    return {c.asset: {"min_relative_price": s.min_relative[c.asset], "max_wait_days": s.max_wait_days[c.asset],
                      "redeemed_usd": s.redeemed_usd[c.asset], "floor_steps": s.floor_steps[c.asset]}
            for c in market.stables}


def arbitrage_tokens(depth_usd: float, price: float, floor: float) -> float:
    """Par value bought to lift a constant-product pool with ``depth_usd`` per side at par from ``price``
    to ``floor`` (both relative to par): ``depth · (1/√price − 1/√floor)`` (constant product: the pool's token
    side is ``depth/√price`` at relative price ``price``). Raises ``ValueError``/``ZeroDivisionError`` if
    ``price`` or ``floor`` is not positive.
    """
    return depth_usd * (1 / math.sqrt(price) - 1 / math.sqrt(floor))


def stable_market(base: MarketModel, assets: Sequence[Any]) -> StableMarket:
    """``base`` (the drivers' market, as the file builds it without stablecoins) wrapped with each
    stablecoin's redemption and wrong-way link; ``assets`` are a simulation file's asset entries.

    Raises ValueError naming ``assets.N.wrong_way.asset`` for an unknown or self-referencing link.
    """
    names = [a.name for a in assets]
    coins = []
    for i, a in enumerate(assets):
        if a.redemption is None and a.wrong_way is None:
            continue
        red = ww = None
        if a.redemption is not None:
            r = a.redemption
            terms = RedemptionTerms(r.delay_days, r.fee_bps, r.minimum_usd, r.daily_capacity_usd)
            red = Redemption(terms, r.depth_usd or a.amm_depth_usd, r.wait_cost_bps_per_day,
                             tuple(tuple(w) for w in r.closed_steps))
        if a.wrong_way is not None:
            if a.wrong_way.asset not in names:
                raise ValueError(f"assets.{a.name}.wrong_way.asset: unknown asset '{a.wrong_way.asset}' "
                                 f"(known: {names})")
            if a.wrong_way.asset == a.name:
                raise ValueError(f"assets.{a.name}.wrong_way.asset: '{a.name}' cannot follow itself")
            ww = WrongWay(names.index(a.wrong_way.asset), a.wrong_way.beta, a.wrong_way.when)
        coins.append(StableCoin(i, red, ww))
    return StableMarket.wrap(base, tuple(coins))
