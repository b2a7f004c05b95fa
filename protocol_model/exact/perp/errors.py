"""Exceptions named like contracts/perp/PerpErrorsLib.sol's errors (shared ones re-exported from errors.py)."""

from __future__ import annotations

from protocol_model.exact.errors import (  # noqa: F401  (re-exported: the engine raises them too)
    AccessControlUnauthorizedAccount,
    ERC20InsufficientAllowance,
    ERC20InsufficientBalance,
    FeedNotSet,
    InvalidDecimals,
    InvalidPrice,
    PoolError,
    SafeCastOverflowedUintToInt,
    ZeroAddress,
    ZeroAmount,
    _make,
)

MarketNotListed = _make("MarketNotListed", "No market with this id.")
MarginRatiosInvalid = _make("MarginRatiosInvalid", "Need 0 < maintenance < initial <= 100%.")
BpsOutOfRange = _make("BpsOutOfRange", "A basis-point parameter is above 100% (or a zero close factor).")
ZeroFundingPeriod = _make("ZeroFundingPeriod", "The funding period is zero seconds.")
ZeroMarkMaxAge = _make("ZeroMarkMaxAge", "The mark's maximum age is zero seconds.")
SelfTrade = _make("SelfTrade", "Buyer and seller (or liquidator and account) are the same.")
PriceOutsideBand = _make("PriceOutsideBand", "The trade price is outside the band around the index.")
InsufficientMargin = _make("InsufficientMargin", "Equity below the required margin after the call.")
InsufficientBalance = _make("InsufficientBalance", "The balance a transfer takes from is too low.")
NoPosition = _make("NoPosition", "The account has no position in this market.")
PositionOpen = _make("PositionOpen", "The margin mode changes only while the position is flat.")
NotLiquidatable = _make("NotLiquidatable", "Equity is at or above maintenance margin.")

NAMES = {e.__name__ for e in (MarketNotListed, MarginRatiosInvalid, BpsOutOfRange, ZeroFundingPeriod, ZeroMarkMaxAge,
                              SelfTrade, PriceOutsideBand, InsufficientMargin, InsufficientBalance, NoPosition,
                              PositionOpen, NotLiquidatable, ZeroAmount, ZeroAddress, FeedNotSet, InvalidPrice,
                              ERC20InsufficientBalance, ERC20InsufficientAllowance, SafeCastOverflowedUintToInt)}
"""Every error name a perp story may expect."""
