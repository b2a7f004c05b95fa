// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {ScriptedFeed} from "../../../contracts/mocks/ScriptedFeed.sol";
import {LendingPool} from "../../../contracts/lending/LendingPool.sol";
import {LeveragedToken} from "../../../contracts/strategies/LeveragedToken.sol";
import {IUniswapV2Pair} from "../../../contracts/interfaces/IUniswapV2Pair.sol";
import {UniV2MathLib} from "../../../contracts/amm/UniV2MathLib.sol";
import {AuditBase} from "../utils/Cheats.sol";

/// @notice Drives a LeveragedToken (WETH collateral, USDC debt) with bounded deposits, mints, redemptions,
/// rebalances, time and WETH price moves (the oracle moves, then an arbitrageur swaps the pair back to it),
/// and records what each redemption does to the holders who stay.
contract LeveragedTokenHandler is AuditBase {
    uint256 internal constant RAY = 1e27;

    LeveragedToken public immutable vault;
    LendingPool public immutable pool;
    IUniswapV2Pair public immutable pair;
    MockERC20 public immutable weth;
    MockERC20 public immutable usdc;
    ScriptedFeed public immutable wethFeed;
    ScriptedFeed public immutable usdcFeed;
    address[3] internal actors = [address(0xA11CE), address(0xB0B), address(0xCA401)];

    uint256 public violations;
    string public lastViolation;
    mapping(bytes32 => uint256) public okCalls;

    constructor(LeveragedToken vault_, LendingPool pool_, IUniswapV2Pair pair_, MockERC20 weth_, MockERC20 usdc_, ScriptedFeed wethFeed_, ScriptedFeed usdcFeed_) {
        (vault, pool, pair, weth, usdc) = (vault_, pool_, pair_, weth_, usdc_);
        (wethFeed, usdcFeed) = (wethFeed_, usdcFeed_);
    }

    function deposit(uint256 actorSeed, uint256 assets) external {
        address actor = _actor(actorSeed);
        assets = _bound(assets, 1, 100e18);
        weth.mint(actor, assets);
        vm.startPrank(actor);
        weth.approve(address(vault), assets);
        try vault.deposit(assets, actor) {
            okCalls["deposit"]++;
        } catch {}
        vm.stopPrank();
    }

    function mint(uint256 actorSeed, uint256 shares) external {
        address actor = _actor(actorSeed);
        shares = _bound(shares, 1, 100e24);
        uint256 assets = vault.previewMint(shares) + 1e18; // fees accrued by the call may raise the price
        weth.mint(actor, assets);
        vm.startPrank(actor);
        weth.approve(address(vault), assets);
        try vault.mint(shares, actor) {
            okCalls["mint"]++;
        } catch {}
        vm.stopPrank();
    }

    /// @dev NAV vs redemption (docs/leveraged_tokens.md): the redeemed share of the debt is repaid in full and
    /// the payout is at most the redeemed share of the collateral, so per remaining share (of supply + virtual
    /// shares) debt never rises and collateral falls by at most the pool's rounding, one unit up to ⌈SI/RAY⌉
    /// per pool withdrawal (at most maxRounds + 1 withdrawals). No redemption passes within the owner's cooldown.
    function redeem(uint256 actorSeed, uint256 shares) external {
        address actor = _actor(actorSeed);
        vault.accrue();
        uint256 held = vault.balanceOf(actor);
        if (held == 0) return;
        shares = _bound(shares, 1, held);
        uint256 c0 = pool.supplyBalance(address(weth), address(vault));
        uint256 d0 = pool.debtBalance(address(usdc), address(vault));
        uint256 t0 = vault.totalSupply() + 10 ** vault.DECIMALS_OFFSET();
        vm.prank(actor);
        try vault.redeem(shares, actor, actor) returns (uint256 assets) {
            okCalls["redeem"]++;
            if (block.timestamp < vault.lastDepositAt(actor) + vault.params().cooldownSeconds) {
                _violation("redeem within the owner's deposit cooldown");
            }
            if (d0 != 0) okCalls["redeemWithDebt"]++;
            uint256 t1 = t0 - shares;
            uint256 c1 = pool.supplyBalance(address(weth), address(vault));
            uint256 d1 = pool.debtBalance(address(usdc), address(vault));
            uint256 perWithdrawal = pool.getAssetState(address(weth)).supplyIndexRay / RAY + 1;
            uint256 slack = (vault.params().maxRounds + 1) * perWithdrawal;
            if (assets > Math.mulDiv(c0, shares, t0)) _violation("redeem paid more than its share of the collateral");
            if (d1 * t0 > d0 * t1) _violation("redeem raised the debt per remaining share");
            if ((c1 + slack) * t0 < c0 * t1) _violation("redeem cut the collateral per remaining share");
        } catch {}
    }

    function rebalance() external {
        try vault.rebalance() {
            okCalls["rebalance"]++;
        } catch {}
    }

    /// @dev Both feeds report again at the new time at their last answers (live feeds keep to their heartbeat,
    /// within the router's 25 h default max age): only prices and time move the vault, never a stale read.
    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 1, 2 days));
        (, int256 wethAnswer,,,) = wethFeed.latestRoundData();
        (, int256 usdcAnswer,,,) = usdcFeed.latestRoundData();
        wethFeed.setAnswer(wethAnswer);
        usdcFeed.setAnswer(usdcAnswer);
    }

    /// @dev WETH moves -10%..+10% (kept within [$750, $12,000]); an arbitrageur then swaps the pair to it.
    function movePrice(uint256 moveBps) external {
        (, int256 answer,,,) = wethFeed.latestRoundData();
        int256 next = answer * int256(_bound(moveBps, 9_000, 11_000)) / 10_000;
        if (next < 750e8) next = 750e8;
        if (next > 12_000e8) next = 12_000e8;
        wethFeed.setAnswer(next);
        _arbitrage(uint256(next));
    }

    /// @dev Swaps the pair's WETH reserve to √(k·10^20 / answer) (USDC units per WETH wei = answer / 10^20).
    function _arbitrage(uint256 answer) internal {
        bool wethIs0 = pair.token0() == address(weth);
        (uint112 r0, uint112 r1,) = pair.getReserves();
        (uint256 rw, uint256 ru) = wethIs0 ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 targetW = Math.sqrt(Math.mulDiv(rw * ru, 1e20, answer));
        if (targetW > rw) {
            uint256 amountIn = targetW - rw;
            uint256 out = UniV2MathLib.getAmountOut(amountIn, rw, ru);
            weth.mint(address(pair), amountIn);
            pair.swap(wethIs0 ? 0 : out, wethIs0 ? out : 0, address(this), "");
        } else if (targetW < rw) {
            uint256 amountIn = rw * ru / targetW - ru;
            uint256 out = UniV2MathLib.getAmountOut(amountIn, ru, rw);
            usdc.mint(address(pair), amountIn);
            pair.swap(wethIs0 ? out : 0, wethIs0 ? 0 : out, address(this), "");
        }
    }

    function actorAt(uint256 i) external view returns (address) {
        return actors[i];
    }

    function _violation(string memory what) internal {
        violations++;
        lastViolation = what;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 3];
    }
}
