// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PerpMath
/// @notice Signed rounding helpers of the margin engine (twin: protocol_model/exact/perp/perp_math.py).
/// @dev floor and ceil are towards -infinity and +infinity; `truncDiv` is Solidity's own `/` (towards zero).
/// Every caller passes d = WAD or d = |int256| < 2^255, so `int256(d)` below cannot wrap.
library PerpMath {
    /// @dev floor(a / d), d > 0
    function floorDiv(int256 a, uint256 d) internal pure returns (int256) {
        int256 di = int256(d);
        int256 q = a / di;
        return (a % di != 0 && a < 0) ? q - 1 : q;
    }

    /// @dev ceil(a / d), d > 0
    function ceilDiv(int256 a, uint256 d) internal pure returns (int256) {
        int256 di = int256(d);
        int256 q = a / di;
        return (a % di != 0 && a > 0) ? q + 1 : q;
    }

    function abs(int256 a) internal pure returns (uint256) {
        return a >= 0 ? uint256(a) : uint256(-a);
    }

    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
