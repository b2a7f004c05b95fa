// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {LendingPool} from "../../../contracts/lending/LendingPool.sol";
import {MathLib} from "../../../contracts/libraries/MathLib.sol";
import {InvariantBase} from "../utils/Cheats.sol";
import {MarketDeploy} from "../utils/Deploy.sol";
import {LendingPoolHandler} from "./LendingPoolHandler.sol";

/// @notice LendingPool invariants (docs/SPEC.md §5) after every call of a random handler sequence.
contract LendingPoolInvariants is InvariantBase, MarketDeploy {
    using MathLib for uint256;

    uint256 internal constant RAY = 1e27;
    LendingPoolHandler internal handler;

    function setUp() public {
        _deployMarket();
        handler = new LendingPoolHandler(pool, weth, usdc, wethFeed, usdcFeed);
        _target(address(handler));
    }

    /// @notice One campaign checks every property below after every call (forge runs one campaign per
    /// invariant function, so they are grouped to keep `make test` short).
    function invariant_lendingPool() public view {
        _solvency();
        _scaledTotals();
        _postconditions();
    }

    /// @notice SPEC §5.1: balanceOf(pool) >= S - D + reserves per asset, S = ⌊TSS·SI/RAY⌋ (claims rounded
    /// down) and D = ⌈TSD·BI/RAY⌉ (debts rounded up); after a write-off that floors SI at 1 the remaining
    /// ⌊TSS/RAY⌋ may be uncovered (the stated exception).
    function _solvency() internal view {
        for (uint256 i; i < 2; ++i) {
            MockERC20 token = handler.tokenAt(i);
            LendingPool.AssetState memory s = pool.getAssetState(address(token));
            uint256 claims = s.totalScaledSupply.rayMulDown(s.supplyIndexRay) + s.reserves;
            uint256 covered = token.balanceOf(address(pool)) + s.totalScaledDebt.rayMulUp(s.borrowIndexRay);
            if (s.supplyIndexRay == 1) covered += s.totalScaledSupply / RAY;
            require(covered >= claims, "solvency: balance < supplies - borrows + reserves");
        }
    }

    /// @notice Scaled totals are the exact sums of the accounts' scaled balances; per-account balances
    /// (rounded down) never exceed the total supply and debts (rounded up) cover the total debt.
    function _scaledTotals() internal view {
        for (uint256 i; i < 2; ++i) {
            address token = address(handler.tokenAt(i));
            LendingPool.AssetState memory s = pool.getAssetState(token);
            (uint256 sc, uint256 sd, uint256 bal, uint256 debt) = (0, 0, 0, 0);
            for (uint256 a; a < 3; ++a) {
                address actor = handler.actorAt(a);
                sc += pool.scaledSupplyOf(token, actor);
                sd += pool.scaledDebtOf(token, actor);
                bal += pool.supplyBalance(token, actor);
                debt += pool.debtBalance(token, actor);
            }
            require(sc == s.totalScaledSupply, "total scaled supply != sum of accounts");
            require(sd == s.totalScaledDebt, "total scaled debt != sum of accounts");
            require(bal <= s.totalScaledSupply.rayMulDown(s.supplyIndexRay), "sum of balances > total supply");
            require(debt >= s.totalScaledDebt.rayMulUp(s.borrowIndexRay), "sum of debts < total debt");
        }
    }

    /// @notice Postconditions recorded by the handler: borrow/withdraw (own and on behalf) leave HF >= 1,
    /// liquidation only below HF 1, BI never falls, SI falls only with a recorded bad-debt write-off.
    function _postconditions() internal view {
        require(handler.violations() == 0, handler.lastViolation());
    }
}

/// @notice The handler is not vacuous: a fixed sequence reaches supply, borrow (own and on behalf),
/// withdraw, repay and a liquidation after a price drop.
contract LendingPoolHandlerReach is MarketDeploy {
    function test_handlerReachesEveryAction() public {
        _deployMarket();
        LendingPoolHandler h = new LendingPoolHandler(pool, weth, usdc, wethFeed, usdcFeed);
        h.supply(0, 0, 10e18); // actor 0: 10 WETH
        h.supply(1, 1, 500_000e6); // actor 1: USDC liquidity
        h.borrow(0, 1, 20_000e6);
        h.borrowOnBehalf(0, 1, 1_000e6);
        h.withdraw(0, 0, 1e17 + 1);
        h.repay(0, 1, 500e6);
        h.warp(7 days);
        h.movePrice(0, 7_000); // WETH -30%
        h.movePrice(0, 8_000); // WETH -20% more
        h.liquidate(0, 0 + 2 * 1, 10_000e6); // collateral WETH, debt USDC
        string[7] memory kinds = ["supply", "borrow", "borrowOnBehalf", "withdraw", "repay", "liquidate", "x"];
        for (uint256 i; i < 6; ++i) {
            require(h.okCalls(bytes32(bytes(kinds[i]))) > 0, kinds[i]);
        }
        require(h.violations() == 0, h.lastViolation());
    }
}
