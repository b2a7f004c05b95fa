// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IPriceRouter} from "../interfaces/IPriceRouter.sol";
import {BPS} from "../libraries/MathLib.sol";
import {ErrorsLib} from "../libraries/ErrorsLib.sol";
import {EventsLib} from "../libraries/EventsLib.sol";
import {OracleErrorsLib} from "../libraries/OracleErrorsLib.sol";
import {OracleEventsLib} from "../libraries/OracleEventsLib.sol";

/// @title PriceRouter
/// @notice One Chainlink-style USD feed per asset, read through a per-asset oracle policy (validated on
/// write): maximum age, accepted price band, circuit breaker against the feed's previous round, optional
/// fallback feed, optional L2 sequencer-uptime feed with a grace period. Twin: protocol_model/exact/oracle/price_router.py
/// (`Feed`) and protocol_model/exact/oracle/oracle_policy.py (`OraclePolicy`, `router_price_wad`).
/// @dev An unset policy (all zero) only rejects answers <= 0, as before policies existed. Check order:
/// FeedNotSet, sequencer (SequencerDown, GracePeriodNotOver), then the primary feed (FeedReverted,
/// InvalidPrice, InvalidRound, StalePrice, PriceOutOfBounds, PriceJump); if the primary is rejected and a
/// fallback is set, the fallback under the same checks; if that is rejected too, the primary's error.
contract PriceRouter is IPriceRouter, AccessControl {
    struct Feed {
        AggregatorV3Interface aggregator;
        uint8 decimals;
    }

    /// @notice Per-asset oracle policy; zero in a field disables that check.
    struct OraclePolicy {
        uint32 maxAgeSec; // a round older than this is stale (0: no limit)
        uint16 maxJumpBps; // |answer - previous round| / previous round above this is rejected (0: off)
        uint32 gracePeriodSec; // after the sequencer comes back up, prices stay rejected this long
        uint256 minPriceWad; // accepted prices are strictly above ...
        uint256 maxPriceWad; // ... and strictly below this (0: no cap)
        AggregatorV3Interface fallbackFeed; // read when the primary is rejected (0: none)
        AggregatorV3Interface sequencerFeed; // L2 sequencer uptime (0: none)
    }

    uint256 public constant MAX_AGE_LIMIT_SEC = 30 days;
    uint256 public constant MAX_GRACE_PERIOD_SEC = 1 days;

    mapping(address asset => Feed) public feeds;
    mapping(address asset => OraclePolicy) internal _policies;
    mapping(address asset => uint8) public fallbackDecimals;

    constructor(address admin) {
        if (admin == address(0)) revert ErrorsLib.ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Sets the feed of `asset`; its decimals are read once and must be <= 18.
    function setFeed(address asset, AggregatorV3Interface aggregator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (asset == address(0) || address(aggregator) == address(0)) revert ErrorsLib.ZeroAddress();
        uint8 dec = aggregator.decimals();
        if (dec > 18) revert ErrorsLib.InvalidDecimals(dec);
        feeds[asset] = Feed(aggregator, dec);
        emit EventsLib.FeedSet(asset, address(aggregator), dec);
    }

    /// @notice Sets the oracle policy of `asset` (its feed must be set). Rejects impossible values with
    /// InvalidOraclePolicy naming the field.
    function setOraclePolicy(address asset, OraclePolicy calldata p) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Feed memory feed = feeds[asset];
        if (address(feed.aggregator) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        if (p.maxAgeSec > MAX_AGE_LIMIT_SEC) revert OracleErrorsLib.InvalidOraclePolicy("maxAgeSec");
        if (p.maxPriceWad != 0 && p.maxPriceWad <= p.minPriceWad) {
            revert OracleErrorsLib.InvalidOraclePolicy("maxPriceWad");
        }
        if (p.maxJumpBps > BPS) revert OracleErrorsLib.InvalidOraclePolicy("maxJumpBps");
        uint8 fbDec;
        if (address(p.fallbackFeed) != address(0)) {
            if (p.fallbackFeed == feed.aggregator) revert OracleErrorsLib.InvalidOraclePolicy("fallbackFeed");
            fbDec = p.fallbackFeed.decimals();
            if (fbDec > 18) revert ErrorsLib.InvalidDecimals(fbDec);
        }
        if (address(p.sequencerFeed) == address(0) && p.gracePeriodSec != 0) {
            revert OracleErrorsLib.InvalidOraclePolicy("gracePeriodSec");
        }
        if (p.gracePeriodSec > MAX_GRACE_PERIOD_SEC) revert OracleErrorsLib.InvalidOraclePolicy("gracePeriodSec");
        _policies[asset] = p;
        fallbackDecimals[asset] = fbDec;
        emit OracleEventsLib.OraclePolicySet(
            asset,
            p.maxAgeSec,
            p.minPriceWad,
            p.maxPriceWad,
            p.maxJumpBps,
            address(p.fallbackFeed),
            address(p.sequencerFeed),
            p.gracePeriodSec
        );
    }

    /// @notice The oracle policy of `asset` (all zero: none).
    function oraclePolicy(address asset) external view returns (OraclePolicy memory) {
        return _policies[asset];
    }

    /// @inheritdoc IPriceRouter
    function priceWad(address asset) external view returns (uint256) {
        Feed memory feed = feeds[asset];
        if (address(feed.aggregator) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        OraclePolicy memory p = _policies[asset];
        if (address(p.sequencerFeed) != address(0)) _checkSequencer(asset, p);
        if (address(p.fallbackFeed) == address(0)) return _checkedPrice(asset, feed.aggregator, feed.decimals, p);
        try this.checkedPrice(asset, false) returns (uint256 price) {
            return price;
        } catch (bytes memory primaryReason) {
            try this.checkedPrice(asset, true) returns (uint256 price) {
                return price;
            } catch {
                assembly ("memory-safe") {
                    revert(add(primaryReason, 32), mload(primaryReason))
                }
            }
        }
    }

    /// @notice The price one source of `asset` (primary, or the fallback) gives under the asset's policy,
    /// without the sequencer check; reverts with the reason that source is rejected.
    function checkedPrice(address asset, bool fromFallback) external view returns (uint256) {
        OraclePolicy memory p = _policies[asset];
        if (fromFallback) {
            if (address(p.fallbackFeed) == address(0)) revert ErrorsLib.FeedNotSet(asset);
            return _checkedPrice(asset, p.fallbackFeed, fallbackDecimals[asset], p);
        }
        Feed memory feed = feeds[asset];
        if (address(feed.aggregator) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        return _checkedPrice(asset, feed.aggregator, feed.decimals, p);
    }

    function _checkSequencer(address asset, OraclePolicy memory p) internal view {
        int256 status;
        uint256 upSince;
        try p.sequencerFeed.latestRoundData() returns (uint80, int256 s, uint256 startedAt, uint256, uint80) {
            (status, upSince) = (s, startedAt);
        } catch {
            revert OracleErrorsLib.FeedReverted(asset, address(p.sequencerFeed));
        }
        if (status != 0) revert OracleErrorsLib.SequencerDown();
        if (upSince > block.timestamp || block.timestamp - upSince <= p.gracePeriodSec) {
            revert OracleErrorsLib.GracePeriodNotOver(upSince);
        }
    }

    function _checkedPrice(address asset, AggregatorV3Interface agg, uint8 dec, OraclePolicy memory p)
        internal
        view
        returns (uint256 price)
    {
        uint80 roundId;
        int256 answer;
        uint256 updatedAt;
        try agg.latestRoundData() returns (uint80 r, int256 a, uint256, uint256 u, uint80) {
            (roundId, answer, updatedAt) = (r, a, u);
        } catch {
            revert OracleErrorsLib.FeedReverted(asset, address(agg));
        }
        if (answer <= 0) revert ErrorsLib.InvalidPrice(asset, answer);
        if (p.maxAgeSec != 0) {
            if (updatedAt == 0 || updatedAt > block.timestamp) revert OracleErrorsLib.InvalidRound(asset, updatedAt);
            if (block.timestamp - updatedAt > p.maxAgeSec) revert OracleErrorsLib.StalePrice(asset, updatedAt);
        }
        price = uint256(answer) * 10 ** (18 - dec);
        if (price <= p.minPriceWad || (p.maxPriceWad != 0 && price >= p.maxPriceWad)) {
            revert OracleErrorsLib.PriceOutOfBounds(asset, price);
        }
        if (p.maxJumpBps != 0 && roundId != 0) _checkJump(asset, agg, roundId, answer, p.maxJumpBps);
    }

    /// @dev Circuit breaker: the previous round is the reference; a previous round that cannot be read or
    /// is not positive gives no reference (the check passes).
    function _checkJump(address asset, AggregatorV3Interface agg, uint80 roundId, int256 answer, uint256 maxJumpBps)
        internal
        view
    {
        try agg.getRoundData(roundId - 1) returns (uint80, int256 prev, uint256, uint256, uint80) {
            if (prev <= 0) return;
            uint256 diff = answer > prev ? uint256(answer - prev) : uint256(prev - answer);
            if (diff * BPS > maxJumpBps * uint256(prev)) revert OracleErrorsLib.PriceJump(asset, answer, prev);
        } catch {}
    }
}
