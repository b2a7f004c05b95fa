// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlashEventsLib
/// @notice Events of the pool's flash-loan and delegation sections.
library FlashEventsLib {
    event FlashLoan(address indexed receiver, address indexed initiator, address indexed asset, uint256 amount, uint256 fee);
    event FlashLoanFeeUpdated(uint256 feeBps);
    event AuthorizationSet(address indexed account, address indexed operator, bool authorized);
}
