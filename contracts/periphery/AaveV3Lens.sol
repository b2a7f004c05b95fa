// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The Aave V3 (3.0.2) pool views the lens reads; declared here (the ABI of the npm package aave/core-v3 1.19.3).
interface IAaveV3PoolView {
    struct ConfigurationMap {
        uint256 data;
    }

    struct ReserveData {
        ConfigurationMap configuration;
        uint128 liquidityIndex;
        uint128 currentLiquidityRate;
        uint128 variableBorrowIndex;
        uint128 currentVariableBorrowRate;
        uint128 currentStableBorrowRate;
        uint40 lastUpdateTimestamp;
        uint16 id;
        address aTokenAddress;
        address stableDebtTokenAddress;
        address variableDebtTokenAddress;
        address interestRateStrategyAddress;
        uint128 accruedToTreasury;
        uint128 unbacked;
        uint128 isolationModeTotalDebt;
    }

    function getReserveData(address asset) external view returns (ReserveData memory);
    function getUserAccountData(address user)
        external
        view
        returns (uint256, uint256, uint256, uint256, uint256, uint256);
    function getUserConfiguration(address user) external view returns (ConfigurationMap memory);
    function getUserEMode(address user) external view returns (uint256);
    function getReserveNormalizedIncome(address asset) external view returns (uint256);
    function getReserveNormalizedVariableDebt(address asset) external view returns (uint256);
    function getConfiguration(address asset) external view returns (ConfigurationMap memory);
    function ADDRESSES_PROVIDER() external view returns (IAaveV3ProviderView);
}

/// @notice The addresses provider's oracle view.
interface IAaveV3ProviderView {
    function getPriceOracle() external view returns (address);
}

/// @notice AaveOracle's price view.
interface IAaveV3OracleView {
    function getAssetPrice(address asset) external view returns (uint256);
}

/// @notice Scaled-balance token views (AToken, VariableDebtToken) and ERC20 balances.
interface IScaledTokenView {
    function scaledBalanceOf(address user) external view returns (uint256);
    function scaledTotalSupply() external view returns (uint256);
    function balanceOf(address user) external view returns (uint256);
    function totalSupply() external view returns (uint256);
}

/// @title AaveV3Lens
/// @notice Every observable of an Aave V3 pool the cross-check compares, in one call: per reserve its indexes,
/// rates, last update, treasury accrual, isolation debt, token supplies (scaled and actual), the underlying
/// held by the aToken, the normalized income and debt, the raw configuration bitmap (`getConfiguration`) and
/// the AaveOracle price (`getAssetPrice`, REVERTED when it reverts); per user the account data, configuration bitmap,
/// eMode and, per reserve, scaled and actual aToken and debt balances and the underlying wallet balance.
/// An account whose data cannot be read (a price the oracle cannot give) reads as REVERTED in each field.
/// Twin: `aave_snapshot` in protocol_model/world/aave_v3.py (same order).
contract AaveV3Lens {
    uint256 public constant PER_RESERVE = 17;
    uint256 public constant PER_USER = 8;
    uint256 public constant PER_USER_RESERVE = 5;
    /// @notice Written for each account-data field when `getUserAccountData` reverts (an asset without a price).
    uint256 public constant REVERTED = type(uint256).max - 1;

    /// @notice The snapshot of `pool` for `assets` and `users` (layout: reserves, then users).
    function snapshot(IAaveV3PoolView pool, address[] calldata assets, address[] calldata users)
        external
        view
        returns (uint256[] memory out)
    {
        out = new uint256[](assets.length * PER_RESERVE + users.length * (PER_USER + assets.length * PER_USER_RESERVE));
        uint256 k = 0;
        for (uint256 i = 0; i < assets.length; i++) {
            k = _reserve(pool, assets[i], out, k);
        }
        for (uint256 u = 0; u < users.length; u++) {
            k = _user(pool, users[u], out, k);
            for (uint256 i = 0; i < assets.length; i++) {
                k = _position(pool, assets[i], users[u], out, k);
            }
        }
    }

    function _reserve(IAaveV3PoolView pool, address asset, uint256[] memory out, uint256 k)
        private
        view
        returns (uint256)
    {
        IAaveV3PoolView.ReserveData memory r = pool.getReserveData(asset);
        out[k++] = r.liquidityIndex;
        out[k++] = r.currentLiquidityRate;
        out[k++] = r.variableBorrowIndex;
        out[k++] = r.currentVariableBorrowRate;
        out[k++] = r.currentStableBorrowRate;
        out[k++] = r.lastUpdateTimestamp;
        out[k++] = r.accruedToTreasury;
        out[k++] = r.isolationModeTotalDebt;
        out[k++] = IScaledTokenView(r.aTokenAddress).scaledTotalSupply();
        out[k++] = IScaledTokenView(r.aTokenAddress).totalSupply();
        out[k++] = IScaledTokenView(r.variableDebtTokenAddress).scaledTotalSupply();
        out[k++] = IScaledTokenView(r.variableDebtTokenAddress).totalSupply();
        out[k++] = IScaledTokenView(asset).balanceOf(r.aTokenAddress);
        out[k++] = pool.getReserveNormalizedIncome(asset);
        out[k++] = pool.getReserveNormalizedVariableDebt(asset);
        out[k++] = pool.getConfiguration(asset).data;
        address oracle = pool.ADDRESSES_PROVIDER().getPriceOracle();
        (bool ok, bytes memory data) = oracle.staticcall(abi.encodeCall(IAaveV3OracleView.getAssetPrice, (asset)));
        out[k++] = ok ? abi.decode(data, (uint256)) : REVERTED;
        return k;
    }

    function _user(IAaveV3PoolView pool, address user, uint256[] memory out, uint256 k) private view returns (uint256) {
        (bool ok, bytes memory data) =
            address(pool).staticcall(abi.encodeCall(IAaveV3PoolView.getUserAccountData, (user)));
        uint256[6] memory fields;
        if (ok) {
            fields = abi.decode(data, (uint256[6]));
        } else {
            for (uint256 j = 0; j < 6; j++) {
                fields[j] = REVERTED;
            }
        }
        for (uint256 j = 0; j < 6; j++) {
            out[k + j] = fields[j];
        }
        k += 6;
        out[k++] = pool.getUserConfiguration(user).data;
        out[k++] = pool.getUserEMode(user);
        return k;
    }

    function _position(IAaveV3PoolView pool, address asset, address user, uint256[] memory out, uint256 k)
        private
        view
        returns (uint256)
    {
        IAaveV3PoolView.ReserveData memory r = pool.getReserveData(asset);
        out[k++] = IScaledTokenView(r.aTokenAddress).scaledBalanceOf(user);
        out[k++] = IScaledTokenView(r.aTokenAddress).balanceOf(user);
        out[k++] = IScaledTokenView(r.variableDebtTokenAddress).scaledBalanceOf(user);
        out[k++] = IScaledTokenView(r.variableDebtTokenAddress).balanceOf(user);
        out[k++] = IScaledTokenView(asset).balanceOf(user);
        return k;
    }
}
