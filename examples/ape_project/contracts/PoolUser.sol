// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The parts of an ERC-20 token PoolUser uses.
interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
}

/// @notice The parts of protocol_model's LendingPool PoolUser calls.
interface ILendingPoolLike {
    function supply(address asset, uint256 amount, address onBehalf) external;
    function borrowOnBehalf(address asset, uint256 amount, address onBehalf, address receiver) external;
}

/// @title PoolUser: a small wrapper that supplies and borrows on the caller's behalf.
/// @notice supplyFor pulls the caller's tokens and supplies them to the caller's position; borrowFor borrows
///         against the caller's position (the caller must first `setAuthorization(thisWrapper, true)` on the
///         pool) and sends the tokens to the caller. It never holds tokens after a call.
contract PoolUser {
    ILendingPoolLike public immutable pool;

    error TransferFailed();

    constructor(ILendingPoolLike pool_) {
        pool = pool_;
    }

    /// @notice Supply `amount` of `asset` (token units) from the caller, credited to the caller.
    function supplyFor(address asset, uint256 amount) external {
        if (!IERC20Like(asset).transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        if (!IERC20Like(asset).approve(address(pool), amount)) revert TransferFailed();
        pool.supply(asset, amount, msg.sender);
    }

    /// @notice Borrow `amount` of `asset` (token units) against the caller's position, paid to the caller.
    function borrowFor(address asset, uint256 amount) external {
        pool.borrowOnBehalf(asset, amount, msg.sender, msg.sender);
    }
}
