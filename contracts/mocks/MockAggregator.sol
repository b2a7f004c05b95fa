// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice A Chainlink-style feed whose rounds tests set directly.
contract MockAggregator is AggregatorV3Interface {
    uint8 public immutable decimals;
    string public description;
    uint80 public roundId;
    int256 public answer;
    uint256 public startedAt;
    uint256 public updatedAt;
    uint80 public answeredInRound;

    constructor(uint8 decimals_, int256 answer_, string memory description_) {
        decimals = decimals_;
        description = description_;
        _push(answer_);
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    /// @notice Publishes a new round at the current block time.
    function setAnswer(int256 answer_) external {
        _push(answer_);
    }

    /// @notice Sets every field of the latest round (stale, out-of-order or incomplete rounds).
    function setRound(uint80 roundId_, int256 answer_, uint256 startedAt_, uint256 updatedAt_, uint80 answeredInRound_)
        external
    {
        (roundId, answer, startedAt, updatedAt, answeredInRound) =
            (roundId_, answer_, startedAt_, updatedAt_, answeredInRound_);
    }

    function getRoundData(uint80)
        external
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        return (roundId, answer, startedAt, updatedAt, answeredInRound);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId, answer, startedAt, updatedAt, answeredInRound);
    }

    function _push(int256 answer_) private {
        roundId += 1;
        (answer, startedAt, updatedAt, answeredInRound) = (answer_, block.timestamp, block.timestamp, roundId);
    }
}
