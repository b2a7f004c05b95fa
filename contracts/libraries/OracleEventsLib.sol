// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title OracleEventsLib
/// @notice Events of the price router's per-asset oracle policy.
library OracleEventsLib {
    event OraclePolicySet(
        address indexed asset,
        uint256 maxAgeSec,
        uint256 minPriceWad,
        uint256 maxPriceWad,
        uint256 maxJumpBps,
        address fallbackFeed,
        address sequencerFeed,
        uint256 gracePeriodSec
    );
}
