// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFlashLoanReceiver
/// @notice Callback of `LendingPool.flashLoan` (shaped like ERC-3156's `onFlashLoan`).
interface IFlashLoanReceiver {
    /// @notice Called after `amount` of `asset` was sent to the receiver. Before returning, the receiver must
    /// have approved the pool for `amount + fee`; the pool then pulls it back.
    /// @return The magic value `keccak256("LendingPool.onFlashLoan")`.
    function onFlashLoan(address initiator, address asset, uint256 amount, uint256 fee, bytes calldata data)
        external
        returns (bytes32);
}
