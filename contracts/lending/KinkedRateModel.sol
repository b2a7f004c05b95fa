// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRateModel} from "../interfaces/IRateModel.sol";
import {MathLib, WAD, RAY} from "../libraries/MathLib.sol";
import {ErrorsLib} from "../libraries/ErrorsLib.sol";

/// @title KinkedRateModel
/// @notice Two-slope borrow rate (twin: protocol_model/exact/lending/kinked_rate_model.py `borrow_rate_per_second_ray`).
/// rate(u) = base + slope1 * u / opt                          for u <= opt
///         = base + slope1 + slope2 * (u - opt) / (1 - opt)   for u >  opt   (each term rounded down)
/// The rate is largest at 100% utilization, `base + slope1 + slope2`, which the constructor bounds (docs/SPEC.md §3.1).
contract KinkedRateModel is IRateModel {
    /// @notice The highest rate a curve may charge (at 100% utilization): 1,000% a year, simple, per second in RAY
    /// (⌊10·RAY / 365 days⌋ ≈ 3.17e20 < 2^69; Aave v3 caps its curves at the same 1,000%, Morpho's AdaptiveCurveIrm
    /// at 800%). With dt < 2^40 (`LendingPool` keeps `lastUpdate` as a uint40) `rateRay * dt` < 2^109 and the
    /// accrual's `borrowIndex * rateRay * dt` < 2^237; from RAY the borrow index stays below 2^128 for
    /// ln(2^128 / RAY) / 10 ≈ 2.65 years of 100% utilization accrued every second.
    uint256 public constant MAX_BORROW_RATE_PER_SECOND_RAY = 10 * RAY / 365 days;

    uint256 public immutable baseRatePerSecondRay;
    uint256 public immutable slope1PerSecondRay;
    uint256 public immutable slope2PerSecondRay;
    uint256 public immutable optimalUtilizationWad;

    constructor(uint256 baseRay, uint256 slope1Ray, uint256 slope2Ray, uint256 optimalWad) {
        if (optimalWad == 0 || optimalWad >= WAD) revert ErrorsLib.InvalidRateModel();
        // base + slope1 + slope2 <= MAX, written so that no term can overflow the check itself
        uint256 max = MAX_BORROW_RATE_PER_SECOND_RAY;
        if (baseRay > max || slope1Ray > max - baseRay || slope2Ray > max - baseRay - slope1Ray) {
            revert ErrorsLib.BorrowRateTooHigh(baseRay, slope1Ray, slope2Ray);
        }
        baseRatePerSecondRay = baseRay;
        slope1PerSecondRay = slope1Ray;
        slope2PerSecondRay = slope2Ray;
        optimalUtilizationWad = optimalWad;
    }

    /// @inheritdoc IRateModel
    function borrowRatePerSecondRay(uint256 utilizationWad) external view returns (uint256) {
        uint256 opt = optimalUtilizationWad;
        if (utilizationWad <= opt) {
            return baseRatePerSecondRay + MathLib.mulDivDown(slope1PerSecondRay, utilizationWad, opt);
        }
        return baseRatePerSecondRay + slope1PerSecondRay
            + MathLib.mulDivDown(slope2PerSecondRay, utilizationWad - opt, WAD - opt);
    }
}
