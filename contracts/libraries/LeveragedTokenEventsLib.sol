// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title LeveragedTokenEventsLib
/// @notice Events of contracts/strategies/LeveragedToken.sol (deposits and redemptions use ERC-4626's).
library LeveragedTokenEventsLib {
    event Rebalanced(
        address indexed caller, uint256 leverageBeforeWad, uint256 leverageAfterWad, uint256 tradedDebt, uint256 feeShares
    );
    event Ripcord(
        address indexed caller, uint256 leverageBeforeWad, uint256 leverageAfterWad, uint256 tradedDebt, uint256 reward
    );
    event ManagementFeeAccrued(address indexed recipient, uint256 shares, uint256 elapsedSeconds);
    event ParamsUpdated(uint256 targetLeverageWad, uint256 minLeverageWad, uint256 maxLeverageWad, uint256 ripcordLeverageWad);
    event FeeRecipientUpdated(address recipient);
}
