// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title OracleErrorsLib
/// @notice Errors of the price router's per-asset oracle policy. The exact model raises exceptions of the
/// same names (protocol_model/exact/errors.py); the order in which they are checked is in docs/oracles/policy.md.
library OracleErrorsLib {
    /// @notice The feed's latestRoundData call reverted.
    error FeedReverted(address asset, address feed);
    /// @notice The round is zero (updatedAt = 0), in the future, or incomplete (answeredInRound < roundId);
    /// for a sequencer-uptime feed, startedAt = 0. Checked under every policy.
    error InvalidRound(address asset, uint256 updatedAt);
    /// @notice The answer scales to a WAD price above PriceRouter.MAX_PRICE_WAD (the price math would overflow).
    error PriceOverflow(address asset, int256 answer);
    /// @notice The round is older than the policy's maximum age.
    error StalePrice(address asset, uint256 updatedAt);
    /// @notice The price is at or outside the policy's accepted band (minPriceWad, maxPriceWad).
    error PriceOutOfBounds(address asset, uint256 priceWad);
    /// @notice The answer moved more than maxJumpBps from the feed's previous round (circuit breaker).
    error PriceJump(address asset, int256 answer, int256 previousAnswer);
    /// @notice The L2 sequencer-uptime feed reports the sequencer down.
    error SequencerDown();
    /// @notice The sequencer is back up, but for no longer than the grace period.
    error GracePeriodNotOver(uint256 upSince);
    /// @notice A policy field is impossible; `field` names it.
    error InvalidOraclePolicy(string field);
}
