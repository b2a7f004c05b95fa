// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {PriceRouter} from "../../../contracts/oracle/PriceRouter.sol";
import {AggregatorV3Interface} from "../../../contracts/interfaces/AggregatorV3Interface.sol";
import {InvariantBase} from "../utils/Cheats.sol";
import {PriceRouterHandler} from "./PriceRouterHandler.sol";

/// @notice PriceRouter invariants (docs/oracles/policy.md) after every call: a price it returns lies
/// strictly inside the policy band, comes from a positive, fresh (maxAge), non-jumping round of the primary
/// or (only when the primary is rejected) the fallback, never while the sequencer is down or in its grace
/// period; and an acceptable primary is always returned.
contract PriceRouterInvariants is InvariantBase {
    uint256 internal constant BPS = 10_000;

    PriceRouter internal router;
    PriceRouterHandler internal handler;
    address internal asset;

    function setUp() public {
        vm.warp(1_700_000_000);
        asset = address(new MockERC20("Wrapped Ether", "WETH", 18));
        ScriptedFeed primary = new ScriptedFeed(8, 3_000e8, "WETH / USD");
        ScriptedFeed fallbackFeed = new ScriptedFeed(8, 3_010e8, "WETH / USD fallback");
        ScriptedFeed sequencer = new ScriptedFeed(0, 0, "sequencer uptime");
        router = new PriceRouter(address(this));
        router.setFeed(asset, primary);
        handler = new PriceRouterHandler(router, asset, primary, fallbackFeed, sequencer);
        router.grantRole(router.DEFAULT_ADMIN_ROLE(), address(handler));
        _target(address(handler));
    }

    function invariant_priceRouter() public view {
        PriceRouter.OraclePolicy memory p = router.oraclePolicy(asset);
        (bool primaryOk, uint256 primaryPrice) = _accepts(handler.primary(), p);
        (bool fallbackOk, uint256 fallbackPrice) = address(p.fallbackFeed) == address(0)
            ? (false, 0)
            : _accepts(ScriptedFeed(address(p.fallbackFeed)), p);
        bool sequencerOk = address(p.sequencerFeed) == address(0) || _sequencerUp(p);
        try router.priceWad(asset) returns (uint256 price) {
            require(sequencerOk, "price returned while the sequencer is down or in its grace period");
            require(price > p.minPriceWad, "price at or below the policy floor");
            require(p.maxPriceWad == 0 || price < p.maxPriceWad, "price at or above the policy cap");
            if (primaryOk) require(price == primaryPrice, "acceptable primary not returned");
            else require(fallbackOk && price == fallbackPrice, "price from a rejected (stale/jumping/bad) round");
        } catch {
            require(!sequencerOk || (!primaryOk && !fallbackOk), "reverted with an acceptable source");
        }
    }

    /// @dev The policy's acceptance rule for one source, written from docs/oracles/policy.md.
    function _accepts(ScriptedFeed feed, PriceRouter.OraclePolicy memory p) internal view returns (bool, uint256) {
        if (feed.reverting()) return (false, 0);
        (uint80 roundId, int256 answer,, uint256 updatedAt,) = feed.latestRoundData();
        if (answer <= 0) return (false, 0);
        if (p.maxAgeSec != 0) {
            if (updatedAt == 0 || updatedAt > block.timestamp) return (false, 0);
            if (block.timestamp - updatedAt > p.maxAgeSec) return (false, 0);
        }
        uint256 price = uint256(answer) * 10 ** (18 - feed.decimals());
        if (price <= p.minPriceWad || (p.maxPriceWad != 0 && price >= p.maxPriceWad)) return (false, 0);
        if (p.maxJumpBps != 0 && roundId > 1) {
            (, int256 prev,,,) = feed.getRoundData(roundId - 1);
            if (prev > 0) {
                uint256 diff = answer > prev ? uint256(answer - prev) : uint256(prev - answer);
                if (diff * BPS > uint256(p.maxJumpBps) * uint256(prev)) return (false, 0);
            }
        }
        return (true, price);
    }

    function _sequencerUp(PriceRouter.OraclePolicy memory p) internal view returns (bool) {
        (, int256 status, uint256 startedAt,,) = AggregatorV3Interface(address(p.sequencerFeed)).latestRoundData();
        return status == 0 && startedAt <= block.timestamp && block.timestamp - startedAt > p.gracePeriodSec;
    }
}
