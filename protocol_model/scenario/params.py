"""The one set of parameter types every file kind shares (protocol files, stories, simulations, perp stories).

Each type is written in designer units (``units.Bps``: ``"82.5%"`` or basis points; decimal USD; whole
tokens) and converts itself once into the exact engine's frozen parameters in engine units:

===================  ==========================================  ==========================================
file type            engine type                                 conversion
===================  ==========================================  ==========================================
``RateSpec``         ``lending.params.RateParams``               annual bps -> per-second RAY (rounded down)
``AssetParams``      ``lending.params.AssetConfig``              caps: whole tokens -> token units
``OracleSpec``       ``oracle.oracle_policy.OraclePolicy``       decimal USD -> WAD (scenario/oracle.py)
``PoolSpec``         ``lending.params.PoolParams``               full-close HF bps -> WAD
``MarketSpec``       ``perp.params.MarketParams``                (bps both sides)
===================  ==========================================  ==========================================

Validation runs the engine's own checks (``AssetConfig.validate`` mirrors ``LendingPool._validate``), so a
file the contracts would reject is rejected here, with a message in the file's terms. To add a parameter:
add a field here (with alias, bounds and docstring) and to the engine type; the protocol file, overrides,
JSON Schema and docs/formats.md follow.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, StrictInt, model_validator

from protocol_model.exact import errors
from protocol_model.exact.lending.params import MAX_BORROW_RATE_BPS, AssetConfig, PoolParams, RateParams
from protocol_model.exact.lending.pool_state import MAX_DECIMALS
from protocol_model.exact.math_lib import BPS, WAD
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.exact.perp.params import MarketParams
from protocol_model.scenario.base import Strict, to_units
from protocol_model.scenario.oracle import OracleSpec
from protocol_model.scenario.units import Bps, FeedPrice, format_bps

ASSET_NAME = r"^[A-Za-z][A-Za-z0-9_.]{0,15}$"


class RateSpec(Strict):
    """Kinked borrow-rate curve (``KinkedRateModel``): annual simple rates, converted once to per-second RAY. Its rate
    at 100% utilization, base + slope1 + slope2, is at most 1,000% a year (``MAX_BORROW_RATE_BPS``)."""

    base_bps: Bps = Field(0, alias="base", ge=0, le=MAX_BORROW_RATE_BPS)
    """Borrow rate at zero utilization (per year)."""
    slope1_bps: Bps = Field(400, alias="slope1", ge=0, le=MAX_BORROW_RATE_BPS)
    """Rate added from zero to the optimal utilization (per year)."""
    slope2_bps: Bps = Field(30_000, alias="slope2", ge=0, le=MAX_BORROW_RATE_BPS)
    """Rate added from the optimal utilization to 100% (per year)."""
    optimal_bps: Bps = Field(8_000, alias="optimal_utilization", gt=0, lt=BPS)
    """The kink: utilization where the second slope starts."""

    @model_validator(mode="after")
    def _rate_is_bounded(self) -> RateSpec:
        try:  # whole basis points: within 1,000% a year exactly when the per-second sum is within the bound
            self.params()
        except errors.BorrowRateTooHigh:
            total = format_bps(self.base_bps + self.slope1_bps + self.slope2_bps)
            top = format_bps(MAX_BORROW_RATE_BPS)
            raise ValueError(f"base + slope1 + slope2 ({total}), the rate at 100% utilization, must be at most {top} "
                             "a year (KinkedRateModel.MAX_BORROW_RATE_PER_SECOND_RAY)") from None
        return self

    def params(self) -> RateParams:
        """Per-second RAY rates, rounded down as deployed (``RateParams.from_annual_bps``); raises its errors."""
        return RateParams.from_annual_bps(self.base_bps, self.slope1_bps, self.slope2_bps, self.optimal_bps)


class AssetParams(Strict):
    """One listed asset of a lending pool (``LendingPool.AssetConfig`` + its token, feed and rate curve)."""

    decimals: StrictInt = Field(ge=0, le=MAX_DECIMALS)
    """Token decimals, at most 24 (``LendingPool.MAX_DECIMALS``: reserves and totals are uint128 base units)."""
    price_usd: FeedPrice = Field(gt=0)
    """Starting price of the feed (USD per whole token, 8-decimal answer)."""
    ltv_bps: Bps = Field(alias="ltv", ge=0, lt=BPS)
    """Loan-to-value: borrowing power per unit of collateral value."""
    liquidation_threshold_bps: Bps = Field(alias="liquidation_threshold", ge=0, lt=BPS)
    """Collateral value share counted in the health factor."""
    liquidation_bonus_bps: Bps = Field(alias="liquidation_bonus", ge=0, le=5_000)
    """Extra collateral a liquidator seizes over the debt it repays (LIF − 1)."""
    liquidation_protocol_fee_bps: Bps = Field(0, alias="liquidation_protocol_fee", ge=0, le=BPS)
    """Share of the liquidation bonus that goes to the reserves."""
    reserve_factor_bps: Bps = Field(1_000, alias="reserve_factor", ge=0, le=BPS)
    """Share of borrow interest that goes to the reserves."""
    collateral_enabled: bool = True
    """May count as collateral."""
    borrow_enabled: bool = True
    """May be borrowed."""
    supply_cap: Decimal = Field(Decimal(0), ge=0)
    """Whole tokens; 0 means no cap."""
    borrow_cap: Decimal = Field(Decimal(0), ge=0)
    """Whole tokens; 0 means no cap."""
    rate: RateSpec = RateSpec()
    """Borrow-rate curve."""
    oracle: OracleSpec | None = None
    """Feed set-up and oracle policy (none: one feed, only answers <= 0 rejected)."""

    @model_validator(mode="after")
    def _risk_config_is_valid(self) -> AssetParams:
        try:
            self.config()
        except errors.LtvAboveThreshold:
            raise ValueError(f"ltv ({format_bps(self.ltv_bps)}) is above liquidation_threshold "
                             f"({format_bps(self.liquidation_threshold_bps)})") from None
        except errors.LiquidationBonusTooHigh:
            raise ValueError("liquidation_threshold × (1 + liquidation_bonus) must stay below 100%: "
                             "a liquidation could never restore health") from None
        return self

    def units(self, amount: Decimal | str | int, what: str = "amount") -> int:
        """Whole tokens -> token units (ValueError if finer than one unit)."""
        return to_units(amount, self.decimals, what)

    def config(self) -> AssetConfig:
        """The engine's configuration, validated like ``LendingPool._validate`` (raises its errors)."""
        return AssetConfig(
            self.ltv_bps, self.liquidation_threshold_bps, self.liquidation_bonus_bps,
            self.liquidation_protocol_fee_bps, self.reserve_factor_bps, self.collateral_enabled,
            self.borrow_enabled, self.units(self.supply_cap, "supply_cap"), self.units(self.borrow_cap, "borrow_cap"),
        ).validate()

    def answer(self) -> int:
        """The starting price as an 8-decimal feed answer."""
        return usd_to_answer(str(self.price_usd))


class AssetSpec(AssetParams):
    """An asset with its name: the form stories and the engines use (a protocol file keys assets by name)."""

    name: str = Field(pattern=ASSET_NAME)

    def units(self, amount: Decimal | str | int, what: str = "") -> int:
        """Whole tokens -> token units; an error names the asset."""
        return to_units(amount, self.decimals, what or self.name)


class PoolSpec(Strict):
    """Pool-wide parameters (``LendingPool.closeFactorBps``, ``fullCloseHfWad``, ``flashLoanFeeBps``)."""

    close_factor_bps: Bps = Field(5_000, alias="close_factor", gt=0, le=BPS)
    """Share of a debt one liquidation may repay while the health factor is at or above the full-close line."""
    full_close_hf_bps: Bps = Field(9_500, alias="full_close_hf", ge=0, le=BPS)
    """Health factor (as a share of 1) below which a liquidation may repay the whole debt."""
    flash_loan_fee_bps: Bps = Field(0, alias="flash_loan_fee", ge=0, le=1_000)
    """Fee of a pool flash loan (share of the amount, to reserves); at most MAX_FLASH_LOAN_FEE_BPS."""
    min_leftover_usd: Decimal = Field(Decimal(100), ge=0, le=Decimal(10) ** 30)
    """USD a liquidation may not leave in a debt or collateral position (``LendingPool.minLeftoverUsdWad``):
    a smaller position is closed whole (docs/SPEC.md §3.6)."""

    def params(self) -> PoolParams:
        """Engine units: the full-close line and the minimum leftover in WAD."""
        return PoolParams(self.close_factor_bps, self.full_close_hf_bps * WAD // BPS,
                          int(self.min_leftover_usd * WAD)).validate()


class CollateralSpec(Strict):
    """The perp engine's settlement token."""

    name: str = Field("USDC", pattern=ASSET_NAME)
    decimals: StrictInt = Field(6, ge=0, le=18)


class IndexSpec(Strict):
    """A price index a perp market is marked by (one feed)."""

    price_usd: FeedPrice = Field(gt=0)
    """Starting price (USD)."""


class MarketSpec(Strict):
    """One perp market (``PerpEngine.MarketParams``)."""

    index: str
    """Name of the index (``perp.indexes``) that marks this market."""
    initial_margin_bps: Bps = Field(alias="initial_margin", gt=0, le=BPS)
    """Equity needed, as a share of notional, after a trade that grows a position (10% = 10× leverage)."""
    maintenance_margin_bps: Bps = Field(alias="maintenance_margin", gt=0, lt=BPS)
    """Equity below this share of notional makes the position liquidatable."""
    trade_fee_bps: Bps = Field(5, alias="trade_fee", ge=0, le=BPS)
    """Charged to each side of a trade on its notional, paid into the insurance fund."""
    liquidation_penalty_bps: Bps = Field(100, alias="liquidation_penalty", ge=0, le=BPS)
    """Charged on the notional taken over in a liquidation."""
    liquidator_share_bps: Bps = Field(5_000, alias="liquidator_share", ge=0, le=BPS)
    """The liquidator's share of the penalty; the rest goes to the insurance fund."""
    close_factor_bps: Bps = Field(5_000, alias="close_factor", gt=0, le=BPS)
    """Share of the position a partial liquidation takes over."""
    full_liquidation_bps: Bps = Field(5_000, alias="full_liquidation", ge=0, le=BPS)
    """Equity below maintenance × this: the whole position is taken over."""
    max_funding_rate_bps: Bps = Field(75, alias="max_funding_rate", ge=0, le=BPS)
    """Cap on |premium| per funding period."""
    price_band_bps: Bps = Field(200, alias="price_band", ge=0, le=BPS)
    """A trade price must lie within index × (1 ± band)."""
    funding_period_seconds: int = Field(8 * 3600, gt=0, lt=2**32)
    """Length of one funding period."""
    mark_max_age_seconds: int = Field(8 * 3600, gt=0, lt=2**32)
    """After this long without a trade the mark is stale and funding stops (premium counts as zero)."""

    @model_validator(mode="after")
    def _margins(self) -> MarketSpec:
        if self.maintenance_margin_bps >= self.initial_margin_bps:
            raise ValueError(f"maintenance_margin ({format_bps(self.maintenance_margin_bps)}) must be below "
                             f"initial_margin ({format_bps(self.initial_margin_bps)})")
        return self

    def params(self) -> MarketParams:
        """The engine's parameters, validated in the contract's order (raises its errors)."""
        return MarketParams(**self.model_dump(exclude={"index", "name"})).validate()


class PerpSpec(Strict):
    """A perp engine: its settlement token, price indexes and markets (keyed by name, in listing order)."""

    collateral: CollateralSpec = CollateralSpec()
    indexes: dict[str, IndexSpec] = Field(min_length=1)
    markets: dict[str, MarketSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _indexes_exist(self) -> PerpSpec:
        for name, m in self.markets.items():
            if m.index not in self.indexes:
                raise ValueError(f"markets.{name}.index: unknown index '{m.index}' (known: {sorted(self.indexes)})")
        return self
