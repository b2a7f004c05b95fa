// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PerpEventsLib
/// @notice Events of the perpetual margin engine.
library PerpEventsLib {
    event MarketListed(uint256 indexed marketId, address indexAsset, uint256 markPriceWad);
    event MarketParamsUpdated(uint256 indexed marketId);
    event Deposit(address indexed account, uint256 amount, uint256 amountWad);
    event Withdraw(address indexed account, uint256 amount, uint256 amountWad);
    event InsuranceFunded(address indexed from, uint256 amount, uint256 amountWad);
    event MarginModeSet(address indexed account, uint256 indexed marketId, bool isolated);
    event MarginTransferred(address indexed account, uint256 indexed marketId, int256 amountWad);
    event FundingAccrued(uint256 indexed marketId, int256 premiumWad, int256 fundingRateWad, int256 indexDeltaWad);
    event Trade(
        uint256 indexed marketId, address indexed buyer, address indexed seller, uint256 sizeWad, uint256 priceWad
    );
    event Liquidation(
        uint256 indexed marketId,
        address indexed account,
        address indexed liquidator,
        int256 closedSizeWad,
        uint256 priceWad,
        uint256 penaltyWad,
        uint256 liquidatorRewardWad
    );
    event Bankruptcy(
        uint256 indexed marketId, address indexed account, uint256 shortfallWad, uint256 fromInsuranceWad,
        uint256 socializedWad, uint256 unsocializedWad
    );
}
