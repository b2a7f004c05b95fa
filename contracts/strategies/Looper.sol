// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {LendingPool} from "../lending/LendingPool.sol";
import {IFlashLoanReceiver} from "../interfaces/IFlashLoanReceiver.sol";
import {IUniswapV2Pair} from "../interfaces/IUniswapV2Pair.sol";
import {UniV2MathLib} from "../amm/UniV2MathLib.sol";
import {MathLib, BPS} from "../libraries/MathLib.sol";

interface IUniswapV2FactoryLike {
    function getPair(address tokenA, address tokenB) external view returns (address);
}

/// @title Looper
/// @notice Opens and unwinds a leveraged position on a LendingPool in one transaction: supply collateral,
/// borrow the debt asset, swap it for more collateral on the Uniswap V2 pair of the two, supply, repeat
/// (`openIterative`), or the same in one step with a pool flash loan (`openWithFlashLoan`); `unwind` repays
/// a share of the debt with a flash loan, withdraws the same share of collateral, sells just enough of it
/// to repay the flash loan and returns the rest. Twin: protocol_model/exact/strategies/looper.py. Design: docs/loops.md.
/// @dev The position is the caller's own account in the pool: the Looper supplies on their behalf and
/// borrows / withdraws through `borrowOnBehalf` / `withdrawOnBehalf`, which the caller must first allow
/// with `pool.setAuthorization(looper, true)`. Every entry point acts for `msg.sender` only and takes no
/// account argument, so an authorization can not be used by anyone else. The Looper keeps no tokens
/// between transactions. Pairs come from the factory, never from the caller.
contract Looper is IFlashLoanReceiver, ReentrancyGuard {
    using MathLib for uint256;
    using SafeERC20 for IERC20;

    uint256 public constant MAX_ROUNDS = 20;
    /// @notice Most leverage `openWithFlashLoan` accepts (100x), in bps of the equity.
    uint256 public constant MAX_LEVERAGE_BPS = 1_000_000;
    /// @notice Token units kept below the computed borrow capacity each round, so that the pool's
    /// protocol-favouring rounding (debt up, collateral down) never makes a full-capacity round revert.
    uint256 public constant ROUNDING_MARGIN = 4;
    /// @notice Largest `maxSlippageBps` any entry point accepts: the sandwich bound t* of the pair's 0.3% fee
    /// (docs/SPEC.md §9 S2). With γ = 997/1000 and u* > 0 the root of γ³u² + γ²(1 + γ)u + γ² − 1 = 0 (the
    /// swap size, as a share of the input reserve, above which a front-run starts to pay), t* = 1 − γ³(1 + u*)
    /// = 59.865 bps: a swap executing within t* of the oracle, on a pair at the oracle, is too small to be
    /// sandwiched at a profit, whatever the front-run.
    uint256 public constant MAX_SLIPPAGE_BPS = 59;

    LendingPool public immutable pool;
    IUniswapV2FactoryLike public immutable factory;

    enum Mode {
        Open,
        Unwind
    }

    struct FlashData {
        Mode mode;
        address user;
        address collateral;
        IUniswapV2Pair pair;
        uint256 collateralAmount; // Open: equity + bought collateral to supply; Unwind: collateral to withdraw
        uint256 extra; // Open: collateral bought with the flash loan
        uint256 maxSlippageBps;
    }

    uint256 private _unwindLeftover;

    error InvalidRounds(uint256 rounds);
    error InvalidFraction(uint256 fractionBps);
    error InvalidLeverage(uint256 leverageBps);
    error InvalidSlippage(uint256 maxSlippageBps);
    error NoPair(address collateral, address debt);
    error SlippageExceeded(uint256 amount, uint256 limit);
    error NothingToUnwind();
    error UnwindShortfall(uint256 needed, uint256 available);
    error UnauthorizedCallback();
    error DeadlineExpired(uint256 deadline);
    error InsufficientOutput(uint256 amount, uint256 minimum);
    error ExcessiveDebt(uint256 amount, uint256 maximum);

    event LoopOpened(
        address indexed user, address indexed collateral, address indexed debt, uint256 equity, uint256 supplied, uint256 borrowed
    );
    event LoopUnwound(
        address indexed user, address indexed collateral, address indexed debt, uint256 repaid, uint256 withdrawn, uint256 returned
    );

    constructor(LendingPool pool_, IUniswapV2FactoryLike factory_) {
        pool = pool_;
        factory = factory_;
    }

    /// @notice Supplies `equity` of `collateral` (pulled from the caller) for the caller, then runs up to
    /// `rounds` rounds of: borrow `borrowFractionBps` of the caller's remaining borrow capacity in `debt`,
    /// swap it for `collateral`, supply that. Stops early when a round's borrow would be worth nothing.
    /// @param maxSlippageBps Each swap must return at least (1 - this) of its input's worth at oracle prices;
    /// at most MAX_SLIPPAGE_BPS (`InvalidSlippage`).
    /// @param minSupplied The call reverts `InsufficientOutput` if it supplies less collateral in total.
    /// @param deadline The call reverts `DeadlineExpired` if mined after this timestamp.
    /// @return supplied Collateral supplied in total (equity included); borrowed: debt taken in total.
    function openIterative(
        address collateral,
        address debt,
        uint256 equity,
        uint256 rounds,
        uint256 borrowFractionBps,
        uint256 maxSlippageBps,
        uint256 minSupplied,
        uint256 deadline
    ) external nonReentrant returns (uint256 supplied, uint256 borrowed) {
        _checkDeadlineAndSlippage(deadline, maxSlippageBps);
        if (rounds == 0 || rounds > MAX_ROUNDS) revert InvalidRounds(rounds);
        if (borrowFractionBps == 0 || borrowFractionBps > BPS) revert InvalidFraction(borrowFractionBps);
        IUniswapV2Pair pair = _pair(collateral, debt);
        IERC20(collateral).safeTransferFrom(msg.sender, address(this), equity);
        _supply(collateral, equity, msg.sender);
        (supplied, borrowed) = _rounds(pair, collateral, debt, rounds, borrowFractionBps, maxSlippageBps);
        supplied += equity;
        if (supplied < minSupplied) revert InsufficientOutput(supplied, minSupplied);
        emit LoopOpened(msg.sender, collateral, debt, equity, supplied, borrowed);
    }

    /// @notice Opens `leverageBps / 10,000` times `equity` of `collateral` exposure in one step: flash-borrows
    /// the `debt` needed to buy the extra collateral on the pair (exact output), supplies equity and extra
    /// for the caller, and borrows the flash amount plus the pool's fee on the caller's account to repay it.
    /// @param maxBorrowed The call reverts `ExcessiveDebt` if the caller's new debt (flash + fee) is above it.
    /// @param deadline The call reverts `DeadlineExpired` if mined after this timestamp.
    /// @return supplied Collateral supplied (equity + extra); borrowed: the caller's new debt (flash + fee).
    function openWithFlashLoan(
        address collateral,
        address debt,
        uint256 equity,
        uint256 leverageBps,
        uint256 maxSlippageBps,
        uint256 maxBorrowed,
        uint256 deadline
    ) external nonReentrant returns (uint256 supplied, uint256 borrowed) {
        _checkDeadlineAndSlippage(deadline, maxSlippageBps);
        if (leverageBps <= BPS || leverageBps > MAX_LEVERAGE_BPS) revert InvalidLeverage(leverageBps);
        FlashData memory d = FlashData(
            Mode.Open, msg.sender, collateral, _pair(collateral, debt), 0, equity.mulDivDown(leverageBps - BPS, BPS), maxSlippageBps
        );
        IERC20(collateral).safeTransferFrom(msg.sender, address(this), equity);
        d.collateralAmount = equity + d.extra;
        (uint256 reserveIn, uint256 reserveOut) = _reserves(d.pair, debt);
        uint256 flashAmount = UniV2MathLib.getAmountIn(d.extra, reserveIn, reserveOut);
        pool.flashLoan(this, debt, flashAmount, abi.encode(d));
        supplied = d.collateralAmount;
        borrowed = flashAmount + flashAmount.bpsMulUp(pool.flashLoanFeeBps());
        if (borrowed > maxBorrowed) revert ExcessiveDebt(borrowed, maxBorrowed);
        emit LoopOpened(msg.sender, collateral, debt, equity, supplied, borrowed);
    }

    /// @notice Repays `fractionBps` of the caller's `debt` debt (all of it at 10,000) with a flash loan,
    /// withdraws the same share of their `collateral` supply (all of it at 10,000), sells just enough of it
    /// on the pair to repay the flash loan and its fee, and sends the rest of the collateral to the caller.
    /// @param minReturned The call reverts `InsufficientOutput` if it returns less collateral.
    /// @param deadline The call reverts `DeadlineExpired` if mined after this timestamp.
    /// @return repaid Debt repaid; returned: collateral sent to the caller.
    function unwind(
        address collateral,
        address debt,
        uint256 fractionBps,
        uint256 maxSlippageBps,
        uint256 minReturned,
        uint256 deadline
    ) external nonReentrant returns (uint256 repaid, uint256 returned) {
        _checkDeadlineAndSlippage(deadline, maxSlippageBps);
        if (fractionBps == 0 || fractionBps > BPS) revert InvalidFraction(fractionBps);
        FlashData memory d = FlashData(Mode.Unwind, msg.sender, collateral, _pair(collateral, debt), 0, 0, maxSlippageBps);
        pool.accrueAll();
        uint256 debtNow = pool.debtBalance(debt, msg.sender);
        repaid = fractionBps == BPS ? debtNow : debtNow.bpsMulDown(fractionBps);
        if (repaid == 0) revert NothingToUnwind();
        d.collateralAmount = fractionBps == BPS
            ? type(uint256).max
            : pool.supplyBalance(collateral, msg.sender).bpsMulDown(fractionBps);
        pool.flashLoan(this, debt, repaid, abi.encode(d));
        returned = _unwindLeftover;
        _unwindLeftover = 0;
        if (returned < minReturned) revert InsufficientOutput(returned, minReturned);
        emit LoopUnwound(msg.sender, collateral, debt, repaid, d.collateralAmount, returned);
        if (returned != 0) IERC20(collateral).safeTransfer(msg.sender, returned);
    }

    /// @notice Flash-loan callback of the pool; only for flash loans this contract started.
    function onFlashLoan(address initiator, address asset, uint256 amount, uint256 fee, bytes calldata data)
        external
        returns (bytes32)
    {
        if (msg.sender != address(pool) || initiator != address(this)) revert UnauthorizedCallback();
        FlashData memory d = abi.decode(data, (FlashData));
        if (d.mode == Mode.Open) {
            // the flash amount is exactly the pair's quote for `extra`: pay it in, take `extra` out
            _checkSlippage(asset, amount, d.collateral, d.extra, d.maxSlippageBps);
            _swapOut(d.pair, asset, amount, d.extra);
            _supply(d.collateral, d.collateralAmount, d.user);
            pool.borrowOnBehalf(asset, amount + fee, d.user, address(this));
        } else {
            IERC20(asset).forceApprove(address(pool), amount);
            pool.repay(asset, amount, d.user);
            uint256 withdrawn = pool.withdrawOnBehalf(d.collateral, d.collateralAmount, d.user, address(this));
            (uint256 reserveIn, uint256 reserveOut) = _reserves(d.pair, d.collateral);
            uint256 amountIn = UniV2MathLib.getAmountIn(amount + fee, reserveIn, reserveOut);
            if (amountIn > withdrawn) revert UnwindShortfall(amountIn, withdrawn);
            _checkSlippage(d.collateral, amountIn, asset, amount + fee, d.maxSlippageBps);
            _swapOut(d.pair, d.collateral, amountIn, amount + fee);
            _unwindLeftover = withdrawn - amountIn;
        }
        IERC20(asset).forceApprove(address(pool), amount + fee);
        return pool.FLASH_LOAN_CALLBACK_SUCCESS();
    }

    // ------------------------------------------------------------------ internals

    /// @dev The guards every entry point checks first: `DeadlineExpired`, then `InvalidSlippage`.
    function _checkDeadlineAndSlippage(uint256 deadline, uint256 maxSlippageBps) internal view {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline);
        if (maxSlippageBps > MAX_SLIPPAGE_BPS) revert InvalidSlippage(maxSlippageBps);
    }

    function _pair(address collateral, address debt) internal view returns (IUniswapV2Pair pair) {
        if (collateral == debt) revert NoPair(collateral, debt);
        pair = IUniswapV2Pair(factory.getPair(collateral, debt));
        if (address(pair) == address(0)) revert NoPair(collateral, debt);
    }

    /// @dev Up to `rounds` rounds of borrow → swap → supply for the caller; returns (collateral bought, debt taken).
    function _rounds(
        IUniswapV2Pair pair,
        address collateral,
        address debt,
        uint256 rounds,
        uint256 fractionBps,
        uint256 maxSlippageBps
    ) internal returns (uint256 bought, uint256 borrowed) {
        for (uint256 i; i < rounds; ++i) {
            uint256 amount = _roundBorrow(debt, fractionBps);
            if (amount == 0) break;
            pool.borrowOnBehalf(debt, amount, msg.sender, address(this));
            uint256 out = _swapExactIn(pair, debt, amount, collateral, maxSlippageBps);
            _supply(collateral, out, msg.sender);
            (bought, borrowed) = (bought + out, borrowed + amount);
        }
    }

    /// @dev `fractionBps` of the caller's remaining borrow capacity in `debt` units (rounded down), less
    /// ROUNDING_MARGIN; 0 when that is nothing.
    function _roundBorrow(address debt, uint256 fractionBps) internal view returns (uint256 amount) {
        (, uint256 capacityWad, uint256 debtWad) = pool.accountValues(msg.sender);
        if (capacityWad <= debtWad) return 0;
        amount = (capacityWad - debtWad).mulDivDown(10 ** IERC20Metadata(debt).decimals(), pool.priceRouter().priceWad(debt))
            .bpsMulDown(fractionBps);
        amount = amount > ROUNDING_MARGIN ? amount - ROUNDING_MARGIN : 0;
    }

    function _supply(address asset, uint256 amount, address onBehalf) internal {
        IERC20(asset).forceApprove(address(pool), amount);
        pool.supply(asset, amount, onBehalf);
    }

    function _reserves(IUniswapV2Pair pair, address tokenIn) internal view returns (uint256, uint256) {
        (uint112 r0, uint112 r1,) = pair.getReserves();
        return tokenIn == pair.token0() ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
    }

    /// @dev Exact-input swap to this contract, output quoted by UniV2MathLib on the current reserves.
    function _swapExactIn(IUniswapV2Pair pair, address tokenIn, uint256 amountIn, address tokenOut, uint256 maxSlippageBps)
        internal
        returns (uint256 out)
    {
        (uint256 reserveIn, uint256 reserveOut) = _reserves(pair, tokenIn);
        out = UniV2MathLib.getAmountOut(amountIn, reserveIn, reserveOut);
        _checkSlippage(tokenIn, amountIn, tokenOut, out, maxSlippageBps);
        _swapOut(pair, tokenIn, amountIn, out);
    }

    function _swapOut(IUniswapV2Pair pair, address tokenIn, uint256 amountIn, uint256 amountOut) internal {
        bool zeroIn = tokenIn == pair.token0();
        IERC20(tokenIn).safeTransfer(address(pair), amountIn);
        pair.swap(zeroIn ? 0 : amountOut, zeroIn ? amountOut : 0, address(this), "");
    }

    /// @dev amountOut >= ceil(ceil(amountIn × value of one unit in / value of one unit out) × (1 − slippage)).
    function _checkSlippage(address tokenIn, uint256 amountIn, address tokenOut, uint256 amountOut, uint256 maxSlippageBps)
        internal
        view
    {
        uint256 inUnitValue = pool.priceRouter().priceWad(tokenIn) * 10 ** IERC20Metadata(tokenOut).decimals();
        uint256 outUnitValue = pool.priceRouter().priceWad(tokenOut) * 10 ** IERC20Metadata(tokenIn).decimals();
        uint256 minOut = amountIn.mulDivUp(inUnitValue, outUnitValue).bpsMulUp(BPS - maxSlippageBps);
        if (amountOut < minOut) revert SlippageExceeded(amountOut, minOut);
    }
}
