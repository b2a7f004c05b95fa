"""Risk parameters: frozen, integer-valued, in the contracts' units (names carry the unit).

Validation mirrors ``LendingPool._validate`` check for check and raises the same errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact import errors
from protocol_model.exact.math_lib import BPS, RAY, UINT256_MAX, WAD

SECONDS_PER_YEAR = 365 * 24 * 3600

MAX_BORROW_RATE_BPS = 100_000
"""The highest borrow rate a ``KinkedRateModel`` may charge, at 100% utilization: 1,000% a year (simple). Aave v3's
interest-rate strategy caps ``base + slope1 + slope2`` at the same 1,000%; Morpho's AdaptiveCurveIrm tops out at
800% and Compound v2's ``borrowRateMaxMantissa`` at ≈ 1,050%. docs/SPEC.md §3.1 "Bound" gives the widths it keeps."""
MAX_BORROW_RATE_PER_SECOND_RAY = MAX_BORROW_RATE_BPS * RAY // BPS // SECONDS_PER_YEAR
"""``KinkedRateModel.MAX_BORROW_RATE_PER_SECOND_RAY`` = ⌊10·RAY / 31,536,000⌋ ≈ 3.17e20 (< 2^69): the constructor
(and ``RateParams``) refuse ``base + slope1 + slope2`` above it with BorrowRateTooHigh. With dt < 2^40 (``lastUpdate``
is a uint40) ``rateRay · dt`` < 2^109 and the accrual's ``borrowIndex · rateRay · dt`` < 2^237 fit uint256; from
RAY the borrow index stays below 2^128 for ln(2^128/RAY)/10 ≈ 2.65 years of 100% utilization accrued every
second (longer with fewer touches: linear between them)."""


@dataclass(frozen=True)
class RateParams:
    """Kinked borrow-rate curve (``KinkedRateModel``), per-second rates in RAY."""

    base_per_second_ray: int
    slope1_per_second_ray: int
    slope2_per_second_ray: int
    optimal_utilization_wad: int

    def __post_init__(self) -> None:
        """The constructor's checks in its order: InvalidRateModel unless 0 < optimal < WAD, then BorrowRateTooHigh
        when ``base + slope1 + slope2`` (the rate at 100% utilization) exceeds ``MAX_BORROW_RATE_PER_SECOND_RAY``;
        ValueError for a negative term (the contract takes uint256)."""
        if not 0 < self.optimal_utilization_wad < WAD:
            raise errors.InvalidRateModel(self.optimal_utilization_wad)
        base, slope1, slope2 = self.base_per_second_ray, self.slope1_per_second_ray, self.slope2_per_second_ray
        top = MAX_BORROW_RATE_PER_SECOND_RAY
        if base > top or slope1 > top - base or slope2 > top - base - slope1:
            raise errors.BorrowRateTooHigh(base, slope1, slope2)
        for name in ("base_per_second_ray", "slope1_per_second_ray", "slope2_per_second_ray"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be a uint256, got {getattr(self, name)}")

    @classmethod
    def from_annual_bps(cls, base_bps: int, slope1_bps: int, slope2_bps: int, optimal_bps: int) -> RateParams:
        """Annual simple rates in basis points -> per-second RAY (rounded down), as deployed."""
        per_s = lambda bps: bps * RAY // BPS // SECONDS_PER_YEAR  # noqa: E731
        return cls(per_s(base_bps), per_s(slope1_bps), per_s(slope2_bps), optimal_bps * WAD // BPS)


@dataclass(frozen=True)
class AssetConfig:
    """Per-asset risk configuration (``LendingPool.AssetConfig``)."""

    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int
    liquidation_protocol_fee_bps: int
    reserve_factor_bps: int
    collateral_enabled: bool = True
    borrow_enabled: bool = True
    supply_cap: int = 0
    """Token units; 0 means no cap."""
    borrow_cap: int = 0
    """Token units; 0 means no cap."""

    def validate(self) -> AssetConfig:
        """Same checks, same order, same errors as ``LendingPool._validate``."""
        lt = self.liquidation_threshold_bps
        if lt >= BPS:
            raise errors.ThresholdTooHigh(lt)
        if self.ltv_bps > lt:
            raise errors.LtvAboveThreshold(self.ltv_bps, lt)
        if lt * (BPS + self.liquidation_bonus_bps) >= BPS * BPS:
            raise errors.LiquidationBonusTooHigh(lt, self.liquidation_bonus_bps)
        if self.liquidation_protocol_fee_bps > BPS:
            raise errors.FeeTooHigh(self.liquidation_protocol_fee_bps)
        if self.reserve_factor_bps > BPS:
            raise errors.FeeTooHigh(self.reserve_factor_bps)
        for name in ("ltv_bps", "liquidation_threshold_bps", "liquidation_bonus_bps",
                     "liquidation_protocol_fee_bps", "reserve_factor_bps"):
            if not 0 <= getattr(self, name) < 2**16:
                raise ValueError(f"{name} must fit in uint16, got {getattr(self, name)}")
        return self

    def as_tuple(self) -> tuple:
        """ABI order of the Solidity struct."""
        return (self.ltv_bps, self.liquidation_threshold_bps, self.liquidation_bonus_bps,
                self.liquidation_protocol_fee_bps, self.reserve_factor_bps, self.collateral_enabled,
                self.borrow_enabled, self.supply_cap, self.borrow_cap)


MAX_MIN_LEFTOVER_USD_WAD = UINT256_MAX // BPS
"""``LendingPool.MAX_MIN_LEFTOVER_USD_WAD``: the largest ``minLeftoverUsdWad`` whose ``· BPS`` in the liquidation's
dust test (``_liquidationAmounts``, SPEC §3.6) fits uint256 (≈ 1.16e73 WAD, $1.16e55); ``setMinLeftover`` refuses
more (InvalidMinLeftover)."""


@dataclass(frozen=True)
class PoolParams:
    """Pool-wide liquidation parameters (``LendingPool.closeFactorBps``, ``fullCloseHfWad``, ``minLeftoverUsdWad``)."""

    close_factor_bps: int = 5_000
    full_close_hf_wad: int = 95 * WAD // 100
    min_leftover_usd_wad: int = 100 * WAD
    """``LendingPool.minLeftoverUsdWad``: no liquidation leaves a debt or collateral position worth less (USD WAD)."""

    def validate(self) -> PoolParams:
        """The checks of ``LendingPool.setCloseFactor`` then ``setMinLeftover`` (the order they are sent in): raises
        InvalidCloseFactor when the close factor is 0 or above 10,000 bps or ``full_close_hf_wad`` exceeds WAD, then
        InvalidMinLeftover when ``min_leftover_usd_wad`` exceeds ``MAX_MIN_LEFTOVER_USD_WAD``; returns ``self``."""
        if self.close_factor_bps == 0 or self.close_factor_bps > BPS or self.full_close_hf_wad > WAD:
            raise errors.InvalidCloseFactor(self.close_factor_bps, self.full_close_hf_wad)
        if self.min_leftover_usd_wad > MAX_MIN_LEFTOVER_USD_WAD:
            raise errors.InvalidMinLeftover(self.min_leftover_usd_wad)
        return self
