// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title ScriptedFeed
/// @notice A Chainlink-style feed that acts out every oracle failure a scenario asks for: rounds with any
/// age, an aggregator floor/cap that clamps answers (Chainlink's minAnswer/maxAnswer), zero or negative
/// answers, a feed that reverts, and the L2 sequencer-uptime convention (answer 0 = up, 1 = down,
/// startedAt = when the status changed). Every round is kept, so getRoundData serves history.
/// `setRound` publishes a round with every field chosen (startedAt, updatedAt and answeredInRound
/// independently: zero, future, incomplete rounds, a sequencer round with startedAt = 0).
/// Twin: protocol_model/exact/oracle/price_router.py (`Feed`).
contract ScriptedFeed is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    error FeedDown();

    uint8 public immutable decimals;
    string public description;
    uint80 public latestRound;
    bool public reverting;
    int256 public minAnswer; // clamp floor, only when minAnswer < maxAnswer
    int256 public maxAnswer;
    mapping(uint80 => Round) internal _rounds;

    constructor(uint8 decimals_, int256 answer_, string memory description_) {
        decimals = decimals_;
        description = description_;
        _push(answer_, block.timestamp);
    }

    /// @notice Feed version (Chainlink's interface).
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @notice Publishes a new round at the current block time (clamped to the aggregator's band if set).
    function setAnswer(int256 answer_) external {
        _push(answer_, block.timestamp);
    }

    /// @notice Publishes a new round whose updatedAt/startedAt lie `ageSec` seconds in the past.
    function pushRound(int256 answer_, uint256 ageSec) external {
        _push(answer_, block.timestamp - ageSec);
    }

    /// @notice Publishes a new round with every field given (not clamped): zero, future or incomplete rounds.
    function setRound(int256 answer_, uint256 startedAt_, uint256 updatedAt_, uint80 answeredInRound_) external {
        latestRound += 1;
        _rounds[latestRound] = Round(answer_, startedAt_, updatedAt_, answeredInRound_);
    }

    /// @notice Sets the aggregator's own answer band (minAnswer < maxAnswer enables clamping; equal disables).
    function setAnswerBounds(int256 minAnswer_, int256 maxAnswer_) external {
        (minAnswer, maxAnswer) = (minAnswer_, maxAnswer_);
    }

    /// @notice Makes latestRoundData and getRoundData revert (or work again).
    function setReverting(bool reverting_) external {
        reverting = reverting_;
    }

    /// @notice Sequencer-uptime convention: a new round with answer 0 (up) or 1 (down) started now.
    function setSequencerStatus(bool up) external {
        _push(up ? int256(0) : int256(1), block.timestamp);
    }

    /// @notice A stored round; unknown rounds read as zeros.
    function getRoundData(uint80 roundId_) external view returns (uint80, int256, uint256, uint256, uint80) {
        if (reverting) revert FeedDown();
        Round memory r = _rounds[roundId_];
        return (roundId_, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    /// @notice The latest round.
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (reverting) revert FeedDown();
        Round memory r = _rounds[latestRound];
        return (latestRound, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    function _push(int256 answer_, uint256 at) private {
        if (minAnswer < maxAnswer) {
            if (answer_ < minAnswer) answer_ = minAnswer;
            else if (answer_ > maxAnswer) answer_ = maxAnswer;
        }
        latestRound += 1;
        _rounds[latestRound] = Round(answer_, at, at, latestRound);
    }
}
