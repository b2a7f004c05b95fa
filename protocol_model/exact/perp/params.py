"""Market parameters (PerpEngine.MarketParams), validated in the contract's order with its errors."""

from __future__ import annotations

from dataclasses import dataclass, fields

from protocol_model.exact.math_lib import BPS
from protocol_model.exact.perp import errors


@dataclass(frozen=True)
class MarketParams:
    """Risk parameters of one market, twin of ``PerpEngine.MarketParams`` (field order is the struct's, see
    ``as_tuple``): ratios and fees in bps (uint16 on chain), ``funding_period_seconds`` and ``mark_max_age_seconds``
    in seconds (uint32). Formulas: docs/perp_margin.md."""
    initial_margin_bps: int
    """Equity needed, as a share of notional, after a trade that grows a position (1,000 = 10× leverage)."""
    maintenance_margin_bps: int
    """Equity below this share of notional makes the bucket liquidatable."""
    trade_fee_bps: int = 5
    """Charged to each side of a trade on its notional, paid into the insurance fund."""
    liquidation_penalty_bps: int = 100
    """Charged on the notional taken over in a liquidation, capped at the bucket's positive balance."""
    liquidator_share_bps: int = 5_000
    """The liquidator's share of the penalty; the rest goes to the insurance fund."""
    close_factor_bps: int = 5_000
    """Share of the position a partial liquidation takes over (rounded up)."""
    full_liquidation_bps: int = 5_000
    """Equity below maintenance × this: the whole position is taken over."""
    max_funding_rate_bps: int = 75
    """Cap on |premium| per funding period."""
    price_band_bps: int = 200
    """A trade price must lie within index × (1 ± band)."""
    funding_period_seconds: int = 8 * 3600
    mark_max_age_seconds: int = 8 * 3600
    """The mark (last trade price) drives funding for this long after the trade that set it; after that it is
    stale and the premium counts as zero until the next trade (docs/perp_margin.md, "Stale mark")."""

    def validate(self) -> MarketParams:
        """Twin of ``PerpEngine._validate``: raises ``MarginRatiosInvalid``, ``BpsOutOfRange``,
        ``ZeroFundingPeriod`` or ``ZeroMarkMaxAge`` in the contract's order; returns self."""
        im, mm = self.initial_margin_bps, self.maintenance_margin_bps
        if mm == 0 or mm >= im or im > BPS:
            raise errors.MarginRatiosInvalid(im, mm)
        for value in (self.trade_fee_bps, self.liquidation_penalty_bps, self.liquidator_share_bps,
                      self.close_factor_bps, self.full_liquidation_bps, self.max_funding_rate_bps,
                      self.price_band_bps):
            if value > BPS:
                raise errors.BpsOutOfRange(value)
        if self.close_factor_bps == 0:
            raise errors.BpsOutOfRange(0)
        if self.funding_period_seconds == 0:
            raise errors.ZeroFundingPeriod()
        if self.mark_max_age_seconds == 0:
            raise errors.ZeroMarkMaxAge()
        return self

    def as_tuple(self) -> tuple[int, ...]:
        """In the order of the Solidity struct."""
        return tuple(getattr(self, f.name) for f in fields(self))
