// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IUniswapV2Pair} from "../interfaces/IUniswapV2Pair.sol";
import {PairFeedErrorsLib} from "../libraries/PairFeedErrorsLib.sol";

/// @title PairPriceFeed
/// @notice A USD feed for `base` read from a Uniswap V2 pair (base, quote) times the quote asset's own USD
/// feed, answering AggregatorV3Interface so the PriceRouter can use it. SPOT mode prices from the current
/// reserves (movable within one transaction); TWAP mode from the pair's cumulative prices since an
/// observation at least `windowSec` old. Answers are rounded down. Twin: protocol_model/exact/oracle/pair_price_feed.py.
/// Rounds (docs/oracles/spot_manipulation.md, "Derived feeds"): round 2 is the price now; round 1, the
/// circuit breaker's reference, is the pair's average price since the newest observation at least
/// `referenceSpanSec` old (else the previous one, itself that old once `update()` has recorded one: a reference
/// averages over at least `referenceSpanSec`, or over all the time since deployment before then; a swap in this
/// block cannot move it, and a pump held k seconds weighs at most k / `referenceSpanSec` in it); both are dated by the quote feed's round (the oldest
/// input: startedAt and updatedAt are the quote's, and the round is incomplete if the quote's is), so the
/// router's maximum age and round checks apply through the derived feed. In TWAP mode round 2 is dated no later
/// than its observation's timestamp + `windowSec` too: an average over `windowSec + x` seconds is `x` seconds
/// late (nobody called `update()`), and the router's maximum age bounds `x` (else it would average, as fresh,
/// over any time since the last observation).
/// @dev Two observations are kept: `update()` records a new one once the newest is `updateGapSec` =
/// max(`windowSec`, `referenceSpanSec`) old, so the older slot is always at least that old once the first gap has
/// passed (and calling `update()` cannot make the reference follow a price held for less than `referenceSpanSec`).
contract PairPriceFeed is AggregatorV3Interface {
    uint8 public constant DECIMALS = 8;
    /// @notice The latest round's id; REFERENCE_ROUND is the circuit breaker's reference.
    uint80 public constant LATEST_ROUND = 2;
    uint80 public constant REFERENCE_ROUND = 1;

    struct Observation {
        uint256 cumulative;
        uint256 timestamp;
    }

    /// @dev The quote feed's latest round as this feed uses it.
    struct QuoteRound {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        bool complete;
    }

    IUniswapV2Pair public immutable pair;
    AggregatorV3Interface public immutable quoteFeed;
    bool public immutable baseIsToken0;
    bool public immutable twap;
    uint256 public immutable windowSec;
    /// @notice The least span (seconds) the breaker's reference round averages over (after the first span).
    uint256 public immutable referenceSpanSec;
    /// @dev max(windowSec, referenceSpanSec): the least time between two observations.
    uint256 internal immutable updateGapSec;
    /// @dev 10**baseDecimals * 10**(8 - quoteFeed decimals) and 10**quoteDecimals.
    uint256 internal immutable baseScale;
    uint256 internal immutable quoteScale;

    Observation public newest;
    Observation public previous;

    /// @param pair_ The Uniswap V2 pair holding `base` and the quote token.
    /// @param base The token this feed prices.
    /// @param baseDecimals Decimals of `base`; @param quoteDecimals decimals of the other token.
    /// @param quoteFeed_ USD feed of the other token (8 decimals).
    /// @param twap_ TWAP mode (true) or spot mode (false). @param windowSec_ TWAP window (> 0 in TWAP mode).
    /// @param referenceSpanSec_ Least span of the breaker's reference average (> 0; the model's default: the
    /// TWAP window, or 1,800 s in spot mode).
    constructor(
        IUniswapV2Pair pair_,
        address base,
        uint8 baseDecimals,
        uint8 quoteDecimals,
        AggregatorV3Interface quoteFeed_,
        bool twap_,
        uint256 windowSec_,
        uint256 referenceSpanSec_
    ) {
        bool isToken0 = pair_.token0() == base;
        if (!isToken0 && pair_.token1() != base) revert PairFeedErrorsLib.NotInPair(base);
        if (twap_ && windowSec_ == 0) revert PairFeedErrorsLib.InvalidWindow(windowSec_);
        if (referenceSpanSec_ == 0) revert PairFeedErrorsLib.InvalidReferenceSpan(referenceSpanSec_);
        if (quoteFeed_.decimals() != DECIMALS || baseDecimals > 36 || quoteDecimals > 36) {
            revert PairFeedErrorsLib.InvalidDecimals();
        }
        (pair, quoteFeed, baseIsToken0, twap, windowSec) = (pair_, quoteFeed_, isToken0, twap_, windowSec_);
        (referenceSpanSec, updateGapSec) = (referenceSpanSec_, Math.max(windowSec_, referenceSpanSec_));
        baseScale = 10 ** baseDecimals;
        quoteScale = 10 ** quoteDecimals;
        newest = Observation(_cumulative(), block.timestamp);
        previous = newest;
    }

    /// @notice Records a new observation when the newest is at least max(`windowSec`, `referenceSpanSec`) old
    /// (anyone may call; at most one per block since the span is > 0).
    /// @return recorded Whether an observation was recorded.
    function update() external returns (bool recorded) {
        if (block.timestamp - newest.timestamp < updateGapSec) return false;
        previous = newest;
        newest = Observation(_cumulative(), block.timestamp);
        return true;
    }

    /// @notice The pair's cumulative price of `base` (quote units per base unit, UQ112x112 × seconds) as of
    /// now, counterfactually accrued since the pair's last update (wraps as the pair's does).
    function currentCumulative() external view returns (uint256) {
        return _cumulative();
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external pure returns (uint8) {
        return DECIMALS;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return twap ? "pair TWAP / USD" : "pair spot / USD";
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @notice Round 2 is the latest round; round 1 the reference (the average price since the newest
    /// observation at least `referenceSpanSec` old, else the previous one; NoSuchRound in the deployment block,
    /// or for any other id).
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        if (roundId == LATEST_ROUND) return _latest();
        if (roundId != REFERENCE_ROUND) revert PairFeedErrorsLib.NoSuchRound(roundId);
        Observation memory o = block.timestamp - newest.timestamp >= referenceSpanSec ? newest : previous;
        if (o.timestamp >= block.timestamp) revert PairFeedErrorsLib.NoSuchRound(roundId);
        return _round(REFERENCE_ROUND, _averageSince(o), type(uint256).max);
    }

    /// @notice Round 2: the price as of this block, dated by the quote feed's latest round (in TWAP mode no later
    /// than the observation's timestamp + `windowSec`).
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _latest();
    }

    /// @notice The base price in quote units as UQ112x112 per base unit (spot or TWAP, as configured).
    function priceX112() public view returns (uint256) {
        if (!twap) {
            (uint112 r0, uint112 r1,) = pair.getReserves();
            (uint256 rb, uint256 rq) = baseIsToken0 ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
            if (rb == 0 || rq == 0) revert PairFeedErrorsLib.EmptyPair();
            return (rq << 112) / rb;
        }
        return _averageSince(_twapObservation());
    }

    /// @dev The pair's average price of `base` (UQ112x112) since observation `o` (taken before this block).
    function _averageSince(Observation memory o) internal view returns (uint256) {
        unchecked {
            return (_cumulative() - o.cumulative) / (block.timestamp - o.timestamp);
        }
    }

    /// @dev The observation a TWAP read averages from: the newest at least `windowSec` old (WindowNotElapsed if
    /// neither is).
    function _twapObservation() internal view returns (Observation memory o) {
        o = block.timestamp - newest.timestamp >= windowSec ? newest : previous;
        if (block.timestamp - o.timestamp < windowSec) revert PairFeedErrorsLib.WindowNotElapsed(o.timestamp, windowSec);
    }

    /// @dev Round 2: spot dated by the quote; TWAP dated no later than its observation + `windowSec`.
    function _latest() internal view returns (uint80, int256, uint256, uint256, uint80) {
        if (!twap) return _round(LATEST_ROUND, priceX112(), type(uint256).max);
        Observation memory o = _twapObservation();
        return _round(LATEST_ROUND, _averageSince(o), o.timestamp + windowSec);
    }

    /// @dev Round `roundId` at the pair price `pX112`, priced with the quote feed's latest round and dated by it,
    /// but no later than `notAfter` (its own input's date).
    function _round(uint80 roundId, uint256 pX112, uint256 notAfter)
        internal
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        QuoteRound memory q = _quoteRound();
        if (q.answer <= 0) revert PairFeedErrorsLib.InvalidQuotePrice(q.answer);
        uint256 answer = Math.mulDiv(pX112, baseScale * uint256(q.answer), quoteScale << 112);
        if (answer > uint256(type(int256).max)) revert PairFeedErrorsLib.AnswerTooLarge(answer);
        return (
            roundId,
            int256(answer),
            Math.min(q.startedAt, notAfter),
            Math.min(q.updatedAt, notAfter),
            q.complete ? roundId : roundId - 1
        );
    }

    function _quoteRound() internal view returns (QuoteRound memory q) {
        (uint80 r, int256 a, uint256 s, uint256 u, uint80 air) = quoteFeed.latestRoundData();
        q = QuoteRound(a, s, u, air >= r);
    }

    function _cumulative() internal view returns (uint256 cumulative) {
        cumulative = baseIsToken0 ? pair.price0CumulativeLast() : pair.price1CumulativeLast();
        (uint112 r0, uint112 r1, uint32 last) = pair.getReserves();
        unchecked {
            uint32 elapsed = uint32(block.timestamp) - last;
            if (elapsed > 0 && r0 != 0 && r1 != 0) {
                (uint256 rb, uint256 rq) = baseIsToken0 ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
                cumulative += ((rq << 112) / rb) * elapsed;
            }
        }
    }
}
