"""Configuration of an Aave V3 market in engine units (bps, RAY, whole tokens for caps), as the deployment
passes it to ``PoolConfigurator`` and the twin reads it back from ``ReserveConfiguration``."""

from __future__ import annotations

from dataclasses import dataclass, field

RAY = 10**27
MIN_DECIMALS = 2
"""The fewest token decimals a reserve may have here: the isolation-mode debt is counted in USD cents, and
``10 ** (decimals - DEBT_CEILING_DECIMALS)`` underflows on chain below 2 (``Panic(0x11)`` on an isolated borrow)."""
MAX_DECIMALS = 30
"""The most token decimals a reserve may have here (the protocol file's bound)."""


@dataclass(frozen=True)
class RateStrategyParams:
    """``DefaultReserveInterestRateStrategy`` constructor arguments (annual rates and ratios in RAY).

    Stable-rate borrowing is disabled, so the stable slopes only enter the stable rate read back from the
    reserve (``currentStableBorrowRate``), never a debt."""

    optimal_usage_ratio: int = 80 * RAY // 100
    base_variable_borrow_rate: int = 0
    variable_rate_slope1: int = 4 * RAY // 100
    variable_rate_slope2: int = 75 * RAY // 100
    stable_rate_slope1: int = 0
    stable_rate_slope2: int = 0
    base_stable_rate_offset: int = 0
    stable_rate_excess_offset: int = 0
    optimal_stable_to_total_debt_ratio: int = 20 * RAY // 100


@dataclass(frozen=True)
class ReserveParams:
    """One reserve: its token, price (base currency, 8 decimals), risk parameters (bps; the bonus is the
    LIF, e.g. 10500 = 5 % bonus), caps (whole tokens, 0 = none), isolation and eMode settings."""

    symbol: str
    decimals: int
    price: int
    ltv: int
    liquidation_threshold: int
    liquidation_bonus: int
    reserve_factor: int = 1000
    liquidation_protocol_fee: int = 1000
    supply_cap: int = 0
    borrow_cap: int = 0
    debt_ceiling: int = 0
    """Isolation-mode debt ceiling in USD with 2 decimals (``DEBT_CEILING_DECIMALS``); 0 = not isolated."""
    borrowable_in_isolation: bool = False
    borrowing_enabled: bool = True
    emode_category: int = 0
    rates: RateStrategyParams = field(default_factory=RateStrategyParams)

    def __post_init__(self) -> None:
        if not MIN_DECIMALS <= self.decimals <= MAX_DECIMALS:
            raise ValueError(f"reserve {self.symbol}: decimals {self.decimals} must be from {MIN_DECIMALS} to "
                             f"{MAX_DECIMALS} (the isolation-mode debt is counted in USD cents)")


@dataclass(frozen=True)
class EModeParams:
    """An eMode category (``PoolConfigurator.setEModeCategory``): id, LTV / threshold / bonus in bps, and an
    optional price source (the symbol of a reserve whose feed prices every asset of the category)."""

    category_id: int
    ltv: int
    liquidation_threshold: int
    liquidation_bonus: int
    label: str = ""
    price_source: str | None = None


@dataclass(frozen=True)
class MarketParams:
    """A whole market: reserves in listing order (their reserve ids) and eMode categories."""

    reserves: tuple[ReserveParams, ...]
    emodes: tuple[EModeParams, ...] = ()

    def reserve(self, symbol: str) -> ReserveParams:
        """The reserve named ``symbol``. Raises ``KeyError`` for an unknown symbol."""
        for r in self.reserves:
            if r.symbol == symbol:
                return r
        raise KeyError(f"no reserve {symbol!r}")
