"""How an on-chain price follows the market: the push rule of Chainlink-style feeds (deviation threshold
+ heartbeat), an OSM-style delayed feed, time-weighted averages (TWAP) versus spot, and sequencer gating.

Pure numpy over arrays of shape (paths, samples) or (samples,); times in seconds, prices in USD floats
(analysis, not the exact engine: scenarios feed the exact engine with the resulting rounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PushRule:
    """A new round when the market moved more than ``deviation_bps`` from the last published answer, or
    when ``heartbeat_s`` passed since the last round (Chainlink's deviation threshold + heartbeat trigger;
    docs/oracles/feed_model.md).

    Raises ``ValueError`` if ``deviation_bps`` or ``heartbeat_s`` is not positive.
    """

    deviation_bps: int = 50
    heartbeat_s: int = 3600

    def __post_init__(self) -> None:
        if self.deviation_bps <= 0 or self.heartbeat_s <= 0:
            raise ValueError("deviation_bps and heartbeat_s must be positive")


@dataclass(frozen=True)
class OraclePath:
    """What a feed published along a market path (output of :func:`push_rule_path`).

    Every array has the market's shape, (paths, samples) or (samples,); prices in USD floats.
    """

    oracle: np.ndarray
    """Published answer at every sample (same shape as the market)."""
    updated: np.ndarray
    """True where a new round was published."""
    lag_error: np.ndarray
    """oracle / market − 1."""

    def max_abs_error_bps(self) -> np.ndarray:
        """Largest |oracle / market − 1| over the samples, in bps: shape (paths,) or a scalar for one path."""
        return np.abs(self.lag_error).max(axis=-1) * 10_000

    def rounds(self) -> np.ndarray:
        """Number of rounds published (the first sample counts): shape (paths,) or a scalar for one path."""
        return self.updated.sum(axis=-1)


def push_rule_path(times_s: np.ndarray, market: np.ndarray, rule: PushRule) -> OraclePath:
    """The oracle path a push-rule feed publishes from a market path (vectorized over paths).

    ``times_s``: shape (samples,), seconds, non-decreasing; ``market``: shape (samples,) or (paths, samples),
    positive USD prices. The first sample is always published. Sequential in time, vectorized across paths.
    Raises ``ValueError`` if the shapes disagree, the times decrease or a market price is not positive.
    """
    times_s = np.asarray(times_s, dtype=np.int64)
    market = np.asarray(market, dtype=float)
    if times_s.ndim != 1 or market.shape[-1] != times_s.shape[0]:
        raise ValueError("market must have the times as its last axis")
    if np.any(np.diff(times_s) < 0):
        raise ValueError("times must not decrease")
    if np.any(market <= 0):
        raise ValueError("market prices must be positive")
    m = np.atleast_2d(market)
    oracle = np.empty_like(m)
    updated = np.zeros(m.shape, dtype=bool)
    last = m[:, 0].copy()
    last_t = np.full(m.shape[0], times_s[0])
    oracle[:, 0], updated[:, 0] = last, True
    threshold = rule.deviation_bps / 10_000
    for i in range(1, m.shape[1]):
        push = (np.abs(m[:, i] / last - 1) > threshold) | (times_s[i] - last_t >= rule.heartbeat_s)
        last = np.where(push, m[:, i], last)
        last_t = np.where(push, times_s[i], last_t)
        oracle[:, i], updated[:, i] = last, push
    shape = market.shape
    return OraclePath(oracle.reshape(shape), updated.reshape(shape), (oracle / m - 1).reshape(shape))


def osm_path(times_s: np.ndarray, market: np.ndarray, delay_s: int) -> np.ndarray:
    """An OSM-style delayed feed: at time t it publishes the market price of ``delay_s`` earlier (the
    first price until then). ``delay_s = 0`` is the market itself (docs/oracles/delayed_feed.md).

    ``times_s``: shape (samples,), seconds, sorted; ``market``: shape (..., samples); returns the market's shape.
    Raises ``ValueError`` if ``delay_s < 0``.
    """
    times_s = np.asarray(times_s, dtype=np.int64)
    market = np.asarray(market, dtype=float)
    if delay_s < 0:
        raise ValueError("delay_s must be >= 0")
    idx = np.searchsorted(times_s, times_s - delay_s, side="right") - 1
    return market[..., np.clip(idx, 0, None)]


def twap(times_s: np.ndarray, spot: np.ndarray, window_s: int) -> np.ndarray:
    """Time-weighted average of a piecewise-constant spot price over the ``window_s`` before each sample
    (Uniswap V2's cumulative-price reading, (cum(t) − cum(t − w)) / w; shorter history at the start;
    docs/oracles/spot_manipulation.md).

    ``times_s``: shape (samples,), seconds, sorted; ``spot``: shape (..., samples); returns the spot's shape.
    Raises ``ValueError`` if ``window_s`` is not positive.
    """
    times_s = np.asarray(times_s, dtype=float)
    spot = np.asarray(spot, dtype=float)
    if window_s <= 0:
        raise ValueError("window_s must be positive")
    dt = np.diff(times_s, prepend=times_s[0])
    prev = np.concatenate([spot[..., :1], spot[..., :-1]], axis=-1)
    cum = np.cumsum(prev * dt, axis=-1)  # ∫ spot dt up to each sample

    def cum_at(t: np.ndarray) -> np.ndarray:
        j = np.clip(np.searchsorted(times_s, t, side="right") - 1, 0, None)
        return cum[..., j] + spot[..., j] * (t - times_s[j])

    start = np.maximum(times_s - window_s, times_s[0])
    span = times_s - start
    out = np.where(span > 0, (cum_at(times_s) - cum_at(start)) / np.where(span > 0, span, 1), spot)
    return out


def sequencer_accepts(times_s: np.ndarray, down: list[tuple[int, int]], grace_s: int) -> np.ndarray:
    """True where a price is accepted: not inside a (start, end) outage and more than ``grace_s`` after
    the end of the last outage (the router's ``SequencerDown`` / ``GracePeriodNotOver`` rules;
    docs/oracles/sequencer_outage.md). ``times_s``: shape (samples,), seconds; returns a bool array of that shape.
    """
    times_s = np.asarray(times_s, dtype=np.int64)
    ok = np.ones(times_s.shape, dtype=bool)
    for start, end in down:
        ok &= ~((times_s >= start) & (times_s <= end + grace_s))
    return ok
