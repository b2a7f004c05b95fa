// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {PriceRouter} from "../../../contracts/oracle/PriceRouter.sol";
import {PerpEngine} from "../../../contracts/perp/PerpEngine.sol";
import {PerpMath} from "../../../contracts/perp/PerpMath.sol";
import {IPriceRouter} from "../../../contracts/interfaces/IPriceRouter.sol";
import {InvariantBase} from "../utils/Cheats.sol";
import {PerpEngineHandler} from "./PerpEngineHandler.sol";

/// @dev The engine, two markets (ETH, BTC) and the handler; shared by the invariant suite and the reach test.
abstract contract PerpEngineSetup is InvariantBase {

    uint256 internal constant WAD = 1e18;
    MockERC20 internal usdc;
    PerpEngine internal engine;
    PerpEngineHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        address eth = address(new MockERC20("Ether index", "ETH", 18));
        address btc = address(new MockERC20("Bitcoin index", "BTC", 18));
        ScriptedFeed ethFeed = new ScriptedFeed(8, 3_000e8, "ETH / USD");
        ScriptedFeed btcFeed = new ScriptedFeed(8, 60_000e8, "BTC / USD");
        PriceRouter router = new PriceRouter(address(this));
        router.setFeed(eth, ethFeed);
        router.setFeed(btc, btcFeed);
        engine = new PerpEngine(address(this), IPriceRouter(address(router)), usdc);
        engine.grantRole(engine.RISK_ADMIN_ROLE(), address(this));
        // IM 10%, MM 5%, fee 0.1%, penalty 1% (half to the liquidator), close factor 50%, full below 50% of MM,
        // funding cap 1% per 8 h, band ±2%, mark fresh for 1 h
        PerpEngine.MarketParams memory p = PerpEngine.MarketParams(1_000, 500, 10, 100, 5_000, 5_000, 5_000, 100, 200, 8 hours, 1 hours);
        engine.listMarket(eth, p);
        engine.listMarket(btc, p);
        handler = new PerpEngineHandler(engine, usdc, ethFeed, btcFeed);
        engine.grantRole(engine.OPERATOR_ROLE(), address(handler));
        _target(address(handler));
    }
}

/// @notice PerpEngine invariants (docs/perp_margin.md) after every call.
contract PerpEngineInvariants is PerpEngineSetup {
    using PerpMath for int256;

    function invariant_perpEngine() public view {
        _accounting();
        _openInterest();
    }

    /// @notice Insurance + balances accounting: every claim on the engine's tokens — cross and isolated
    /// balances, minus open notionals (Σ size = 0, so Σ ⌊size·P⌋ drops out), minus funding owed at the stored
    /// indexes (⌈size·Δ/WAD⌉), plus the insurance fund — is covered by its token balance (in WAD), except
    /// the recorded unsocialised loss. Every rounding (fills, funding, fees) is in the engine's favour.
    function _accounting() internal view {
        int256 claims = int256(engine.insuranceFundWad());
        for (uint256 a; a < 3; ++a) {
            address actor = handler.actorAt(a);
            claims += engine.crossBalanceWad(actor);
            for (uint256 id; id < 2; ++id) {
                claims += engine.isolatedBalanceWad(actor, id);
                PerpEngine.Position memory p = engine.getPosition(actor, id);
                if (p.sizeWad == 0) continue;
                PerpEngine.Market memory m = engine.getMarket(id);
                int256 idx = p.sizeWad > 0 ? m.cumLongWad : m.cumShortWad;
                claims -= p.openNotionalWad + (p.sizeWad * (idx - p.fundingSnapshotWad)).ceilDiv(WAD);
            }
        }
        int256 covered = int256(usdc.balanceOf(address(engine)) * engine.unitScale() + engine.unsocializedLossWad());
        require(claims <= covered, "perp claims exceed tokens + unsocialised loss");
    }

    /// @notice Open interest: longs = Σ positive sizes, shorts = Σ |negative sizes|, and the two are equal.
    function _openInterest() internal view {
        for (uint256 id; id < 2; ++id) {
            (uint256 longs, uint256 shorts) = (0, 0);
            for (uint256 a; a < 3; ++a) {
                int256 s = engine.getPosition(handler.actorAt(a), id).sizeWad;
                if (s > 0) longs += uint256(s);
                else shorts += uint256(-s);
            }
            PerpEngine.Market memory m = engine.getMarket(id);
            require(m.longOiWad == longs && m.shortOiWad == shorts, "open interest != sum of positions");
            require(longs == shorts, "long and short open interest differ");
        }
    }
}

/// @notice The handler is not vacuous: a fixed sequence trades, moves the price and liquidates.
contract PerpEngineHandlerReach is PerpEngineSetup {
    function test_handlerReachesTradesAndLiquidations() public {
        handler.deposit(0, 10_000e6);
        handler.deposit(1, 10_000e6);
        handler.deposit(2, 500_000e6);
        handler.trade(0, 0, 1, 30e18, 250); // ETH, 30 units at the index: about 9x leverage each
        handler.movePrice(0, 9_500); // -5%: the long is below maintenance
        handler.liquidate(2, 0, 0);
        handler.movePrice(0, 8_000);
        handler.liquidate(2, 0, 0);
        require(handler.okCalls("trade") == 1, "no trade");
        require(handler.okCalls("liquidate") >= 1, "no liquidation");
    }
}
