// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {LendingPool} from "../lending/LendingPool.sol";
import {IFlashLoanReceiver} from "../interfaces/IFlashLoanReceiver.sol";

/// @notice Scripted flash-loan receiver for attack tests (tests/chain/test_inprocess_flash_loan.py): inside
/// `onFlashLoan` it makes a list of calls (re-entries into the pool, donations, swaps on a pair, ...), each of
/// which must succeed (a revert bubbles up with its own data), then approves the pool for `amount + fee +
/// repayAdjust` of the asset and returns `magic` (zero: the pool's success value).
contract FlashScriptReceiver is IFlashLoanReceiver {
    using SafeERC20 for IERC20;

    LendingPool public immutable pool;
    address[] internal _targets;
    bytes[] internal _payloads;
    /// @notice Added to `amount + fee` in the repayment approval (negative: the receiver pays back less).
    int256 public repayAdjust;
    /// @notice What `onFlashLoan` returns; zero means the pool's `FLASH_LOAN_CALLBACK_SUCCESS`.
    bytes32 public magic;

    constructor(LendingPool pool_) {
        pool = pool_;
    }

    /// @notice Sets the calls the callback makes (`targets[i]` with `payloads[i]`), the repayment adjustment and
    /// the returned value.
    function setScript(address[] calldata targets, bytes[] calldata payloads, int256 repayAdjust_, bytes32 magic_)
        external
    {
        require(targets.length == payloads.length, "lengths");
        delete _targets;
        delete _payloads;
        for (uint256 i; i < targets.length; ++i) {
            _targets.push(targets[i]);
            _payloads.push(payloads[i]);
        }
        repayAdjust = repayAdjust_;
        magic = magic_;
    }

    /// @notice Takes a flash loan of `amount` of `asset` from the pool, with `data` for the callback.
    function borrow(address asset, uint256 amount, bytes calldata data) external {
        pool.flashLoan(this, asset, amount, data);
    }

    /// @notice One call from this contract outside any flash loan (approvals, a supply of its own).
    function execute(address target, bytes calldata payload) external {
        _call(target, payload);
    }

    /// @inheritdoc IFlashLoanReceiver
    function onFlashLoan(address, address asset, uint256 amount, uint256 fee, bytes calldata)
        external
        returns (bytes32)
    {
        for (uint256 i; i < _targets.length; ++i) {
            _call(_targets[i], _payloads[i]);
        }
        IERC20(asset).forceApprove(address(pool), uint256(int256(amount + fee) + repayAdjust));
        return magic == bytes32(0) ? pool.FLASH_LOAN_CALLBACK_SUCCESS() : magic;
    }

    function _call(address target, bytes memory payload) internal {
        (bool ok, bytes memory ret) = target.call(payload);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
