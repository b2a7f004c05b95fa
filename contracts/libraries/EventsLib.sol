// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title EventsLib
/// @notice Every event of the lending core.
library EventsLib {
    event AssetListed(address indexed asset, address rateModel, uint8 decimals);
    event AssetConfigUpdated(address indexed asset);
    event RateModelUpdated(address indexed asset, address rateModel);
    event CloseFactorUpdated(uint256 closeFactorBps, uint256 fullCloseHfWad);
    event PauseUpdated(bool supplyPaused, bool borrowPaused);
    event MinLeftoverUpdated(uint256 minLeftoverUsdWad);
    event UseAsCollateralSet(address indexed account, address indexed asset, bool enabled);
    event InterestAccrued(
        address indexed asset, uint256 borrowIndexRay, uint256 supplyIndexRay, uint256 interest, uint256 toReserves
    );
    event Supply(address indexed asset, address indexed caller, address indexed onBehalf, uint256 amount, uint256 scaled);
    /// @notice `caller` withdrew `amount` of `onBehalf`'s supply to `receiver` (caller == onBehalf for `withdraw`).
    event Withdraw(
        address indexed asset, address indexed onBehalf, address indexed caller, address receiver, uint256 amount, uint256 scaled
    );
    /// @notice `caller` borrowed `amount` as debt of `onBehalf`, sent to `receiver` (all equal for `borrow`).
    event Borrow(
        address indexed asset, address indexed onBehalf, address indexed caller, address receiver, uint256 amount, uint256 scaled
    );
    event Repay(address indexed asset, address indexed caller, address indexed onBehalf, uint256 amount, uint256 scaled);
    event Liquidate(
        address indexed borrower,
        address indexed liquidator,
        address collateralAsset,
        address debtAsset,
        uint256 repaid,
        uint256 seized,
        uint256 protocolFee
    );
    event BadDebtWrittenOff(
        address indexed account, address indexed asset, uint256 amount, uint256 fromReserves, uint256 fromSuppliers
    );
    event FeedSet(address indexed asset, address feed, uint8 decimals);
}
