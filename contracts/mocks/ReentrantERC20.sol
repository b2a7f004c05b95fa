// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantERC20
/// @notice Attack token: while armed, every balance change calls `target` with `payload` (a re-entry into the
/// pool from inside its own transfer) and records the outcome instead of reverting, so a test can read
/// exactly how the re-entry failed.
contract ReentrantERC20 is ERC20 {
    address public target;
    bytes public payload;
    bool public armed;
    uint256 public attempts;
    bool public lastSucceeded;
    bytes public lastRevertData;

    constructor() ERC20("Reentrant", "EVIL") {}

    /// @notice Mints `amount` to `to`; open to anyone (test token only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms one re-entry: the next transfer calls `target_` with `payload_`.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed) {
            armed = false; // one attempt per arming; no recursion
            attempts += 1;
            (bool ok, bytes memory data) = target.call(payload);
            lastSucceeded = ok;
            lastRevertData = data;
        }
    }
}
