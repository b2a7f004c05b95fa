// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Validated USD prices, WAD-scaled per whole token.
interface IPriceRouter {
    function priceWad(address asset) external view returns (uint256);
}
