// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MathLib, WAD, RAY, BPS} from "../../../contracts/libraries/MathLib.sol";

/// @notice halmos symbolic proofs (`check_*`; forge ignores them) of MathLib's rounding direction: for every
/// pair (down, up) over the same product and divisor, down·d ≤ x·y ≤ up·d (down ≤ exact ≤ up), down is the
/// floor (x·y < (down + 1)·d) and up − down ≤ 1, with x·y and the divisor compared at 512 bits. Inputs are
/// symbolic over the whole uint256 range; paths where MathLib reverts (result above 2^256 − 1, d = 0) are
/// not counterexamples. docs/audit.md says how long halmos takes and which solver settings it needs.
contract MathLibRounding {
    function check_mulDiv(uint256 x, uint256 y, uint256 d) public pure {
        _check(x, y, d, MathLib.mulDivDown(x, y, d), MathLib.mulDivUp(x, y, d));
    }

    function check_wadMul(uint256 x, uint256 y) public pure {
        _check(x, y, WAD, MathLib.wadMulDown(x, y), MathLib.wadMulUp(x, y));
    }

    function check_wadDiv(uint256 x, uint256 y) public pure {
        _check(x, WAD, y, MathLib.wadDivDown(x, y), MathLib.wadDivUp(x, y));
    }

    function check_rayMul(uint256 x, uint256 y) public pure {
        _check(x, y, RAY, MathLib.rayMulDown(x, y), MathLib.rayMulUp(x, y));
    }

    function check_rayDiv(uint256 x, uint256 y) public pure {
        _check(x, RAY, y, MathLib.rayDivDown(x, y), MathLib.rayDivUp(x, y));
    }

    function check_bpsMul(uint256 x, uint256 bps) public pure {
        _check(x, bps, BPS, MathLib.bpsMulDown(x, bps), MathLib.bpsMulUp(x, bps));
    }

    /// @dev down·d ≤ x·y < (down + 1)·d, x·y ≤ up·d, up − down ≤ 1 (all products at 512 bits).
    function _check(uint256 x, uint256 y, uint256 d, uint256 down, uint256 up) internal pure {
        (uint256 pHi, uint256 pLo) = _mul512(x, y);
        (uint256 dHi, uint256 dLo) = _mul512(down, d);
        (uint256 uHi, uint256 uLo) = _mul512(up, d);
        assert(_le(dHi, dLo, pHi, pLo)); // down <= exact
        assert(_le(pHi, pLo, uHi, uLo)); // exact <= up
        assert(up >= down && up - down <= 1);
        // floor: x·y − down·d < d
        (uint256 rHi, uint256 rLo) = _sub512(pHi, pLo, dHi, dLo);
        assert(rHi == 0 && rLo < d);
    }

    /// @dev The 512-bit product as (high, low) words (low = x·y mod 2^256; high from mulmod by 2^256 − 1).
    function _mul512(uint256 x, uint256 y) internal pure returns (uint256 hi, uint256 lo) {
        assembly ("memory-safe") {
            let mm := mulmod(x, y, not(0))
            lo := mul(x, y)
            hi := sub(sub(mm, lo), lt(mm, lo))
        }
    }

    function _le(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) internal pure returns (bool) {
        return aHi < bHi || (aHi == bHi && aLo <= bLo);
    }

    function _sub512(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) internal pure returns (uint256, uint256) {
        unchecked {
            return (aHi - bHi - (aLo < bLo ? 1 : 0), aLo - bLo);
        }
    }
}

/// @notice The same properties on the protocol's own domains (amounts below 2^128, bps ≤ BPS), which keep
/// the products below 2^256: the domain halmos can decide here (docs/audit.md).
contract MathLibRoundingBounded is MathLibRounding {
    function check_bpsMulBounded(uint128 x, uint16 bps) public pure {
        if (bps > BPS) return;
        check_bpsMul(x, bps);
    }

    function check_wadMulBounded(uint128 x, uint128 y) public pure {
        check_wadMul(x, y);
    }
}
