// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LendingPool} from "../lending/LendingPool.sol";
import {PoolLens} from "./PoolLens.sol";

/// @title PoolViewLens
/// @notice PoolLens plus `views`: only the fields the pool and its router compute (prices, supply and debt
/// balances, account values and health factors), for readers that take the stored fields from storage
/// (the in-process cross-check: protocol_model/chain/inprocess_world.py).
contract PoolViewLens is PoolLens {
    /// @notice Per asset: priceOk, priceWad (0, 0 when the router rejects the price).
    function priceData(LendingPool pool, address[] calldata assets) public view returns (uint256[] memory out) {
        out = new uint256[](assets.length * 2);
        for (uint256 i; i < assets.length; ++i) {
            try pool.priceRouter().priceWad(assets[i]) returns (uint256 p) {
                (out[2 * i], out[2 * i + 1]) = (1, p);
            } catch {}
        }
    }

    /// @notice Per (asset, account), asset-major: supplyBalance, debtBalance.
    function balanceData(LendingPool pool, address[] calldata assets, address[] calldata accounts)
        public
        view
        returns (uint256[] memory out)
    {
        out = new uint256[](assets.length * accounts.length * 2);
        for (uint256 i; i < assets.length; ++i) {
            for (uint256 j; j < accounts.length; ++j) {
                uint256 o = (i * accounts.length + j) * 2;
                out[o] = pool.supplyBalance(assets[i], accounts[j]);
                out[o + 1] = pool.debtBalance(assets[i], accounts[j]);
            }
        }
    }

    /// @notice priceData, balanceData and accountData in one call.
    function views(LendingPool pool, address[] calldata assets, address[] calldata accounts)
        external
        view
        returns (uint256[] memory, uint256[] memory, uint256[] memory)
    {
        return (priceData(pool, assets), balanceData(pool, assets, accounts), accountData(pool, accounts));
    }
}
