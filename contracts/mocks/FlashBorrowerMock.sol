// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {LendingPool} from "../lending/LendingPool.sol";
import {IFlashLoanReceiver} from "../interfaces/IFlashLoanReceiver.sol";

/// @notice Test receiver for LendingPool.flashLoan; `mode` picks an honest or a misbehaving callback.
contract FlashBorrowerMock is IFlashLoanReceiver {
    enum Mode {
        Repay, // approve amount + fee, return the magic value
        NoApproval, // return the magic value without approving the repayment
        WrongMagic, // approve, but return another value
        Nested, // start a second flash loan from inside the callback
        SupplyAsRepayment // supply the borrowed tokens back to the pool for itself, approve nothing
    }

    LendingPool public immutable pool;
    Mode public mode;

    constructor(LendingPool pool_) {
        pool = pool_;
    }

    /// @notice Sets the callback's behaviour.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Borrows `amount` of `asset` in a flash loan.
    function borrow(address asset, uint256 amount) external {
        pool.flashLoan(this, asset, amount, "");
    }

    /// @inheritdoc IFlashLoanReceiver
    function onFlashLoan(address, address asset, uint256 amount, uint256 fee, bytes calldata)
        external
        returns (bytes32)
    {
        if (mode == Mode.Nested) pool.flashLoan(this, asset, amount, "");
        if (mode == Mode.SupplyAsRepayment) {
            IERC20(asset).approve(address(pool), amount);
            pool.supply(asset, amount, address(this));
            return pool.FLASH_LOAN_CALLBACK_SUCCESS();
        }
        if (mode != Mode.NoApproval) IERC20(asset).approve(address(pool), amount + fee);
        return mode == Mode.WrongMagic ? bytes32(0) : pool.FLASH_LOAN_CALLBACK_SUCCESS();
    }
}
