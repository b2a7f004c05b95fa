"""``PoolStorage`` of the Aave V3 twin: reserves by asset and their listing order, users' configurations and
eMode categories, the AaveOracle price table, the token ledger and the block time of the call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.aave_v3.errors import EMPTY_REVERT, AaveError
from protocol_model.exact.presets.aave_v3.state import EModeCategory, ReserveData, UserConfiguration

DEBT_CEILING_DECIMALS = 2


@dataclass
class PoolStorage:
    """The state every logic library reads and writes. ``prices`` is what each asset's aggregator answers
    (AaveOracle, base currency USD with 8 decimals); ``now`` is the block time of the call in progress."""

    ledger: Ledger
    treasury: str
    pool_address: str = "pool"
    reserves: dict[str, ReserveData] = field(default_factory=dict)
    reserves_list: list[str] = field(default_factory=list)
    users_config: dict[str, UserConfiguration] = field(default_factory=dict)
    users_emode: dict[str, int] = field(default_factory=dict)
    emode_categories: dict[int, EModeCategory] = field(default_factory=dict)
    prices: dict[str, int] = field(default_factory=dict)
    now: int = 0

    journal_links: ClassVar[tuple[str, ...]] = ("ledger",)

    def user_config(self, user: str) -> UserConfiguration:
        """``_usersConfig[user]`` (created empty on first use, as a storage mapping reads)."""
        return self.users_config.setdefault(user, UserConfiguration())

    def get_asset_price(self, asset: str) -> int:
        """``AaveOracle.getAssetPrice``: the aggregator's answer when positive; otherwise the (unset)
        fallback oracle is called, which reverts with no data."""
        price = self.prices[asset]
        if price <= 0:
            raise AaveError(EMPTY_REVERT)
        return price

    def get_isolation_mode_state(self, config: UserConfiguration) -> tuple[bool, str | None, int]:
        """``UserConfiguration.getIsolationModeState``: isolated when the only collateral has a debt ceiling."""
        if len(config.collateral) == 1:
            asset = self.reserves_list[next(iter(config.collateral))]
            ceiling = self.reserves[asset].debt_ceiling
            if ceiling != 0:
                return True, asset, ceiling
        return False, None, 0

    def get_siloed_borrowing_state(self, config: UserConfiguration) -> tuple[bool, str | None]:
        """``UserConfiguration.getSiloedBorrowingState``: the one borrowed asset when it is siloed."""
        if len(config.borrowing) == 1:
            asset = self.reserves_list[next(iter(config.borrowing))]
            if self.reserves[asset].siloed_borrowing:
                return True, asset
        return False, None

    def isolated_debt_units(self, reserve: ReserveData, amount: int) -> int:
        """An amount of ``reserve`` in isolation-debt units (2 decimals): amount / 10^(decimals − 2), down."""
        return amount // 10 ** (reserve.decimals - DEBT_CEILING_DECIMALS)
