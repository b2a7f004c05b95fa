// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {LendingPool} from "../lending/LendingPool.sol";

/// @title PoolLens
/// @notice Reads a pool's whole observable state in one call (cross-checks, the chain -> model importer).
/// @dev Layout of the returned arrays is documented per function; a view that reverts (a rejected price)
/// is reported as an ok-flag of 0 instead of failing the whole read.
contract PoolLens {
    uint256 public constant ASSET_FIELDS = 10;
    uint256 public constant POSITION_FIELDS = 6;
    uint256 public constant ACCOUNT_FIELDS = 5;

    /// @notice Per asset: totalScaledSupply, totalScaledDebt, supplyIndexRay, borrowIndexRay, reserves,
    /// badDebt, lastUpdate, pool token balance, priceOk, priceWad.
    function assetData(LendingPool pool, address[] calldata assets) public view returns (uint256[] memory out) {
        out = new uint256[](assets.length * ASSET_FIELDS);
        for (uint256 i; i < assets.length; ++i) {
            address a = assets[i];
            uint256 o = i * ASSET_FIELDS;
            LendingPool.AssetState memory s = pool.getAssetState(a);
            (out[o], out[o + 1], out[o + 2], out[o + 3]) =
                (s.totalScaledSupply, s.totalScaledDebt, s.supplyIndexRay, s.borrowIndexRay);
            (out[o + 4], out[o + 5], out[o + 6]) = (s.reserves, s.badDebt, s.lastUpdate);
            out[o + 7] = IERC20(a).balanceOf(address(pool));
            try pool.priceRouter().priceWad(a) returns (uint256 p) {
                (out[o + 8], out[o + 9]) = (1, p);
            } catch {}
        }
    }

    /// @notice Per (asset, account), asset-major: scaledSupply, scaledDebt, supplyBalance, debtBalance,
    /// token balance of the account, collateral consent (`usesAsCollateral(account, asset)` as 0 / 1).
    function positionData(LendingPool pool, address[] calldata assets, address[] calldata accounts)
        public
        view
        returns (uint256[] memory out)
    {
        out = new uint256[](assets.length * accounts.length * POSITION_FIELDS);
        for (uint256 i; i < assets.length; ++i) {
            for (uint256 j; j < accounts.length; ++j) {
                uint256 o = (i * accounts.length + j) * POSITION_FIELDS;
                (address a, address u) = (assets[i], accounts[j]);
                out[o] = pool.scaledSupplyOf(a, u);
                out[o + 1] = pool.scaledDebtOf(a, u);
                out[o + 2] = pool.supplyBalance(a, u);
                out[o + 3] = pool.debtBalance(a, u);
                out[o + 4] = IERC20(a).balanceOf(u);
                if (pool.usesAsCollateral(u, a)) out[o + 5] = 1;
            }
        }
    }

    /// @notice Per account: ok, adjustedCollateralWad, borrowCapacityWad, debtWad, healthFactorWad.
    function accountData(LendingPool pool, address[] calldata accounts) public view returns (uint256[] memory out) {
        out = new uint256[](accounts.length * ACCOUNT_FIELDS);
        for (uint256 j; j < accounts.length; ++j) {
            uint256 o = j * ACCOUNT_FIELDS;
            try pool.accountValues(accounts[j]) returns (uint256 adj, uint256 cap, uint256 debt) {
                (out[o], out[o + 1], out[o + 2], out[o + 3]) = (1, adj, cap, debt);
                out[o + 4] = pool.healthFactor(accounts[j]);
            } catch {}
        }
    }

    /// @notice All three reads in one call.
    function snapshot(LendingPool pool, address[] calldata assets, address[] calldata accounts)
        external
        view
        returns (uint256[] memory, uint256[] memory, uint256[] memory)
    {
        return (assetData(pool, assets), positionData(pool, assets, accounts), accountData(pool, accounts));
    }
}
