// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {LeveragedToken} from "../../../contracts/strategies/LeveragedToken.sol";
import {ILendingPoolForStrategies} from "../../../contracts/interfaces/ILendingPoolForStrategies.sol";
import {IUniswapV2Pair} from "../../../contracts/interfaces/IUniswapV2Pair.sol";
import {InvariantBase} from "../utils/Cheats.sol";
import {MarketDeploy} from "../utils/Deploy.sol";
import {LeveragedTokenHandler} from "./LeveragedTokenHandler.sol";

interface IUniswapV2FactoryLike {
    function createPair(address a, address b) external returns (address);
}

/// @dev The market of utils/Deploy.sol, a Uniswap V2 WETH/USDC pair (npm @uniswap/v2-core's own build)
/// with 1,000 WETH at $3,000, 10M USDC of pool liquidity, and a 2× vault (band 1.5–2.5×, ripcord 3.5×).
abstract contract LeveragedTokenSetup is InvariantBase, MarketDeploy {
    LeveragedToken internal vault;
    IUniswapV2Pair internal pair;
    LeveragedTokenHandler internal handler;

    function setUp() public {
        _deployMarket();
        address factory =
            _deployArtifact("node_modules/@uniswap/v2-core/build/UniswapV2Factory.json", abi.encode(address(this)));
        pair = IUniswapV2Pair(IUniswapV2FactoryLike(factory).createPair(address(weth), address(usdc)));
        weth.mint(address(pair), 1_000e18);
        usdc.mint(address(pair), 3_000_000e6);
        pair.mint(address(this));
        usdc.mint(address(this), 10_000_000e6);
        usdc.approve(address(pool), type(uint256).max);
        pool.supply(address(usdc), 10_000_000e6, address(this));
        LeveragedToken.Params memory p =
            LeveragedToken.Params(2e18, 1.5e18, 2.5e18, 3.5e18, 1 days, 59, 10, 1_000_000_000, 0, 16, 15 minutes);
        vault = new LeveragedToken(
            "ETH 2x", "ETH2X", IERC20Metadata(address(weth)), address(usdc),
            ILendingPoolForStrategies(address(pool)), pair, p, address(this), address(0xFEE)
        );
        handler = new LeveragedTokenHandler(vault, pool, pair, weth, usdc, wethFeed, usdcFeed);
        _target(address(handler));
    }
}

/// @notice LeveragedToken invariants (docs/leveraged_tokens.md, "Rounding") after every call.
contract LeveragedTokenInvariants is LeveragedTokenSetup {
    function invariant_leveragedToken() public view {
        _conversionRounding();
        require(handler.violations() == 0, handler.lastViolation());
    }

    /// @notice Share price conversion rounds in the vault's favour, on the vault's own denominators
    /// (S + 10^offset) / (NAV + 1): deposit shares down, mint assets up, and no round trip gains.
    function _conversionRounding() internal view {
        uint256 nav = vault.totalAssets();
        uint256 supply = vault.totalSupply() + 10 ** vault.DECIMALS_OFFSET();
        uint256[4] memory samples = [uint256(1), 1e12 + 7, 1e18, 37e18 + 3];
        for (uint256 i; i < samples.length; ++i) {
            uint256 a = samples[i];
            uint256 shares = vault.convertToShares(a);
            require(shares * (nav + 1) <= a * supply, "deposit shares rounded up");
            require(vault.convertToAssets(shares) <= a, "assets -> shares -> assets gained");
            uint256 cost = vault.previewMint(a);
            require(cost * supply >= a * (nav + 1), "mint assets rounded down");
            require(vault.previewDeposit(cost) >= a, "mint cheaper than deposit");
        }
    }
}

/// @notice The handler is not vacuous: deposits, a rebalance that levers up, a price move and a redemption
/// that repays debt.
contract LeveragedTokenHandlerReach is LeveragedTokenSetup {
    function test_handlerReachesLeveredRedemptions() public {
        handler.deposit(0, 10e18);
        handler.deposit(1, 5e18);
        handler.warp(1 days);
        handler.rebalance();
        handler.movePrice(10_500);
        handler.redeem(0, 1e24);
        require(handler.okCalls("rebalance") == 1, "no rebalance");
        require(handler.okCalls("redeemWithDebt") == 1, "no redemption with debt");
        require(handler.violations() == 0, handler.lastViolation());
    }
}
