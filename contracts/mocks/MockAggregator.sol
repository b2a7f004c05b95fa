// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice A healthy Chainlink-style feed: between the answers it is given (`setAnswer`) it heartbeats, so
/// its latest round is dated at the block that reads it (startedAt = updatedAt = block.timestamp); a round
/// set with `setRound` keeps the times given (stale, zero, future or incomplete rounds) until the next
/// `setAnswer`. Twin: `Feed` with `updated_at = None` (protocol_model/exact/oracle/price_router.py).
contract MockAggregator is AggregatorV3Interface {
    uint8 public immutable decimals;
    string public description;
    uint80 public roundId;
    int256 public answer;
    uint256 public startedAt;
    uint256 public updatedAt;
    uint80 public answeredInRound;
    /// @notice The latest round is re-published every block (true after `setAnswer`, false after `setRound`).
    bool public heartbeat;

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
        heartbeat = false;
    }

    /// @notice Every round id reads as the latest round.
    function getRoundData(uint80) external view returns (uint80, int256, uint256, uint256, uint80) {
        return _latest();
    }

    /// @notice The latest round (dated now while heartbeating).
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _latest();
    }

    function _latest() private view returns (uint80, int256, uint256, uint256, uint80) {
        if (heartbeat) return (roundId, answer, block.timestamp, block.timestamp, answeredInRound);
        return (roundId, answer, startedAt, updatedAt, answeredInRound);
    }

    function _push(int256 answer_) private {
        roundId += 1;
        (answer, startedAt, updatedAt, answeredInRound) = (answer_, block.timestamp, block.timestamp, roundId);
        heartbeat = true;
    }
}
