"""Parameters of a cascade run: frozen, in the protocol's units where the protocol has them (bps).

Token amounts and prices inside the lab are float64 whole tokens and USD; ``AssetRisk.config()`` checks
the risk parameters with the exact engine's own validation (``AssetConfig.validate``), so a parameter set
the contracts would reject never reaches the lab.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, cast

import numpy as np

from protocol_model.exact.lending.params import AssetConfig, PoolParams, RateParams
from protocol_model.exact.math_lib import BPS, RAY, WAD
from protocol_model.scenario.params import AssetSpec, PoolSpec
from protocol_model.sim.liquidation_rules import RuleName, rule_for


@dataclass(frozen=True)
class RateCurve:
    """An asset's kinked borrow-rate curve (``KinkedRateModel``; ``rate:`` of protocols/*.yaml): annual simple
    rates in bps, and the reserve factor (the share of interest that goes to reserves). Zero by default."""

    base_bps: int = 0
    slope1_bps: int = 0
    slope2_bps: int = 0
    optimal_bps: int = 8_000
    reserve_factor_bps: int = 0

    def __post_init__(self) -> None:
        self.params()
        if not 0 <= self.reserve_factor_bps <= BPS:
            raise ValueError(f"reserve_factor_bps must be in [0, 10000], got {self.reserve_factor_bps}")

    def params(self) -> RateParams:
        """The exact engine's per-second RAY curve, rounded down as deployed (``RateParams.from_annual_bps``);
        raises ``InvalidRateModel`` unless 0 < optimal < 100%, ``BorrowRateTooHigh`` when base + slope1 + slope2 passes
        1,000% a year (``MAX_BORROW_RATE_BPS``), ValueError for a negative rate."""
        for name in ("base_bps", "slope1_bps", "slope2_bps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        return RateParams.from_annual_bps(self.base_bps, self.slope1_bps, self.slope2_bps, self.optimal_bps)

    @property
    def is_zero(self) -> bool:
        """Whether the curve charges nothing at any utilization."""
        return self.base_bps == self.slope1_bps == self.slope2_bps == 0

    @functools.cached_property
    def _per_second_floats(self) -> tuple[float, float, float, float]:
        """Optimal utilization, base, slope 1 and slope 2 per second of the deployed curve, as floats (once)."""
        r = self.params()
        opt = r.optimal_utilization_wad / WAD
        base, s1, s2 = (x / RAY for x in (r.base_per_second_ray, r.slope1_per_second_ray, r.slope2_per_second_ray))
        return opt, base, s1, s2

    def per_second(self, utilization: np.ndarray) -> np.ndarray:
        """Borrow rate per second (a fraction) at ``utilization`` (any shape, fractions in [0, 1]): the formula of
        ``kinked_rate_model.borrow_rate_per_second_ray`` on the deployed per-second RAY values, in float64."""
        opt, base, s1, s2 = self._per_second_floats
        return np.where(utilization <= opt, base + s1 * utilization / opt,
                        base + s1 + s2 * (utilization - opt) / (1.0 - opt))


@dataclass(frozen=True)
class AssetRisk:
    """One listed asset: its risk parameters, its starting price and the market it is sold into."""

    name: str
    price_usd: float
    """Price at step 0 (USD per whole token)."""
    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int
    liquidation_protocol_fee_bps: int = 0
    decimals: int = 18
    amm_depth_usd: float = math.inf
    """USD value of each side of the constant-product pool (asset vs USD) that liquidators sell seized
    collateral into, at the starting price; ``inf`` = no price impact."""
    reserves_tokens: float = 0.0
    """Protocol reserves of this asset at step 0 (whole tokens); absorb bad debt before suppliers."""
    rate: RateCurve = field(default_factory=RateCurve)
    """borrow-rate curve and reserve factor (used when ``CascadeParams.interest`` is on)"""
    start_utilization_bps: int = 5_000
    """With interest on: the suppliers' deposits at step 0 are set so that this asset's utilization (debt over
    deposits plus the book's collateral in it) is this, or lower when the collateral alone exceeds that supply."""

    @classmethod
    def from_spec(cls, spec: AssetSpec, amm_depth_usd: float = math.inf, reserves_tokens: float = 0.0,
                  start_utilization_bps: int = 5_000, **override: int) -> AssetRisk:
        """The lab's view of a protocol asset (``scenario.params.AssetSpec``): its risk parameters (a sweep
        cell may ``override`` ``ltv_bps``, ``liquidation_threshold_bps``, ``liquidation_bonus_bps``), its
        starting price as a float and the market it is sold into. Validated like the contracts."""
        risk = cls(name=spec.name, price_usd=float(spec.price_usd), ltv_bps=spec.ltv_bps,
                   liquidation_threshold_bps=spec.liquidation_threshold_bps,
                   liquidation_bonus_bps=spec.liquidation_bonus_bps,
                   liquidation_protocol_fee_bps=spec.liquidation_protocol_fee_bps, decimals=spec.decimals,
                   amm_depth_usd=amm_depth_usd, reserves_tokens=reserves_tokens,
                   rate=RateCurve(spec.rate.base_bps, spec.rate.slope1_bps, spec.rate.slope2_bps,
                                  spec.rate.optimal_bps, spec.reserve_factor_bps),
                   start_utilization_bps=start_utilization_bps)
        risk = replace(risk, **cast(dict[str, Any], override))  # field name -> bps value
        risk.config()
        return risk

    def config(self) -> AssetConfig:
        """The exact engine's configuration (validated like ``LendingPool._validate``)."""
        return AssetConfig(self.ltv_bps, self.liquidation_threshold_bps, self.liquidation_bonus_bps,
                           self.liquidation_protocol_fee_bps, 0).validate()


@dataclass(frozen=True)
class OracleLag:
    """A simple push-feed model: the price the protocol sees.

    At step ``t`` the feed considers the market price of step ``t - delay_steps`` and posts it (rounded
    to 8 decimals, like a Chainlink answer) when it deviates from the last posted price by at least
    ``deviation_bps`` or when ``heartbeat_steps`` steps have passed since the last post. Defaults: post
    the current price every step. (The feed push-rule model of issue #4 can replace this.)
    """

    delay_steps: int = 0
    deviation_bps: int = 0
    heartbeat_steps: int = 1

    def __post_init__(self) -> None:
        if self.delay_steps < 0:
            raise ValueError(f"delay_steps must be >= 0, got {self.delay_steps}")
        if not 0 <= self.deviation_bps < BPS:
            raise ValueError(f"deviation_bps must be in [0, 10000), got {self.deviation_bps}")
        if self.heartbeat_steps < 1:
            raise ValueError(f"heartbeat_steps must be >= 1, got {self.heartbeat_steps}")


@dataclass(frozen=True)
class Liquidators:
    """Liquidator economics: what a keeper pays and needs before it liquidates.

    A liquidation is made only if the keeper's expected profit at the oracle prices — collateral it receives
    (seized less the protocol fee) × collateral price − debt it repays × debt price − ``gas_usd`` — is at least
    ``min_profit_usd``; and, per path and step, in book order, only while the keeper's ``capital_usd`` covers
    the repayments so far (the first profitable liquidation it cannot fund ends its round for that step). The
    defaults (no gas, no minimum, unlimited capital) liquidate every position below HF 1.

    ``redeem``: assets (stablecoins) whose seized collateral the keeper redeems with the issuer at par, $1 per
    token, instead of selling it into the asset's AMM: no price impact, proceeds at par (``redeemed_usd``). The
    profit rule above still values the collateral at the oracle price.
    """

    gas_usd: float = 0.0
    min_profit_usd: float = 0.0
    capital_usd: float = math.inf
    redeem: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (self.gas_usd >= 0 and math.isfinite(self.gas_usd)):
            raise ValueError(f"gas_usd must be a finite number >= 0, got {self.gas_usd}")
        if not (self.min_profit_usd >= 0 and math.isfinite(self.min_profit_usd)):
            raise ValueError(f"min_profit_usd must be a finite number >= 0, got {self.min_profit_usd}")
        if not self.capital_usd > 0:
            raise ValueError(f"capital_usd must be > 0, got {self.capital_usd}")
        if len(set(self.redeem)) != len(self.redeem):
            raise ValueError(f"redeem: names repeat: {list(self.redeem)}")

    @property
    def filters_profit(self) -> bool:
        """Whether the profit rule can refuse a liquidation (gas or a minimum profit set)."""
        return self.gas_usd > 0 or self.min_profit_usd > 0

    @property
    def limited(self) -> bool:
        """Whether the keeper's capital is finite."""
        return math.isfinite(self.capital_usd)


@dataclass(frozen=True)
class CascadeParams:
    """Everything the cascade engine needs besides the book and the price paths."""

    assets: tuple[AssetRisk, ...]
    close_factor_bps: int = 5_000
    full_close_hf_bps: int = 9_500
    oracle: OracleLag = field(default_factory=OracleLag)
    arb_recovery: float = 0.5
    """Fraction of an AMM's log price dislocation that arbitrage removes per step (1 = fully)."""
    liquidators: Liquidators = field(default_factory=Liquidators)
    """gas, minimum profit and capital of the keepers (default: liquidate every position below HF 1)"""
    interest: bool = False
    """accrue interest along the paths from each asset's ``rate`` curve (off: debts never grow)"""
    step_seconds: float = 86_400.0
    """length of one step (seconds): each step's borrow index grows by ``rate × step_seconds``"""
    rules: RuleName = "generic"
    """the protocol's liquidation rule (``rules:`` of its protocol file; ``sim.liquidation_rules``)"""

    def __post_init__(self) -> None:
        if not self.assets:
            raise ValueError("assets: at least one asset is needed")
        names = [a.name for a in self.assets]
        if len(set(names)) != len(names):
            raise ValueError(f"assets: names repeat: {names}")
        for a in self.assets:
            a.config()
            if not (a.price_usd > 0 and math.isfinite(a.price_usd)):
                raise ValueError(f"assets.{a.name}.price_usd must be a positive number, got {a.price_usd}")
            if not a.amm_depth_usd > 0:
                raise ValueError(f"assets.{a.name}.amm_depth_usd must be > 0, got {a.amm_depth_usd}")
            if a.reserves_tokens < 0:
                raise ValueError(f"assets.{a.name}.reserves_tokens must be >= 0, got {a.reserves_tokens}")
            if not 0 < a.start_utilization_bps <= BPS:
                raise ValueError(f"assets.{a.name}.start_utilization_bps must be in (0, 10000], "
                                 f"got {a.start_utilization_bps}")
        if not (self.step_seconds > 0 and math.isfinite(self.step_seconds)):
            raise ValueError(f"step_seconds must be a positive number, got {self.step_seconds}")
        for r in self.liquidators.redeem:
            if r not in names:
                raise ValueError(f"liquidators.redeem: unknown asset '{r}' (known: {names})")
        self.pool_params()
        if not 0.0 <= self.arb_recovery <= 1.0:
            raise ValueError(f"arb_recovery must be in [0, 1], got {self.arb_recovery}")
        rule = rule_for(self.rules)
        if rule is not None:
            rule.check(self)

    def pool_params(self) -> PoolParams:
        """The exact engine's pool parameters (the one conversion: ``scenario.params.PoolSpec``). The minimum
        leftover is 0: the vectorized engine has no dust rule (docs/SPEC.md §3.6)."""
        return PoolSpec(close_factor_bps=self.close_factor_bps, full_close_hf_bps=self.full_close_hf_bps,
                        min_leftover_usd=Decimal(0)).params()

    @property
    def accrues(self) -> bool:
        """Whether interest accrues: ``interest`` on and some asset's curve nonzero (otherwise the engine runs
        exactly as without interest, bit for bit)."""
        return self.interest and any(not a.rate.is_zero for a in self.assets)

    def index(self, name: str) -> int:
        """The position of asset ``name`` in ``assets`` (the column of every (paths, assets) array). Raises KeyError
        naming the known assets for an unknown name."""
        for i, a in enumerate(self.assets):
            if a.name == name:
                return i
        raise KeyError(f"unknown asset '{name}' (known: {[a.name for a in self.assets]})")

    @property
    def redeem_par(self) -> np.ndarray:
        """(assets,) USD per token a keeper redeems seized collateral at: 1.0 for ``liquidators.redeem`` assets,
        NaN for assets sold into their AMM."""
        return np.array([1.0 if a.name in self.liquidators.redeem else np.nan for a in self.assets])

    @property
    def initial_prices(self) -> tuple[float, ...]:
        """The assets' USD prices at step 0, one float per asset in ``assets`` order. Raises nothing."""
        return tuple(a.price_usd for a in self.assets)
