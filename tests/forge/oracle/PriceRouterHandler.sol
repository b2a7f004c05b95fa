// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {PriceRouter} from "../../../contracts/oracle/PriceRouter.sol";
import {AggregatorV3Interface} from "../../../contracts/interfaces/AggregatorV3Interface.sol";
import {AuditBase} from "../utils/Cheats.sol";

/// @notice Drives one asset's feeds (primary, fallback, sequencer), the clock and its oracle policy with
/// bounded values, including the failures the policy must reject: non-positive answers, stale, future and
/// zero-time rounds, jumps, reverting feeds, a sequencer down or in its grace period.
contract PriceRouterHandler is AuditBase {
    PriceRouter public immutable router;
    address public immutable asset;
    ScriptedFeed public immutable primary;
    ScriptedFeed public immutable fallbackFeed;
    ScriptedFeed public immutable sequencer;
    uint256 public policiesSet;

    constructor(PriceRouter router_, address asset_, ScriptedFeed primary_, ScriptedFeed fallback_, ScriptedFeed seq) {
        (router, asset, primary, fallbackFeed, sequencer) = (router_, asset_, primary_, fallback_, seq);
    }

    /// @dev Answers around $3,000 (8 decimals), sometimes 0 or negative; rounds 0..2 h old.
    function pushPrimary(uint256 answerSeed, uint256 ageSeed) external {
        primary.pushRound(_answer(answerSeed), _bound(ageSeed, 0, 2 hours));
    }

    function pushFallback(uint256 answerSeed, uint256 ageSeed) external {
        fallbackFeed.pushRound(_answer(answerSeed), _bound(ageSeed, 0, 2 hours));
    }

    function setReverting(bool onPrimary, bool reverting) external {
        (onPrimary ? primary : fallbackFeed).setReverting(reverting);
    }

    function setSequencerStatus(bool up) external {
        sequencer.setSequencerStatus(up);
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 1, 3 hours));
    }

    /// @dev A random policy; impossible ones are rejected by the router (and ignored here).
    function setPolicy(uint256 ageSeed, uint256 boundsSeed, uint256 jumpSeed, uint256 flags) external {
        PriceRouter.OraclePolicy memory p;
        p.maxAgeSec = uint32(ageSeed % 3 == 0 ? 0 : _bound(ageSeed, 60, 2 hours));
        p.minPriceWad = boundsSeed % 3 == 0 ? 0 : _bound(boundsSeed, 1_000e18, 3_000e18);
        p.maxPriceWad = (boundsSeed / 3) % 3 == 0 ? 0 : _bound(boundsSeed >> 8, 2_000e18, 6_000e18);
        p.maxJumpBps = uint16(jumpSeed % 3 == 0 ? 0 : _bound(jumpSeed, 100, 5_000));
        if (flags & 1 != 0) p.fallbackFeed = AggregatorV3Interface(address(fallbackFeed));
        if (flags & 2 != 0) {
            p.sequencerFeed = AggregatorV3Interface(address(sequencer));
            p.gracePeriodSec = uint32(_bound(flags >> 2, 0, 1 hours));
        }
        try router.setOraclePolicy(asset, p) {
            policiesSet++;
        } catch {}
    }

    function _answer(uint256 seed) internal pure returns (int256) {
        if (seed % 16 == 0) return -int256(_bound(seed >> 4, 0, 10e8));
        return int256(_bound(seed >> 4, 500e8, 6_000e8));
    }
}
