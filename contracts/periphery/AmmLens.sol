// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV2Pair} from "../interfaces/IUniswapV2Pair.sol";

/// @title AmmLens
/// @notice Reads Uniswap V2 pairs and token holdings in one call (cross-checks against protocol_model/exact/amm/uniswap_v2_pair.py).
contract AmmLens {
    uint256 public constant PAIR_FIELDS = 8;

    /// @notice Per pair, in token0/token1 order: reserve0, reserve1, blockTimestampLast, price0CumulativeLast,
    /// price1CumulativeLast, totalSupply (LP), token0 balance of the pair, token1 balance of the pair.
    function pairData(IUniswapV2Pair[] calldata pairs) public view returns (uint256[] memory out) {
        out = new uint256[](pairs.length * PAIR_FIELDS);
        for (uint256 i; i < pairs.length; ++i) {
            IUniswapV2Pair p = pairs[i];
            uint256 o = i * PAIR_FIELDS;
            (uint112 r0, uint112 r1, uint32 ts) = p.getReserves();
            (out[o], out[o + 1], out[o + 2]) = (r0, r1, ts);
            (out[o + 3], out[o + 4], out[o + 5]) = (p.price0CumulativeLast(), p.price1CumulativeLast(), p.totalSupply());
            out[o + 6] = IERC20(p.token0()).balanceOf(address(p));
            out[o + 7] = IERC20(p.token1()).balanceOf(address(p));
        }
    }

    /// @notice balanceOf(holders[i]) of tokens[i], for each i (pairs are ERC-20s too: LP units).
    function balances(address[] calldata tokens, address[] calldata holders) public view returns (uint256[] memory out) {
        out = new uint256[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            out[i] = IERC20(tokens[i]).balanceOf(holders[i]);
        }
    }

    /// @notice Both reads in one call.
    function snapshot(IUniswapV2Pair[] calldata pairs, address[] calldata tokens, address[] calldata holders)
        external
        view
        returns (uint256[] memory, uint256[] memory)
    {
        return (pairData(pairs), balances(tokens, holders));
    }
}
