// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {PriceRouter} from "../../../contracts/oracle/PriceRouter.sol";
import {LendingPool} from "../../../contracts/lending/LendingPool.sol";
import {KinkedRateModel} from "../../../contracts/lending/KinkedRateModel.sol";
import {IPriceRouter} from "../../../contracts/interfaces/IPriceRouter.sol";
import {AuditBase} from "./Cheats.sol";

/// @notice A small market every suite starts from: WETH (18 decimals, $3,000) and USDC (6 decimals, $1)
/// on scripted 8-decimal feeds, a PriceRouter without policies and a LendingPool listing both
/// (WETH: LTV 80%, threshold 85%, bonus 5%; USDC: 85% / 90% / 4%; 10% reserve factor). The deployer
/// (this contract) is admin of both.
abstract contract MarketDeploy is AuditBase {
    MockERC20 internal weth;
    MockERC20 internal usdc;
    ScriptedFeed internal wethFeed;
    ScriptedFeed internal usdcFeed;
    PriceRouter internal router;
    LendingPool internal pool;

    function _deployMarket() internal {
        vm.warp(1_700_000_000);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        wethFeed = new ScriptedFeed(8, 3_000e8, "WETH / USD");
        usdcFeed = new ScriptedFeed(8, 1e8, "USDC / USD");
        router = new PriceRouter(address(this));
        router.setFeed(address(weth), wethFeed);
        router.setFeed(address(usdc), usdcFeed);
        pool = new LendingPool(address(this), IPriceRouter(address(router)));
        pool.grantRole(pool.RISK_ADMIN_ROLE(), address(this));
        // base 0, slope1 4%/yr, slope2 75%/yr per second in RAY, kink at 80%
        KinkedRateModel model = new KinkedRateModel(0, 1_268_391_679_350_583_460, 23_782_343_987_823_439_878, 0.8e18);
        pool.listAsset(address(weth), model, LendingPool.AssetConfig(8_000, 8_500, 500, 1_000, 1_000, true, true, 0, 0));
        pool.listAsset(address(usdc), model, LendingPool.AssetConfig(8_500, 9_000, 400, 1_000, 1_000, true, true, 0, 0));
    }
}
