// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {PerpEngine} from "./PerpEngine.sol";

/// @title PerpLens
/// @notice Reads a margin engine's whole observable state in one call (cross-checks against the model).
/// @dev A margin view that reverts (a rejected price) is reported as an ok-flag of 0 with zeros. Margin views
/// include funding not yet accrued, as of the block the lens is called in. Every uint256 field enters the int256
/// tables through SafeCast.toInt256: a value at or above 2^255 (an insurance fund, open interest or token balance
/// that large) reverts the whole snapshot with SafeCastOverflowedUintToInt instead of wrapping to a negative
/// number (a revert inside a `try` success block is not caught). Fields are converted in table order; the twin
/// (protocol_model/world/perp_world.py) converts in the same order.
contract PerpLens {
    using SafeCast for uint256;

    uint256 public constant GLOBAL_FIELDS = 3;
    uint256 public constant MARKET_FIELDS = 9;
    uint256 public constant ACCOUNT_FIELDS = 6;
    uint256 public constant POSITION_FIELDS = 9;

    /// @notice global: insuranceFundWad, unsocializedLossWad, engine token balance.
    /// markets (per id): cumLongWad, cumShortWad, markPriceWad, longOiWad, shortOiWad, lastFundingTime,
    /// indexOk, indexPriceWad, markTime.
    /// accounts: crossBalanceWad, token balance, crossOk, equityWad, initialWad, maintenanceWad.
    /// positions (account-major, then market): sizeWad, openNotionalWad, fundingSnapshotWad, isolated,
    /// isolatedBalanceWad, isoOk, equityWad, initialWad, maintenanceWad.
    function snapshot(PerpEngine engine, address[] calldata accounts)
        external
        view
        returns (int256[] memory globals, int256[] memory markets, int256[] memory accts, int256[] memory positions)
    {
        uint256 n = engine.marketCount();
        IERC20 token = engine.collateral();
        globals = new int256[](GLOBAL_FIELDS);
        globals[0] = engine.insuranceFundWad().toInt256();
        globals[1] = engine.unsocializedLossWad().toInt256();
        globals[2] = token.balanceOf(address(engine)).toInt256();
        markets = new int256[](n * MARKET_FIELDS);
        for (uint256 i; i < n; ++i) {
            PerpEngine.Market memory m = engine.getMarket(i);
            uint256 o = i * MARKET_FIELDS;
            (markets[o], markets[o + 1], markets[o + 2]) = (m.cumLongWad, m.cumShortWad, m.markPriceWad.toInt256());
            (markets[o + 3], markets[o + 4]) = (m.longOiWad.toInt256(), m.shortOiWad.toInt256());
            // uint64 times < 2^64: the casts cannot wrap
            markets[o + 5] = int256(uint256(m.lastFundingTime));
            markets[o + 8] = int256(uint256(m.markTime));
            try engine.priceRouter().priceWad(m.indexAsset) returns (uint256 p) {
                (markets[o + 6], markets[o + 7]) = (1, p.toInt256());
            } catch {}
        }
        accts = new int256[](accounts.length * ACCOUNT_FIELDS);
        positions = new int256[](accounts.length * n * POSITION_FIELDS);
        for (uint256 j; j < accounts.length; ++j) {
            address a = accounts[j];
            uint256 o = j * ACCOUNT_FIELDS;
            (accts[o], accts[o + 1]) = (engine.crossBalanceWad(a), token.balanceOf(a).toInt256());
            try engine.crossMargin(a) returns (PerpEngine.Margin memory mg) {
                (accts[o + 2], accts[o + 3], accts[o + 4], accts[o + 5]) =
                    (1, mg.equityWad, mg.initialWad.toInt256(), mg.maintenanceWad.toInt256());
            } catch {}
            for (uint256 i; i < n; ++i) {
                _position(engine, a, i, positions, (j * n + i) * POSITION_FIELDS);
            }
        }
    }

    function _position(PerpEngine engine, address a, uint256 id, int256[] memory out, uint256 o) internal view {
        PerpEngine.Position memory p = engine.getPosition(a, id);
        (out[o], out[o + 1], out[o + 2], out[o + 3]) =
            (p.sizeWad, p.openNotionalWad, p.fundingSnapshotWad, p.isolated ? int256(1) : int256(0));
        out[o + 4] = engine.isolatedBalanceWad(a, id);
        try engine.isolatedMargin(a, id) returns (PerpEngine.Margin memory mg) {
            (out[o + 5], out[o + 6], out[o + 7], out[o + 8]) =
                (1, mg.equityWad, mg.initialWad.toInt256(), mg.maintenanceWad.toInt256());
        } catch {}
    }
}
