// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRateModel} from "../interfaces/IRateModel.sol";
import {MathLib, WAD} from "../libraries/MathLib.sol";
import {ErrorsLib} from "../libraries/ErrorsLib.sol";

/// @title KinkedRateModel
/// @notice Two-slope borrow rate (twin: protocol_model/exact/lending/kinked_rate_model.py `borrow_rate_per_second_ray`).
/// rate(u) = base + slope1 * u / opt                          for u <= opt
///         = base + slope1 + slope2 * (u - opt) / (1 - opt)   for u >  opt   (each term rounded down)
contract KinkedRateModel is IRateModel {
    uint256 public immutable baseRatePerSecondRay;
    uint256 public immutable slope1PerSecondRay;
    uint256 public immutable slope2PerSecondRay;
    uint256 public immutable optimalUtilizationWad;

    constructor(uint256 baseRay, uint256 slope1Ray, uint256 slope2Ray, uint256 optimalWad) {
        if (optimalWad == 0 || optimalWad >= WAD) revert ErrorsLib.InvalidRateModel();
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
