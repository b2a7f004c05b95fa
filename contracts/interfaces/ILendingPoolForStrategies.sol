// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPriceRouter} from "./IPriceRouter.sol";

/// @notice The part of contracts/lending/LendingPool.sol a strategy vault calls.
interface ILendingPoolForStrategies {
    function priceRouter() external view returns (IPriceRouter);
    function accrueAll() external;
    function supply(address asset, uint256 amount, address onBehalf) external;
    function withdraw(address asset, uint256 amount, address to) external returns (uint256);
    function borrow(address asset, uint256 amount) external;
    function repay(address asset, uint256 amount, address onBehalf) external returns (uint256);
    function supplyBalance(address asset, address account) external view returns (uint256);
    function debtBalance(address asset, address account) external view returns (uint256);
    function accountValues(address account)
        external
        view
        returns (uint256 adjustedCollateralWad, uint256 borrowCapacityWad, uint256 debtWad);
    function configs(address asset)
        external
        view
        returns (uint16, uint16 liquidationThresholdBps, uint16, uint16, uint16, bool, bool, uint256, uint256);
}
