// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {PerpEngine} from "../../../contracts/perp/PerpEngine.sol";
import {AuditBase} from "../utils/Cheats.sol";

/// @notice Drives a PerpEngine (two markets) with bounded calls from three accounts; the handler is the
/// operator that settles matched trades within the price band. Any account may liquidate another.
contract PerpEngineHandler is AuditBase {
    PerpEngine public immutable engine;
    MockERC20 public immutable usdc;
    ScriptedFeed[2] internal feeds;
    int256[2] internal startAnswers;
    address[3] internal actors = [address(0xA11CE), address(0xB0B), address(0xCA401)];
    mapping(bytes32 => uint256) public okCalls;

    constructor(PerpEngine engine_, MockERC20 usdc_, ScriptedFeed ethFeed, ScriptedFeed btcFeed) {
        (engine, usdc) = (engine_, usdc_);
        feeds = [ethFeed, btcFeed];
        startAnswers = [int256(3_000e8), int256(60_000e8)];
    }

    function deposit(uint256 actorSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        amount = _bound(amount, 1, 1_000_000e6);
        usdc.mint(actor, amount);
        vm.startPrank(actor);
        usdc.approve(address(engine), amount);
        try engine.deposit(amount) {
            okCalls["deposit"]++;
        } catch {}
        vm.stopPrank();
    }

    function fundInsurance(uint256 amount) external {
        amount = _bound(amount, 1, 100_000e6);
        usdc.mint(address(this), amount);
        usdc.approve(address(engine), amount);
        try engine.fundInsurance(amount) {
            okCalls["fundInsurance"]++;
        } catch {}
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        int256 bal = engine.crossBalanceWad(actor);
        uint256 max = bal > 0 ? uint256(bal) / engine.unitScale() : 0;
        vm.prank(actor);
        try engine.withdraw(_bound(amount, 1, max + 1)) {
            okCalls["withdraw"]++;
        } catch {}
    }

    function setMarginMode(uint256 actorSeed, uint256 id, bool isolated) external {
        vm.prank(_actor(actorSeed));
        try engine.setMarginMode(id % 2, isolated) {
            okCalls["setMarginMode"]++;
        } catch {}
    }

    /// @dev Positive: cross → isolated; negative: back. Bounded by the source balance (+1 to hit the error).
    function transferMargin(uint256 actorSeed, uint256 id, uint256 amount, bool toIsolated) external {
        address actor = _actor(actorSeed);
        id %= 2;
        int256 source = toIsolated ? engine.crossBalanceWad(actor) : engine.isolatedBalanceWad(actor, id);
        uint256 max = source > 0 ? uint256(source) : 0;
        int256 a = int256(_bound(amount, 1, max + 1));
        vm.prank(actor);
        try engine.transferMargin(id, toIsolated ? a : -a) {
            okCalls["transferMargin"]++;
        } catch {}
    }

    /// @dev Size up to 50 whole units, price within ±(band + 0.5%) of the index (some outside the band).
    function trade(uint256 id, uint256 buyerSeed, uint256 sellerSeed, uint256 size, uint256 offsetBps) external {
        id %= 2;
        (address buyer, address seller) = (_actor(buyerSeed), _actor(sellerSeed));
        size = _bound(size, 1e15, 50e18) / (id == 1 ? 20 : 1);
        uint256 index = uint256(_answer(id)) * 1e10;
        uint256 off = _bound(offsetBps, 0, 500);
        uint256 price = index * (10_000 + off - 250) / 10_000;
        try engine.trade(id, buyer, seller, size, price) {
            okCalls["trade"]++;
        } catch {}
    }

    function liquidate(uint256 liquidatorSeed, uint256 accountSeed, uint256 id) external {
        vm.prank(_actor(liquidatorSeed));
        try engine.liquidate(_actor(accountSeed), id % 2) {
            okCalls["liquidate"]++;
        } catch {}
    }

    /// @dev One index moves -20%..+20%, kept within [1/8, 8] of its start.
    function movePrice(uint256 id, uint256 moveBps) external {
        id %= 2;
        int256 next = _answer(id) * int256(_bound(moveBps, 8_000, 12_000)) / 10_000;
        if (next < startAnswers[id] / 8) next = startAnswers[id] / 8;
        if (next > startAnswers[id] * 8) next = startAnswers[id] * 8;
        feeds[id].setAnswer(next);
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 1, 1 days));
    }

    function actorAt(uint256 i) external view returns (address) {
        return actors[i];
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 3];
    }

    function _answer(uint256 id) internal view returns (int256 answer) {
        (, answer,,,) = feeds[id].latestRoundData();
    }
}
