"""The interest rate model Morpho Blue 1.0.0 ships, twin of ``src/mocks/IrmMock.sol``: the borrow rate per
second is the utilization (WAD) divided by 365 days, i.e. x% utilization is x% APR (simple). Any object with
``borrow_rate(params, market) -> int`` (WAD per second) plugs in as an IRM (``Morpho.irms``)."""

from __future__ import annotations

from typing import Protocol

from protocol_model.exact.presets.morpho_blue.market_params_lib import Market, MarketParams
from protocol_model.exact.presets.morpho_blue.math_lib import w_div_down

SECONDS_PER_YEAR = 365 * 24 * 3600


class Irm(Protocol):
    """``IIrm``: the borrow rate per second (WAD) of a market in its current state."""

    def borrow_rate(self, params: MarketParams, market: Market) -> int:
        """``IIrm.borrowRate``: rate per second, WAD."""
        ...


class IrmMock:
    """``IrmMock``: ``utilization / 365 days`` with ``utilization = totalBorrowAssets.wDivDown(totalSupplyAssets)``
    (0 when nothing is supplied). Stateless."""

    journal_links: tuple[str, ...] = ()

    def borrow_rate(self, params: MarketParams, market: Market) -> int:
        """``IrmMock.borrowRate`` (= ``borrowRateView``)."""
        if market.total_supply_assets == 0:
            return 0
        utilization = w_div_down(market.total_borrow_assets, market.total_supply_assets)
        return utilization // SECONDS_PER_YEAR
