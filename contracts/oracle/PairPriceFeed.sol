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
/// @dev Two observations are kept: `update()` records a new one once the newest is `windowSec` old, so the
/// older slot is always at least `windowSec` old once the first window has passed.
contract PairPriceFeed is AggregatorV3Interface {
    uint8 public constant DECIMALS = 8;

    struct Observation {
        uint256 cumulative;
        uint256 timestamp;
    }

    IUniswapV2Pair public immutable pair;
    AggregatorV3Interface public immutable quoteFeed;
    bool public immutable baseIsToken0;
    bool public immutable twap;
    uint256 public immutable windowSec;
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
    constructor(
        IUniswapV2Pair pair_,
        address base,
        uint8 baseDecimals,
        uint8 quoteDecimals,
        AggregatorV3Interface quoteFeed_,
        bool twap_,
        uint256 windowSec_
    ) {
        bool isToken0 = pair_.token0() == base;
        if (!isToken0 && pair_.token1() != base) revert PairFeedErrorsLib.NotInPair(base);
        if (twap_ && windowSec_ == 0) revert PairFeedErrorsLib.InvalidWindow(windowSec_);
        if (quoteFeed_.decimals() != DECIMALS || baseDecimals > 36 || quoteDecimals > 36) {
            revert PairFeedErrorsLib.InvalidDecimals();
        }
        (pair, quoteFeed, baseIsToken0, twap, windowSec) = (pair_, quoteFeed_, isToken0, twap_, windowSec_);
        baseScale = 10 ** baseDecimals;
        quoteScale = 10 ** quoteDecimals;
        newest = Observation(_cumulative(), block.timestamp);
        previous = newest;
    }

    /// @notice Records a new observation when the newest is at least one window old (anyone may call).
    /// @return recorded Whether an observation was recorded.
    function update() external returns (bool recorded) {
        if (block.timestamp - newest.timestamp < windowSec) return false;
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

    /// @notice Only the current round (1) exists: the answer is computed at read time.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        if (roundId != 1) revert PairFeedErrorsLib.NoSuchRound(roundId);
        return _latest();
    }

    /// @notice Round 1, the price as of this block, updatedAt = now.
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
        Observation memory o = block.timestamp - newest.timestamp >= windowSec ? newest : previous;
        uint256 elapsed = block.timestamp - o.timestamp;
        if (elapsed < windowSec) revert PairFeedErrorsLib.WindowNotElapsed(o.timestamp, windowSec);
        unchecked {
            return (_cumulative() - o.cumulative) / elapsed;
        }
    }

    function _latest() internal view returns (uint80, int256, uint256, uint256, uint80) {
        (, int256 quoteAnswer,,,) = quoteFeed.latestRoundData();
        if (quoteAnswer <= 0) revert PairFeedErrorsLib.InvalidQuotePrice(quoteAnswer);
        uint256 answer = Math.mulDiv(priceX112(), baseScale * uint256(quoteAnswer), quoteScale << 112);
        if (answer > uint256(type(int256).max)) revert PairFeedErrorsLib.EmptyPair();
        return (1, int256(answer), block.timestamp, block.timestamp, 1);
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
