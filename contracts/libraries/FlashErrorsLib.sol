// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlashErrorsLib
/// @notice Custom errors of the pool's flash-loan and delegation sections (twin: protocol_model/exact/errors.py).
library FlashErrorsLib {
    /// @notice `caller` may not act for `onBehalf` (not the account itself, not authorized by it).
    error Unauthorized(address caller, address onBehalf);
    /// @notice A flash loan was started while another one is still open.
    error FlashLoanReentrancy();
    /// @notice The receiver's `onFlashLoan` did not return `FLASH_LOAN_CALLBACK_SUCCESS`.
    error FlashLoanCallbackFailed();
    /// @notice The flash-loan fee is above `MAX_FLASH_LOAN_FEE_BPS`.
    error FlashLoanFeeTooHigh(uint256 feeBps);
}
