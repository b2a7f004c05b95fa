"""Price paths, generated one step at a time (memory does not grow with the number of steps).

Every asset has a driver; all drivers share one correlated standard-normal draw per step, so GBM assets
move together as the correlation matrix says. The draw order per step is fixed (the correlated normals,
then each jump driver's draws in asset order), so a seed gives the same paths in the vectorized engine,
the scalar reference and any chunking of the steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from protocol_model.sim.history import relative_path

SECONDS_PER_YEAR = 365 * 86_400


PRICE_FLOOR = 1e-12
"""Lowest price relative to its start a path takes (fundamental prices; market prices relative to the fundamental:
the AMM dislocation). Float64 underflows ``exp`` past about e^-745 (σ = 750%/yr on daily steps does in one step), a
price of 0 then makes 0/0 in the AMM; a collateral at 10^-12 of its start is worthless long before."""
LOG_PRICE_FLOOR = math.log(PRICE_FLOOR)

@dataclass(frozen=True)
class Gbm:
    """Geometric Brownian motion; ``sigma_annual = 0`` keeps the price constant."""

    sigma_annual: float = 0.0
    drift_annual: float = 0.0


@dataclass(frozen=True)
class JumpDiffusion:
    """Merton jump diffusion: GBM plus Poisson jumps with normal log sizes."""

    sigma_annual: float
    jumps_per_year: float
    jump_mean_log: float
    jump_std_log: float
    drift_annual: float = 0.0


@dataclass(frozen=True)
class Bridge:
    """Log-Brownian bridge through pinned prices (relative to the start): a depeg to 0.87 at step 3 and
    back to 1 at step 10 is ``pins=((3, 0.87), (10, 1.0))``. After the last pin: driftless GBM."""

    sigma_annual: float
    pins: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        steps = [s for s, _ in self.pins]
        if not self.pins or steps != sorted(set(steps)) or steps[0] < 1:
            raise ValueError("pins: steps must be increasing, distinct and >= 1")
        if any(not r > 0 for _, r in self.pins):
            raise ValueError("pins: relative prices must be > 0")


@dataclass(frozen=True)
class Historical:
    """A stylized historical episode (``history.EPISODES``) plus optional GBM noise."""

    episode: str
    series: str
    noise_sigma_annual: float = 0.0


Driver = Gbm | JumpDiffusion | Bridge | Historical


class PriceStream(Protocol):
    """What :meth:`MarketModel.stream` returns (a :class:`PathStream`, or a wrapper such as ``StableStream``)."""

    def next(self) -> np.ndarray:
        """The prices after one more step, shape (paths, assets), USD per whole token."""
        ...


@dataclass(frozen=True)
class MarketModel:
    """The lab's market: one driver per asset, an optional correlation matrix of their normal draws and the
    step length in seconds. :meth:`stream` yields (paths, assets) USD prices step by step.

    Raises ``ValueError`` if the correlation is not a symmetric assets × assets matrix with a unit diagonal
    or is not positive definite.
    """

    drivers: tuple[Driver, ...]
    """One per asset, in the order of ``CascadeParams.assets``."""
    correlation: tuple[tuple[float, ...], ...] | None = None
    step_seconds: float = 86_400.0
    _chol: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        k = len(self.drivers)
        corr = np.eye(k) if self.correlation is None else np.asarray(self.correlation, dtype=float)
        if corr.shape != (k, k) or not np.allclose(corr, corr.T) or not np.allclose(np.diag(corr), 1.0):
            raise ValueError(f"correlation: must be a symmetric {k}x{k} matrix with ones on the diagonal")
        try:
            chol = np.linalg.cholesky(corr)
        except np.linalg.LinAlgError:
            raise ValueError("correlation: matrix is not positive definite") from None
        object.__setattr__(self, "_chol", chol)

    def stream(self, rng: np.random.Generator, n_paths: int, initial_prices, n_steps: int) -> PriceStream:
        """A :class:`PathStream` of ``n_paths`` paths from ``initial_prices`` (USD, one per asset) over
        ``n_steps`` steps. Raises ``ValueError`` if the number of prices is not the number of drivers, and
        ``KeyError`` for an unknown historical episode.
        """
        return PathStream(self, rng, n_paths, np.asarray(initial_prices, dtype=float), n_steps)


class PathStream:
    """Yields the fundamental price of every asset on every path, step by step: ``next() -> (paths, K)``."""

    def __init__(self, model: MarketModel, rng: np.random.Generator, n_paths: int, p0: np.ndarray, n_steps: int):
        if len(p0) != len(model.drivers):
            raise ValueError(f"{len(model.drivers)} drivers for {len(p0)} assets")
        self.model, self.rng, self.n_paths, self.p0 = model, rng, n_paths, p0
        self.dt = model.step_seconds / SECONDS_PER_YEAR
        self.t = 0
        self.x = np.zeros((n_paths, len(p0)))  # log price relative to the start
        self.noise = np.zeros((n_paths, len(p0)))  # historical drivers' accumulated noise
        self.hist = {j: np.log(relative_path(d.episode, d.series, n_steps, model.step_seconds))
                     for j, d in enumerate(model.drivers) if isinstance(d, Historical)}

    def next(self) -> np.ndarray:
        """The fundamental prices after one more step, shape (paths, assets), USD per whole token.

        Draws the correlated normals, then each jump driver's draws in asset order (see the module docstring).
        A historical driver stepped beyond its ``n_steps`` raises ``IndexError``.
        """
        m, dt, t = self.model, self.dt, self.t
        z = self.rng.standard_normal((self.n_paths, len(self.p0))) @ m._chol.T
        sq = math.sqrt(dt)
        for j, d in enumerate(m.drivers):
            col = self.x[:, j]
            if isinstance(d, Gbm):
                col += (d.drift_annual - 0.5 * d.sigma_annual**2) * dt + d.sigma_annual * sq * z[:, j]
            elif isinstance(d, JumpDiffusion):
                n = self.rng.poisson(d.jumps_per_year * dt, self.n_paths)
                zj = self.rng.standard_normal(self.n_paths)
                col += ((d.drift_annual - 0.5 * d.sigma_annual**2) * dt + d.sigma_annual * sq * z[:, j]
                        + n * d.jump_mean_log + np.sqrt(n) * d.jump_std_log * zj)
            elif isinstance(d, Bridge):
                pin = next(((s, r) for s, r in d.pins if s > t), None)
                if pin is None:
                    col += -0.5 * d.sigma_annual**2 * dt + d.sigma_annual * sq * z[:, j]
                else:
                    s, r = pin
                    left = s - t
                    col += (math.log(r) - col) / left + d.sigma_annual * sq * math.sqrt((left - 1) / left) * z[:, j]
            else:  # Historical
                self.noise[:, j] += d.noise_sigma_annual * sq * z[:, j]
                col[:] = self.hist[j][t + 1] + self.noise[:, j]
        self.t += 1
        return self.p0 * np.exp(np.maximum(self.x, LOG_PRICE_FLOOR))
