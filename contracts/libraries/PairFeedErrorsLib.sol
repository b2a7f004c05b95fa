// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PairFeedErrorsLib
/// @notice Errors of PairPriceFeed (a USD feed read from a Uniswap V2 pair). The exact model raises
/// exceptions of the same names (protocol_model/exact/oracle/pair_price_feed.py).
library PairFeedErrorsLib {
    /// @notice `token` is neither of the pair's tokens.
    error NotInPair(address token);
    /// @notice TWAP mode needs a window of at least one second.
    error InvalidWindow(uint256 windowSec);
    /// @notice The breaker's reference must average over at least one second (`referenceSpanSec` > 0).
    error InvalidReferenceSpan(uint256 referenceSpanSec);
    /// @notice The quote feed must have 8 decimals; token decimals at most 36.
    error InvalidDecimals();
    /// @notice A reserve is zero (spot price).
    error EmptyPair();
    /// @notice The USD answer (pair price times the quote's answer) does not fit an int256.
    error AnswerTooLarge(uint256 answer);
    /// @notice Only rounds 2 (latest) and 1 (the reference, once an observation predates the block) exist.
    error NoSuchRound(uint80 roundId);
    /// @notice No observation is yet `windowSec` old (TWAP mode).
    error WindowNotElapsed(uint256 observedAt, uint256 windowSec);
    /// @notice The quote asset's own USD feed answered zero or less.
    error InvalidQuotePrice(int256 answer);
}
