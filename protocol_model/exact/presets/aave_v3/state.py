"""Storage of the Aave V3 twin: ``ReserveData`` (DataTypes.ReserveData plus the reserve's configuration
bitmap, unpacked), the scaled-balance tokens (aToken, variable debt token) and users' configuration bitmaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol_model.exact.presets.aave_v3.errors import ARITHMETIC_OVERFLOW, AaveError, require, to_uint128
from protocol_model.exact.presets.aave_v3.params import RateStrategyParams, ReserveParams
from protocol_model.exact.presets.aave_v3.wad_ray_math import RAY


@dataclass
class ScaledBalanceToken:
    """``ScaledBalanceTokenBase`` storage: scaled balances and their total (the aToken's or the variable
    debt token's). ``address`` is the token's account name in the ledger (the aToken holds the underlying)."""

    address: str
    balances: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def scaled_balance_of(self, user: str) -> int:
        """``scaledBalanceOf(user)``."""
        return self.balances.get(user, 0)

    def mint_scaled(self, user: str, amount_scaled: int) -> bool:
        """``_mint(user, amountScaled.toUint128())`` of scaled units; True when ``user`` held none before
        (``_mintScaled``'s return). Raises the SafeCast string above 2**128 − 1 units, ``Panic(0x11)`` when the
        uint128 balance would pass it."""
        amount_scaled = to_uint128(amount_scaled)
        before = self.scaled_balance_of(user)
        require(before + amount_scaled < 2**128, ARITHMETIC_OVERFLOW)
        self.balances[user] = before + amount_scaled
        self.total += amount_scaled
        return before == 0

    def burn_scaled(self, user: str, amount_scaled: int) -> None:
        """``_burn(user, amountScaled.toUint128())`` of scaled units. Raises the SafeCast string above 2**128 − 1
        units, ``Panic(0x11)`` when ``user`` holds fewer."""
        amount_scaled = to_uint128(amount_scaled)
        before = self.scaled_balance_of(user)
        if before < amount_scaled:
            raise AaveError(ARITHMETIC_OVERFLOW)
        self.balances[user] = before - amount_scaled
        self.total -= amount_scaled

    def transfer_scaled(self, src: str, dst: str, amount_scaled: int) -> None:
        """``IncentivizedERC20._transfer`` of scaled units. Raises ``Panic(0x11)`` when ``src`` holds fewer."""
        self.burn_scaled(src, amount_scaled)
        self.mint_scaled(dst, amount_scaled)


@dataclass
class ReserveData:
    """One reserve: configuration (bps, whole-token caps, flags), indexes and rates (RAY), the last update
    time, the treasury's accrued scaled aTokens, the isolation-mode total debt (2 decimals) and its tokens."""

    asset: str
    id: int
    decimals: int
    ltv: int
    liquidation_threshold: int
    liquidation_bonus: int
    reserve_factor: int
    liquidation_protocol_fee: int
    supply_cap: int
    borrow_cap: int
    debt_ceiling: int
    borrowable_in_isolation: bool
    borrowing_enabled: bool
    emode_category: int
    strategy: RateStrategyParams
    a_token: ScaledBalanceToken
    variable_debt_token: ScaledBalanceToken
    active: bool = True
    frozen: bool = False
    paused: bool = False
    siloed_borrowing: bool = False
    liquidity_index: int = RAY
    current_liquidity_rate: int = 0
    variable_borrow_index: int = RAY
    current_variable_borrow_rate: int = 0
    current_stable_borrow_rate: int = 0
    last_update_timestamp: int = 0
    accrued_to_treasury: int = 0
    unbacked: int = 0
    isolation_mode_total_debt: int = 0
    other_configuration: int = 0
    """The configuration bits the twin does not read (flash loans 63, unbacked mint cap 176-211, unused
    252-255), kept as found so ``configuration_data`` echoes ``getConfiguration``."""

    def configuration_data(self) -> int:
        """``getConfiguration(asset).data``: the ``ReserveConfiguration`` bitmap (1.19.3 layout: LTV 0-15,
        threshold 16-31, bonus 32-47, decimals 48-55, active 56, frozen 57, borrowing 58, stable 59 (never set
        here), paused 60, borrowable in isolation 61, siloed 62, reserve factor 64-79, borrow cap 80-115,
        supply cap 116-151, protocol fee 152-167, eMode 168-175, debt ceiling 212-251), plus
        ``other_configuration``."""
        fields = ((self.ltv, 0), (self.liquidation_threshold, 16), (self.liquidation_bonus, 32), (self.decimals, 48),
                  (self.active, 56), (self.frozen, 57), (self.borrowing_enabled, 58), (self.paused, 60),
                  (self.borrowable_in_isolation, 61), (self.siloed_borrowing, 62), (self.reserve_factor, 64),
                  (self.borrow_cap, 80), (self.supply_cap, 116), (self.liquidation_protocol_fee, 152),
                  (self.emode_category, 168), (self.debt_ceiling, 212))
        word = self.other_configuration
        for value, shift in fields:
            word |= int(value) << shift
        return word

    @classmethod
    def listed(cls, asset: str, reserve_id: int, p: ReserveParams) -> ReserveData:
        """A reserve as ``initReserves`` plus the configurator calls of the deployment leave it (its
        ``lastUpdateTimestamp`` is 0 until the first action, as on chain)."""
        return cls(asset=asset, id=reserve_id, decimals=p.decimals, ltv=p.ltv,
                   liquidation_threshold=p.liquidation_threshold, liquidation_bonus=p.liquidation_bonus,
                   reserve_factor=p.reserve_factor, liquidation_protocol_fee=p.liquidation_protocol_fee,
                   supply_cap=p.supply_cap, borrow_cap=p.borrow_cap, debt_ceiling=p.debt_ceiling,
                   borrowable_in_isolation=p.borrowable_in_isolation, borrowing_enabled=p.borrowing_enabled,
                   emode_category=p.emode_category, strategy=p.rates,
                   a_token=ScaledBalanceToken(f"a{asset}"), variable_debt_token=ScaledBalanceToken(f"vd{asset}"))


@dataclass
class UserConfiguration:
    """``UserConfigurationMap``: per reserve id, whether the user borrows it and uses it as collateral."""

    borrowing: set[int] = field(default_factory=set)
    collateral: set[int] = field(default_factory=set)

    def is_empty(self) -> bool:
        """``isEmpty``: neither borrowing nor using any collateral."""
        return not self.borrowing and not self.collateral

    def set_borrowing(self, reserve_id: int, on: bool) -> None:
        """``setBorrowing``."""
        (self.borrowing.add if on else self.borrowing.discard)(reserve_id)

    def set_using_as_collateral(self, reserve_id: int, on: bool) -> None:
        """``setUsingAsCollateral``."""
        (self.collateral.add if on else self.collateral.discard)(reserve_id)


@dataclass(frozen=True)
class EModeCategory:
    """``DataTypes.EModeCategory``: LTV, threshold, bonus (bps) and the price source asset (or None)."""

    ltv: int
    liquidation_threshold: int
    liquidation_bonus: int
    price_source: str | None
