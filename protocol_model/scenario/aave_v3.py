"""The ``aave_v3:`` section of a protocol file with ``rules: aave-v3`` (stories on it: ``aave_v3_story.py``).

Units are the designer's: shares as percents or bps, the liquidation bonus as the bonus (``5%`` is Aave's
LIF 10500), prices in decimal USD (the aggregator's 8 decimals), caps in whole tokens, the isolation debt
ceiling in USD with 2 decimals, rate-strategy parameters as annual percents (converted exactly to RAY).
Validation is the PoolConfigurator's (same rules, in the designer's terms)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, StrictInt, model_validator

from protocol_model.exact.presets.aave_v3.params import (
    MAX_DECIMALS,
    MIN_DECIMALS,
    RAY,
    EModeParams,
    MarketParams,
    RateStrategyParams,
    ReserveParams,
)
from protocol_model.scenario.base import Strict, to_units
from protocol_model.scenario.units import Bps, FeedPrice, format_bps

BPS = 10_000
MAX_CAP = 2**36 - 1
"""``ReserveConfiguration.MAX_VALID_SUPPLY_CAP`` / ``MAX_VALID_BORROW_CAP`` (whole tokens)."""
MAX_DEBT_CEILING = 2**40 - 1
"""``MAX_VALID_DEBT_CEILING`` (USD cents)."""


def _ray(bps: int) -> int:
    return bps * RAY // BPS


class AaveRateSpec(Strict):
    """``DefaultReserveInterestRateStrategy``: variable rate base + slope1·U/U* below the optimal usage U*,
    base + slope1 + slope2·(U − U*)/(1 − U*) above (annual)."""

    optimal_usage_bps: Bps = Field(8_000, alias="optimal_usage", gt=0, le=BPS)
    """Optimal usage ratio U* (Errors 83 above 100%)."""
    base_bps: Bps = Field(0, alias="base", ge=0)
    """Variable borrow rate at zero usage."""
    slope1_bps: Bps = Field(400, alias="slope1", ge=0)
    """Rate added from zero to the optimal usage."""
    slope2_bps: Bps = Field(7_500, alias="slope2", ge=0)
    """Rate added from the optimal usage to 100%."""

    def params(self) -> RateStrategyParams:
        """The constructor arguments in RAY (exact: 1 bps = 1e23)."""
        return RateStrategyParams(optimal_usage_ratio=_ray(self.optimal_usage_bps),
                                  base_variable_borrow_rate=_ray(self.base_bps),
                                  variable_rate_slope1=_ray(self.slope1_bps),
                                  variable_rate_slope2=_ray(self.slope2_bps))


class AaveReserveSpec(Strict):
    """One reserve of an Aave V3 market (its token, aggregator and ReserveConfiguration)."""

    decimals: StrictInt = Field(ge=MIN_DECIMALS, le=MAX_DECIMALS)
    """Token decimals (at least 2: the isolation debt is counted in USD cents)."""
    price_usd: FeedPrice = Field(gt=0)
    """The aggregator's answer in USD (8 decimals)."""
    ltv_bps: Bps = Field(alias="ltv", ge=0, le=BPS)
    liquidation_threshold_bps: Bps = Field(alias="liquidation_threshold", ge=0, le=BPS)
    liquidation_bonus_bps: Bps = Field(alias="liquidation_bonus", ge=0, le=BPS)
    """The bonus a liquidator gets (``5%`` = Aave's LIF 105%); 0 when the threshold is 0."""
    reserve_factor_bps: Bps = Field(1_000, alias="reserve_factor", ge=0, le=BPS)
    liquidation_protocol_fee_bps: Bps = Field(1_000, alias="liquidation_protocol_fee", ge=0, le=BPS)
    """Share of the liquidation bonus sent to the treasury."""
    supply_cap: int = Field(0, ge=0, le=MAX_CAP)
    """Whole tokens; 0 = no cap."""
    borrow_cap: int = Field(0, ge=0, le=MAX_CAP)
    """Whole tokens; 0 = no cap."""
    debt_ceiling_usd: Decimal = Field(Decimal(0), ge=0)
    """Isolation mode: the most USD all users isolated on this collateral may owe (2 decimals); 0 = none."""
    borrowable_in_isolation: bool = False
    borrowing: bool = True
    emode_category: int = Field(0, ge=0, le=255)
    rate: AaveRateSpec = AaveRateSpec()

    @model_validator(mode="after")
    def _configurator_rules(self) -> AaveReserveSpec:
        lt, bonus = self.liquidation_threshold_bps, BPS + self.liquidation_bonus_bps
        if self.ltv_bps > lt:
            raise ValueError(f"ltv {format_bps(self.ltv_bps)} is above the liquidation threshold {format_bps(lt)} "
                             f"(PoolConfigurator: INVALID_RESERVE_PARAMS)")
        if lt == 0 and self.liquidation_bonus_bps:
            raise ValueError("a reserve with a zero liquidation threshold has no liquidation bonus")
        if lt != 0 and (self.liquidation_bonus_bps == 0 or (lt * bonus + BPS // 2) // BPS > BPS):
            raise ValueError(f"liquidation_threshold × (1 + bonus) = {format_bps(lt)} × "
                             f"{format_bps(bonus)} must be at most 100% and the bonus above 0 "
                             f"(PoolConfigurator: INVALID_RESERVE_PARAMS)")
        cents = self.debt_ceiling_usd * 100
        if cents != cents.to_integral_value() or cents > MAX_DEBT_CEILING:
            raise ValueError(f"debt_ceiling_usd {self.debt_ceiling_usd} must have at most 2 decimals and be at "
                             f"most {MAX_DEBT_CEILING / 100} USD")
        return self

    def params(self, symbol: str) -> ReserveParams:
        """Engine units (bps, LIF, 8-decimal price, RAY rates)."""
        return ReserveParams(symbol=symbol, decimals=self.decimals, price=to_units(self.price_usd, 8, "price_usd"),
                             ltv=self.ltv_bps, liquidation_threshold=self.liquidation_threshold_bps,
                             liquidation_bonus=BPS + self.liquidation_bonus_bps if self.liquidation_threshold_bps
                             else 0, reserve_factor=self.reserve_factor_bps,
                             liquidation_protocol_fee=self.liquidation_protocol_fee_bps, supply_cap=self.supply_cap,
                             borrow_cap=self.borrow_cap, debt_ceiling=int(self.debt_ceiling_usd * 100),
                             borrowable_in_isolation=self.borrowable_in_isolation, borrowing_enabled=self.borrowing,
                             emode_category=self.emode_category, rates=self.rate.params())


class AaveEModeSpec(Strict):
    """An eMode category: its LTV, threshold and bonus replace the reserves' for users in it."""

    id: int = Field(ge=1, le=255)
    label: str = ""
    ltv_bps: Bps = Field(alias="ltv", gt=0, le=BPS)
    liquidation_threshold_bps: Bps = Field(alias="liquidation_threshold", gt=0, le=BPS)
    liquidation_bonus_bps: Bps = Field(alias="liquidation_bonus", gt=0, le=BPS)
    price_source: str | None = None
    """A reserve whose price every asset of the category takes (None: each its own)."""

    @model_validator(mode="after")
    def _configurator_rules(self) -> AaveEModeSpec:
        lt, lif = self.liquidation_threshold_bps, BPS + self.liquidation_bonus_bps
        if self.ltv_bps > lt or (lt * lif + BPS // 2) // BPS > BPS:
            raise ValueError("eMode ltv must be at most the threshold and threshold × (1 + bonus) at most 100% "
                             "(PoolConfigurator: INVALID_EMODE_CATEGORY_PARAMS)")
        return self


class AaveV3Market(Strict):
    """``aave_v3:`` of a protocol file: reserves by symbol in listing order (their ids) and eMode categories."""

    reserves: dict[str, AaveReserveSpec] = Field(min_length=1)
    emodes: list[AaveEModeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _categories(self) -> AaveV3Market:
        by_id = {e.id: e for e in self.emodes}
        if len(by_id) != len(self.emodes):
            raise ValueError("emodes: two categories share an id")
        for e in self.emodes:
            if e.price_source is not None and e.price_source not in self.reserves:
                raise ValueError(f"emodes: category {e.id}: price_source '{e.price_source}' is not a reserve")
        for name, r in self.reserves.items():
            if r.emode_category == 0:
                continue
            found = by_id.get(r.emode_category)
            if found is None:
                raise ValueError(f"reserves.{name}.emode_category: no eMode category {r.emode_category} "
                                 f"(known: {sorted(by_id)})")
            e = found
            if e.liquidation_threshold_bps <= r.liquidation_threshold_bps or e.ltv_bps <= r.ltv_bps:
                raise ValueError(f"reserves.{name}: eMode category {e.id} must have a higher ltv and threshold "
                                 f"than the reserve (PoolConfigurator: INVALID_EMODE_CATEGORY_ASSIGNMENT)")
        return self

    def params(self) -> MarketParams:
        """The market in engine units."""
        return MarketParams(tuple(r.params(s) for s, r in self.reserves.items()),
                            tuple(EModeParams(e.id, e.ltv_bps, e.liquidation_threshold_bps,
                                              BPS + e.liquidation_bonus_bps, e.label, e.price_source)
                                  for e in self.emodes))
