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
/// @dev Every listed asset has a safe policy: zero, future and incomplete rounds are always rejected, a
/// policy without a maximum age (an unset policy too) gets DEFAULT_MAX_AGE_SEC, and an answer whose WAD price
/// would exceed MAX_PRICE_WAD gets PriceOverflow. Check order: FeedNotSet, sequencer (FeedReverted,
/// SequencerDown, InvalidRound for startedAt = 0, GracePeriodNotOver), then the primary feed (FeedReverted,
/// InvalidPrice, PriceOverflow, InvalidRound, StalePrice, PriceOutOfBounds, PriceJump); if the primary is
/// rejected and a fallback is set, the fallback under the same checks; if that is rejected too, the
/// primary's error. The circuit breaker compares with the feed's previous round (docs/oracles/policy.md
/// says why the router keeps no last good price of its own).
contract PriceRouter is IPriceRouter, AccessControl {
    struct Feed {
        AggregatorV3Interface aggregator;
        uint8 decimals;
    }

    /// @notice Per-asset oracle policy; zero in a field disables that check.
    struct OraclePolicy {
        uint32 maxAgeSec; // a round older than this is stale (0: DEFAULT_MAX_AGE_SEC)
        uint16 maxJumpBps; // |answer - previous round| / previous round above this is rejected (0: off)
        uint32 gracePeriodSec; // after the sequencer comes back up, prices stay rejected this long
        uint256 minPriceWad; // accepted prices are strictly above ...
        uint256 maxPriceWad; // ... and strictly below this (0: no cap)
        AggregatorV3Interface fallbackFeed; // read when the primary is rejected (0: none)
        AggregatorV3Interface sequencerFeed; // L2 sequencer uptime (0: none)
    }

    uint256 public constant MAX_AGE_LIMIT_SEC = 30 days;
    /// @notice Maximum age of a policy that sets none: Chainlink's longest usual heartbeat (24 h) plus an hour.
    uint256 public constant DEFAULT_MAX_AGE_SEC = 25 hours;
    /// @notice Largest accepted price (USD per whole token, WAD); with balances below 2^128 the pool's value
    /// math cannot overflow at or below it.
    uint256 public constant MAX_PRICE_WAD = 1e36;
    uint256 public constant MAX_GRACE_PERIOD_SEC = 1 days;

    /// @dev The hot slot of an asset: its primary feed and the policy fields every read needs, with a flag per
    /// policy field kept in `_policies` only (a read with no flag set reads this one slot).
    struct Source {
        AggregatorV3Interface aggregator;
        uint8 decimals;
        uint32 maxAgeSec;
        uint16 maxJumpBps;
        uint32 gracePeriodSec;
        uint8 flags; // HAS_MIN_PRICE | HAS_MAX_PRICE | HAS_FALLBACK | HAS_SEQUENCER
    }

    uint8 internal constant HAS_MIN_PRICE = 1;
    uint8 internal constant HAS_MAX_PRICE = 2;
    uint8 internal constant HAS_FALLBACK = 4;
    uint8 internal constant HAS_SEQUENCER = 8;

    mapping(address asset => Source) internal _sources;
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
        Source storage src = _sources[asset];
        (src.aggregator, src.decimals) = (aggregator, dec);
        emit EventsLib.FeedSet(asset, address(aggregator), dec);
    }

    /// @notice Sets the oracle policy of `asset` (its feed must be set). Rejects impossible values with
    /// InvalidOraclePolicy naming the field.
    function setOraclePolicy(address asset, OraclePolicy calldata p) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Source storage src = _sources[asset];
        AggregatorV3Interface primary = src.aggregator;
        if (address(primary) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        if (p.maxAgeSec > MAX_AGE_LIMIT_SEC) revert OracleErrorsLib.InvalidOraclePolicy("maxAgeSec");
        if (p.maxPriceWad != 0 && p.maxPriceWad <= p.minPriceWad) {
            revert OracleErrorsLib.InvalidOraclePolicy("maxPriceWad");
        }
        if (p.maxJumpBps > BPS) revert OracleErrorsLib.InvalidOraclePolicy("maxJumpBps");
        uint8 fbDec;
        if (address(p.fallbackFeed) != address(0)) {
            if (p.fallbackFeed == primary) revert OracleErrorsLib.InvalidOraclePolicy("fallbackFeed");
            fbDec = p.fallbackFeed.decimals();
            if (fbDec > 18) revert ErrorsLib.InvalidDecimals(fbDec);
        }
        if (address(p.sequencerFeed) == address(0) && p.gracePeriodSec != 0) {
            revert OracleErrorsLib.InvalidOraclePolicy("gracePeriodSec");
        }
        if (p.gracePeriodSec > MAX_GRACE_PERIOD_SEC) revert OracleErrorsLib.InvalidOraclePolicy("gracePeriodSec");
        _policies[asset] = p;
        fallbackDecimals[asset] = fbDec;
        (src.maxAgeSec, src.maxJumpBps, src.gracePeriodSec) = (p.maxAgeSec, p.maxJumpBps, p.gracePeriodSec);
        src.flags = (p.minPriceWad != 0 ? HAS_MIN_PRICE : 0) | (p.maxPriceWad != 0 ? HAS_MAX_PRICE : 0)
            | (address(p.fallbackFeed) != address(0) ? HAS_FALLBACK : 0)
            | (address(p.sequencerFeed) != address(0) ? HAS_SEQUENCER : 0);
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

    /// @notice The primary feed of `asset` and its decimals (zero: none).
    function feeds(address asset) external view returns (AggregatorV3Interface aggregator, uint8 decimals) {
        Source storage src = _sources[asset];
        return (src.aggregator, src.decimals);
    }

    /// @inheritdoc IPriceRouter
    /// @dev A policy with no price band, fallback or sequencer (no flag) is read from the one hot slot; its
    /// remaining fields are zero there, so the checks are the same as on the stored policy.
    function priceWad(address asset) external view returns (uint256) {
        Source memory src = _sources[asset];
        if (address(src.aggregator) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        if (src.flags == 0) {
            return _checkedPrice(asset, src.aggregator, src.decimals, src.maxAgeSec, src.maxJumpBps, 0, 0);
        }
        OraclePolicy memory p = _policies[asset];
        if (address(p.sequencerFeed) != address(0)) _checkSequencer(asset, p);
        if (address(p.fallbackFeed) == address(0)) return _checkedPrice(asset, src.aggregator, src.decimals, p);
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
        Source memory src = _sources[asset];
        if (address(src.aggregator) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        return _checkedPrice(asset, src.aggregator, src.decimals, p);
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
        if (upSince == 0) revert OracleErrorsLib.InvalidRound(asset, 0);
        if (upSince > block.timestamp || block.timestamp - upSince <= p.gracePeriodSec) {
            revert OracleErrorsLib.GracePeriodNotOver(upSince);
        }
    }

    /// @dev `_checkedPrice` under the stored policy `p`.
    function _checkedPrice(address asset, AggregatorV3Interface agg, uint8 dec, OraclePolicy memory p)
        internal
        view
        returns (uint256)
    {
        return _checkedPrice(asset, agg, dec, p.maxAgeSec, p.maxJumpBps, p.minPriceWad, p.maxPriceWad);
    }

    /// @dev The primary or fallback feed's price under the policy fields given (zero: that check off; the hot
    /// path passes its one slot's fields and no price band).
    function _checkedPrice(
        address asset,
        AggregatorV3Interface agg,
        uint8 dec,
        uint256 maxAgeSec,
        uint256 maxJumpBps,
        uint256 minPriceWad,
        uint256 maxPriceWad
    ) internal view returns (uint256 price) {
        uint80 roundId;
        int256 answer;
        uint256 updatedAt;
        uint80 answeredInRound;
        try agg.latestRoundData() returns (uint80 r, int256 a, uint256, uint256 u, uint80 air) {
            (roundId, answer, updatedAt, answeredInRound) = (r, a, u, air);
        } catch {
            revert OracleErrorsLib.FeedReverted(asset, address(agg));
        }
        price = _toWad(asset, answer, dec);
        if (updatedAt == 0 || updatedAt > block.timestamp || answeredInRound < roundId) {
            revert OracleErrorsLib.InvalidRound(asset, updatedAt);
        }
        uint256 maxAge = maxAgeSec == 0 ? DEFAULT_MAX_AGE_SEC : maxAgeSec;
        // updatedAt <= block.timestamp (checked above): no underflow.
        unchecked {
            if (block.timestamp - updatedAt > maxAge) revert OracleErrorsLib.StalePrice(asset, updatedAt);
        }
        if (price <= minPriceWad || (maxPriceWad != 0 && price >= maxPriceWad)) {
            revert OracleErrorsLib.PriceOutOfBounds(asset, price);
        }
        if (maxJumpBps != 0 && roundId != 0) _checkJump(asset, agg, roundId, answer, maxJumpBps);
    }

    /// @dev answer * 10^(18 - dec) after InvalidPrice (answer <= 0) and PriceOverflow (above MAX_PRICE_WAD).
    function _toWad(address asset, int256 answer, uint8 dec) internal pure returns (uint256) {
        if (answer <= 0) revert ErrorsLib.InvalidPrice(asset, answer);
        uint256 scale;
        // dec <= 18 (setFeed and setOraclePolicy reject more: InvalidDecimals), so 18 - dec >= 0 and
        // 10^(18 - dec) <= 10^18: no overflow, and one EXP instead of the checked power loop.
        unchecked {
            scale = 10 ** (18 - dec);
        }
        if (uint256(answer) > MAX_PRICE_WAD / scale) revert OracleErrorsLib.PriceOverflow(asset, answer);
        return uint256(answer) * scale;
    }

    /// @dev Circuit breaker: the previous round is the reference; a previous round that cannot be read, is
    /// not positive or is above MAX_PRICE_WAD (no valid answer is) gives no reference (the check passes).
    function _checkJump(address asset, AggregatorV3Interface agg, uint80 roundId, int256 answer, uint256 maxJumpBps)
        internal
        view
    {
        try agg.getRoundData(roundId - 1) returns (uint80, int256 prev, uint256, uint256, uint80) {
            if (prev <= 0 || uint256(prev) > MAX_PRICE_WAD) return;
            uint256 diff = answer > prev ? uint256(answer - prev) : uint256(prev - answer);
            if (diff * BPS > maxJumpBps * uint256(prev)) revert OracleErrorsLib.PriceJump(asset, answer, prev);
        } catch {}
    }
}
