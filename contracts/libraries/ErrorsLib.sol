// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ErrorsLib
/// @notice Every custom error of the lending core. The exact model raises exceptions of the same names
/// (protocol_model/exact/errors.py), so a cross-check compares revert reasons by name.
library ErrorsLib {
    error ZeroAmount();
    error ZeroAddress();
    error AssetNotListed(address asset);
    error AssetAlreadyListed(address asset);
    error LtvAboveThreshold(uint256 ltvBps, uint256 liquidationThresholdBps);
    error ThresholdTooHigh(uint256 liquidationThresholdBps);
    error LiquidationBonusTooHigh(uint256 liquidationThresholdBps, uint256 liquidationBonusBps);
    error FeeTooHigh(uint256 feeBps);
    error InvalidCloseFactor(uint256 closeFactorBps, uint256 fullCloseHfWad);
    /// @notice A rate curve whose kink is not in (0, 100%) (`KinkedRateModel`), or a rate model address without code
    /// (`listAsset`, `setRateModel`: every accrual would revert on the call).
    error InvalidRateModel();
    /// @notice A rate curve whose rate at 100% utilization, `base + slope1 + slope2`, is above
    /// `KinkedRateModel.MAX_BORROW_RATE_PER_SECOND_RAY` (1,000% a year).
    error BorrowRateTooHigh(uint256 baseRay, uint256 slope1Ray, uint256 slope2Ray);
    /// @notice Decimals out of range: a listed token's above `LendingPool.MAX_DECIMALS` (24), a feed's above 18.
    error InvalidDecimals(uint8 decimals);
    /// @notice `minLeftoverUsdWad` above `LendingPool.MAX_MIN_LEFTOVER_USD_WAD` (a liquidation's dust test would
    /// overflow).
    error InvalidMinLeftover(uint256 minLeftoverUsdWad);
    /// @notice The pool lists `maxAssets` assets already (one bit each in the account bitmaps).
    error TooManyAssets(uint256 maxAssets);
    error SupplyPaused();
    error BorrowPaused();
    error BorrowNotEnabled(address asset);
    error SupplyCapExceeded(address asset);
    error BorrowCapExceeded(address asset);
    error ZeroScaledAmount();
    error InsufficientBalance();
    error InsufficientLiquidity(address asset);
    error InsufficientCollateral();
    error HealthFactorTooLow();
    error NoDebt();
    error NoCollateral();
    error CollateralNotEnabled(address asset);
    /// @notice `setUseAsCollateral(asset, true)` by an account with no supply of `asset` (consent needs a balance).
    error NoSupplyBalance(address asset);
    error HealthyAccount();
    /// @notice The liquidation would seize no collateral (the repayment buys less than one unit).
    error NothingToSeize();
    /// @notice The liquidation would reduce no debt (the repayment is less than one scaled debt unit).
    error NothingToRepay();
    /// @notice The liquidation would leave a debt or collateral position worth less than `minLeftoverUsdWad`.
    error MustNotLeaveDust();
    error FeedNotSet(address asset);
    error InvalidPrice(address asset, int256 answer);
}
