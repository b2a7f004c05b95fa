// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

uint256 constant WAD = 1e18;
uint256 constant RAY = 1e27;
uint256 constant BPS = 10_000;

/// @title MathLib
/// @notice Fixed-point helpers; the rounding direction is in every name (twin: protocol_model/exact/math_lib.py).
/// @dev Products are taken at 512 bits (OpenZeppelin Math.mulDiv) when they exceed 256 bits: only a result above
/// 2^256 - 1 reverts. A product that fits takes a one-division fast path with the same result.
library MathLib {
    /// @dev floor(x * y / d). When x * y fits in 256 bits (y == 0, or the wrapped product divided by y gives x
    /// back) one division gives the same floor as Math.mulDiv (d == 0: the same Panic(0x12)); otherwise Math.mulDiv.
    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        unchecked {
            uint256 p = x * y;
            if (y == 0 || p / y == x) return p / d;
        }
        return Math.mulDiv(x, y, d);
    }

    /// @dev ceil(x * y / d). Fast path as `mulDivDown`; q + 1 cannot overflow: a remainder means d >= 2, so
    /// q <= p / 2 < 2^255.
    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        unchecked {
            uint256 p = x * y;
            if (y == 0 || p / y == x) {
                uint256 q = p / d;
                return p % d == 0 ? q : q + 1;
            }
        }
        return Math.mulDiv(x, y, d, Math.Rounding.Ceil);
    }

    function wadMulDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivDown(x, y, WAD);
    }

    function wadMulUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivUp(x, y, WAD);
    }

    function wadDivDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivDown(x, WAD, y);
    }

    function wadDivUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivUp(x, WAD, y);
    }

    function rayMulDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivDown(x, y, RAY);
    }

    function rayMulUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivUp(x, y, RAY);
    }

    function rayDivDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivDown(x, RAY, y);
    }

    function rayDivUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivUp(x, RAY, y);
    }

    function bpsMulDown(uint256 x, uint256 bps) internal pure returns (uint256) {
        return mulDivDown(x, bps, BPS);
    }

    function bpsMulUp(uint256 x, uint256 bps) internal pure returns (uint256) {
        return mulDivUp(x, bps, BPS);
    }
}
