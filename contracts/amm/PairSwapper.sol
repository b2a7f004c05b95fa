// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IUniswapV2Pair} from "../interfaces/IUniswapV2Pair.sol";
import {UniV2MathLib} from "./UniV2MathLib.sol";

/// @title PairSwapper
/// @notice Stateless helper that moves the caller's tokens into a Uniswap V2 pair and calls it in the same
/// transaction (a pair pays whoever calls `swap` after a transfer, so the two must be atomic).
/// Twin: protocol_model/exact/amm/uniswap_v2_pair.py V2Pair.swap_exact_in / swap_exact_out / add_liquidity / remove_liquidity.
contract PairSwapper {
    using SafeERC20 for IERC20;

    error SlippageExceeded(uint256 amount, uint256 limit);
    error InvalidToken(address token);

    /// @notice Swaps exactly `amountIn` of `tokenIn` for at least `minOut` of the other token, sent to `to`.
    /// @return amountOut The output, quoted by UniV2MathLib.getAmountOut on the current reserves.
    function swapExactIn(IUniswapV2Pair pair, address tokenIn, uint256 amountIn, uint256 minOut, address to)
        external
        returns (uint256 amountOut)
    {
        (bool zeroIn, uint256 reserveIn, uint256 reserveOut) = _reserves(pair, tokenIn);
        amountOut = UniV2MathLib.getAmountOut(amountIn, reserveIn, reserveOut);
        if (amountOut < minOut) revert SlippageExceeded(amountOut, minOut);
        IERC20(tokenIn).safeTransferFrom(msg.sender, address(pair), amountIn);
        pair.swap(zeroIn ? 0 : amountOut, zeroIn ? amountOut : 0, to, "");
    }

    /// @notice Swaps at most `maxIn` of `tokenIn` for exactly `amountOut` of the other token, sent to `to`.
    /// @return amountIn The input, quoted by UniV2MathLib.getAmountIn on the current reserves.
    function swapExactOut(IUniswapV2Pair pair, address tokenIn, uint256 amountOut, uint256 maxIn, address to)
        external
        returns (uint256 amountIn)
    {
        (bool zeroIn, uint256 reserveIn, uint256 reserveOut) = _reserves(pair, tokenIn);
        amountIn = UniV2MathLib.getAmountIn(amountOut, reserveIn, reserveOut);
        if (amountIn > maxIn) revert SlippageExceeded(amountIn, maxIn);
        IERC20(tokenIn).safeTransferFrom(msg.sender, address(pair), amountIn);
        pair.swap(zeroIn ? 0 : amountOut, zeroIn ? amountOut : 0, to, "");
    }

    /// @notice Deposits exactly `amount0` and `amount1` (the pair's token order) and mints LP units to `to`.
    function addLiquidity(IUniswapV2Pair pair, uint256 amount0, uint256 amount1, address to)
        external
        returns (uint256 liquidity)
    {
        IERC20(pair.token0()).safeTransferFrom(msg.sender, address(pair), amount0);
        IERC20(pair.token1()).safeTransferFrom(msg.sender, address(pair), amount1);
        liquidity = pair.mint(to);
    }

    /// @notice Burns `liquidity` LP units of the caller (approved to this helper) and sends both tokens to `to`.
    function removeLiquidity(IUniswapV2Pair pair, uint256 liquidity, address to)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        IERC20(address(pair)).safeTransferFrom(msg.sender, address(pair), liquidity);
        (amount0, amount1) = pair.burn(to);
    }

    function _reserves(IUniswapV2Pair pair, address tokenIn)
        private
        view
        returns (bool zeroIn, uint256 reserveIn, uint256 reserveOut)
    {
        (uint112 r0, uint112 r1,) = pair.getReserves();
        if (tokenIn == pair.token0()) return (true, r0, r1);
        if (tokenIn == pair.token1()) return (false, r1, r0);
        revert InvalidToken(tokenIn);
    }
}
