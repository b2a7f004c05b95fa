// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title UniV2MathLib
/// @notice Uniswap V2 quotes with the 0.3% fee (twin: protocol_model/exact/amm/uniswap_v2_pair.py get_amount_out/get_amount_in).
/// Exact input rounds the output down; exact output rounds the input up (+1): the pair always wins.
library UniV2MathLib {
    error InsufficientInputAmount();
    error InsufficientOutputAmount();
    error InsufficientAmmLiquidity();

    uint256 internal constant FEE_NUMERATOR = 997;
    uint256 internal constant FEE_DENOMINATOR = 1000;

    /// @notice Output of an exact-input swap against reserves (`reserveIn`, `reserveOut`).
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        if (amountIn == 0) revert InsufficientInputAmount();
        if (reserveIn == 0 || reserveOut == 0) revert InsufficientAmmLiquidity();
        uint256 withFee = amountIn * FEE_NUMERATOR;
        return withFee * reserveOut / (reserveIn * FEE_DENOMINATOR + withFee);
    }

    /// @notice Input needed for an exact output against reserves (`reserveIn`, `reserveOut`).
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        if (amountOut == 0) revert InsufficientOutputAmount();
        if (reserveIn == 0 || reserveOut <= amountOut) revert InsufficientAmmLiquidity();
        return reserveIn * amountOut * FEE_DENOMINATOR / ((reserveOut - amountOut) * FEE_NUMERATOR) + 1;
    }
}
