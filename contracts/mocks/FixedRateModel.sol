// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRateModel} from "../interfaces/IRateModel.sol";

/// @title FixedRateModel
/// @notice A third-party rate model that answers one rate at every utilization, whatever it is (no bound): the
/// test double for `LendingPool`'s clamp of a rate model's answer to `MAX_BORROW_RATE_PER_SECOND_RAY`.
contract FixedRateModel is IRateModel {
    uint256 public immutable rateRay;

    constructor(uint256 rateRay_) {
        rateRay = rateRay_;
    }

    /// @inheritdoc IRateModel
    function borrowRatePerSecondRay(uint256) external view returns (uint256) {
        return rateRay;
    }
}
