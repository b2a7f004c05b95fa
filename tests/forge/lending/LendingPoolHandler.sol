// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {LendingPool} from "../../../contracts/lending/LendingPool.sol";
import {AuditBase} from "../utils/Cheats.sol";

/// @notice Drives a LendingPool with bounded calls from three accounts and an authorized operator, and
/// records the postconditions of each call (catalogue: borrow/withdraw leave HF >= 1, liquidation only
/// below HF 1, indexes monotone). The pool's ABI is called directly so the lead can adapt one action at
/// a time when the on-behalf entry points change.
contract LendingPoolHandler is AuditBase {
    uint256 internal constant WAD = 1e18;

    LendingPool public immutable pool;
    MockERC20[2] internal tokens;
    ScriptedFeed[2] internal feeds;
    address[3] internal actors = [address(0xA11CE), address(0xB0B), address(0xCA401)];
    address internal constant OPERATOR = address(0x0BE7);
    address internal constant LIQUIDATOR = address(0x11D);

    /// @notice Postcondition failures seen so far (each names the property in `lastViolation`).
    uint256 public violations;
    string public lastViolation;
    /// @notice How many calls of each kind succeeded (shows the run exercised the pool).
    mapping(bytes32 => uint256) public okCalls;

    uint256[2] internal lastBorrowIndex;
    uint256[2] internal lastSupplyIndex;
    uint256[2] internal lastBadDebt;

    constructor(LendingPool pool_, MockERC20 weth, MockERC20 usdc, ScriptedFeed wethFeed, ScriptedFeed usdcFeed) {
        pool = pool_;
        tokens = [weth, usdc];
        feeds = [wethFeed, usdcFeed];
        for (uint256 i; i < 3; ++i) {
            vm.prank(actors[i]);
            pool.setAuthorization(OPERATOR, true);
        }
        _snapshotIndexes();
    }

    // ------------------------------------------------------------------ actions

    function supply(uint256 actorSeed, uint256 assetSeed, uint256 amount) external {
        (address actor, MockERC20 token) = (_actor(actorSeed), tokens[assetSeed % 2]);
        amount = _bound(amount, 1, _unit(token) * 1_000_000 / _priceUnits(token));
        token.mint(actor, amount);
        vm.startPrank(actor);
        token.approve(address(pool), amount);
        try pool.supply(address(token), amount, actor) {
            okCalls["supply"]++;
        } catch {}
        vm.stopPrank();
        _afterCall();
    }

    function withdraw(uint256 actorSeed, uint256 assetSeed, uint256 amount) external {
        (address actor, MockERC20 token) = (_actor(actorSeed), tokens[assetSeed % 2]);
        amount = _withdrawAmount(actor, token, amount);
        vm.prank(actor);
        try pool.withdraw(address(token), amount, actor) {
            okCalls["withdraw"]++;
            _requireHealthy(actor, "withdraw left HF < 1");
        } catch {}
        _afterCall();
    }

    function withdrawOnBehalf(uint256 actorSeed, uint256 assetSeed, uint256 amount) external {
        (address actor, MockERC20 token) = (_actor(actorSeed), tokens[assetSeed % 2]);
        amount = _withdrawAmount(actor, token, amount);
        vm.prank(OPERATOR);
        try pool.withdrawOnBehalf(address(token), amount, actor, OPERATOR) {
            okCalls["withdrawOnBehalf"]++;
            _requireHealthy(actor, "withdrawOnBehalf left HF < 1");
        } catch {}
        _afterCall();
    }

    function borrow(uint256 actorSeed, uint256 assetSeed, uint256 amount) external {
        (address actor, MockERC20 token) = (_actor(actorSeed), tokens[assetSeed % 2]);
        amount = _borrowAmount(token, amount);
        vm.prank(actor);
        try pool.borrow(address(token), amount) {
            okCalls["borrow"]++;
            _requireHealthy(actor, "borrow left HF < 1");
        } catch {}
        _afterCall();
    }

    function borrowOnBehalf(uint256 actorSeed, uint256 assetSeed, uint256 amount) external {
        (address actor, MockERC20 token) = (_actor(actorSeed), tokens[assetSeed % 2]);
        amount = _borrowAmount(token, amount);
        vm.prank(OPERATOR);
        try pool.borrowOnBehalf(address(token), amount, actor, OPERATOR) {
            okCalls["borrowOnBehalf"]++;
            _requireHealthy(actor, "borrowOnBehalf left HF < 1");
        } catch {}
        _afterCall();
    }

    function repay(uint256 actorSeed, uint256 assetSeed, uint256 amount) external {
        (address actor, MockERC20 token) = (_actor(actorSeed), tokens[assetSeed % 2]);
        uint256 debt = pool.debtBalance(address(token), actor);
        amount = _bound(amount, 1, debt + debt / 10 + 1);
        token.mint(actor, amount);
        vm.startPrank(actor);
        token.approve(address(pool), amount);
        try pool.repay(address(token), amount, actor) {
            okCalls["repay"]++;
        } catch {}
        vm.stopPrank();
        _afterCall();
    }

    /// @dev HF is read after accrual in the same block (what `liquidate` itself sees).
    function liquidate(uint256 borrowerSeed, uint256 collSeed, uint256 amount) external {
        address borrower = _actor(borrowerSeed);
        MockERC20 coll = tokens[collSeed % 2];
        MockERC20 debtToken = tokens[(collSeed / 2) % 2];
        pool.accrueAll();
        uint256 hfBefore = pool.healthFactor(borrower);
        uint256 debt = pool.debtBalance(address(debtToken), borrower);
        amount = _bound(amount, 1, debt + 1);
        debtToken.mint(LIQUIDATOR, amount);
        vm.startPrank(LIQUIDATOR);
        debtToken.approve(address(pool), amount);
        try pool.liquidate(borrower, address(coll), address(debtToken), amount) {
            okCalls["liquidate"]++;
            if (hfBefore >= WAD) _violation("liquidated an account with HF >= 1");
        } catch {}
        vm.stopPrank();
        _afterCall();
    }

    /// @dev Moves one feed by -30%..+30% (the price stays within [1/16, 16] of its start).
    function movePrice(uint256 assetSeed, uint256 moveBps) external {
        uint256 i = assetSeed % 2;
        int256 start = i == 0 ? int256(3_000e8) : int256(1e8);
        (, int256 answer,,,) = feeds[i].latestRoundData();
        int256 next = answer * int256(_bound(moveBps, 7_000, 13_000)) / 10_000;
        if (next < start / 16) next = start / 16;
        if (next > start * 16) next = start * 16;
        feeds[i].setAnswer(next);
        _afterCall();
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 1, 30 days));
        feeds[0].setAnswer(_answer(0));
        feeds[1].setAnswer(_answer(1));
        _afterCall();
    }

    function accrueAll() external {
        pool.accrueAll();
        _afterCall();
    }

    // ------------------------------------------------------------------ views for the invariants

    function actorAt(uint256 i) external view returns (address) {
        return actors[i];
    }

    function tokenAt(uint256 i) external view returns (MockERC20) {
        return tokens[i];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Index monotonicity (SPEC §5.2): BI never falls; SI falls only with a bad-debt write-off.
    function _afterCall() internal {
        for (uint256 i; i < 2; ++i) {
            LendingPool.AssetState memory s = pool.getAssetState(address(tokens[i]));
            if (s.borrowIndexRay < lastBorrowIndex[i]) _violation("borrow index fell");
            if (s.supplyIndexRay < lastSupplyIndex[i] && s.badDebt == lastBadDebt[i]) {
                _violation("supply index fell without a bad-debt write-off");
            }
            if (s.supplyIndexRay == 0) _violation("supply index reached 0");
            if (s.badDebt < lastBadDebt[i]) _violation("bad debt decreased");
        }
        _snapshotIndexes();
    }

    function _snapshotIndexes() internal {
        for (uint256 i; i < 2; ++i) {
            LendingPool.AssetState memory s = pool.getAssetState(address(tokens[i]));
            (lastBorrowIndex[i], lastSupplyIndex[i], lastBadDebt[i]) = (s.borrowIndexRay, s.supplyIndexRay, s.badDebt);
        }
    }

    function _requireHealthy(address account, string memory what) internal {
        (uint256 adjustedWad,, uint256 debtWad) = pool.accountValues(account);
        if (adjustedWad < debtWad) _violation(what);
    }

    function _violation(string memory what) internal {
        violations++;
        lastViolation = what;
    }

    function _withdrawAmount(address actor, MockERC20 token, uint256 amount) internal view returns (uint256) {
        uint256 balance = pool.supplyBalance(address(token), actor);
        if (amount % 8 == 0) return type(uint256).max;
        return _bound(amount, 1, balance + 1);
    }

    function _borrowAmount(MockERC20 token, uint256 amount) internal view returns (uint256) {
        return _bound(amount, 1, token.balanceOf(address(pool)) + 1);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 3];
    }

    function _answer(uint256 i) internal view returns (int256 answer) {
        (, answer,,,) = feeds[i].latestRoundData();
    }

    function _unit(MockERC20 token) internal view returns (uint256) {
        return 10 ** token.decimals();
    }

    /// @dev Whole-dollar price of one whole token at the start (sizes the supplies to about $1M at most).
    function _priceUnits(MockERC20 token) internal view returns (uint256) {
        return token == tokens[0] ? 3_000 : 1;
    }
}
