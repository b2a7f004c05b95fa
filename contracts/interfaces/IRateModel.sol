// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Borrow-rate model: per-second borrow rate (RAY) as a function of utilization (WAD).
interface IRateModel {
    function borrowRatePerSecondRay(uint256 utilizationWad) external view returns (uint256);
}
