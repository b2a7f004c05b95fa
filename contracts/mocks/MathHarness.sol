// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MathLib} from "../libraries/MathLib.sol";

/// @title MathHarness
/// @notice Exposes MathLib so tests can compare it with protocol_model.fixed_point.
contract MathHarness {
    /// @notice floor(x * y / d)
    function mulDivDown(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return MathLib.mulDivDown(x, y, d);
    }

    /// @notice ceil(x * y / d)
    function mulDivUp(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return MathLib.mulDivUp(x, y, d);
    }
}
