// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PerpErrorsLib
/// @notice Custom errors of the perpetual margin engine. The exact model raises exceptions of the same
/// names (protocol_model/exact/perp/errors.py). Shared errors (ZeroAmount, ZeroAddress, FeedNotSet, InvalidPrice)
/// come from ErrorsLib.
library PerpErrorsLib {
    error MarketNotListed(uint256 marketId);
    error MarginRatiosInvalid(uint256 initialMarginBps, uint256 maintenanceMarginBps);
    error BpsOutOfRange(uint256 valueBps);
    error ZeroFundingPeriod();
    error ZeroMarkMaxAge();
    error SelfTrade();
    error PriceOutsideBand(uint256 priceWad, uint256 indexPriceWad);
    error InsufficientMargin(address account);
    error InsufficientBalance();
    error NoPosition();
    error PositionOpen();
    error NotLiquidatable();
}
