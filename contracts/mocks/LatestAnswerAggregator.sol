// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockAggregator} from "./MockAggregator.sol";

/// @title LatestAnswerAggregator
/// @notice The project's MockAggregator plus the legacy `latestAnswer()` read that Aave V3's AaveOracle
/// (the npm package aave/core-v3 1.19.3) calls on its sources. Prices are set with `setAnswer` as on MockAggregator.
/// Twin: the price table of protocol_model/exact/presets/aave_v3/aave_oracle.py.
contract LatestAnswerAggregator is MockAggregator {
    constructor(uint8 decimals_, int256 answer_, string memory description_)
        MockAggregator(decimals_, answer_, description_)
    {}

    /// @notice The latest answer (AggregatorInterface.latestAnswer, read by AaveOracle.getAssetPrice).
    function latestAnswer() external view returns (int256) {
        return answer;
    }
}
