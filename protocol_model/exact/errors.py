"""Exceptions named exactly like the contracts' custom errors (contracts/libraries/ErrorsLib.sol).

A cross-check compares a revert on chain with a model exception by this name, so a rename on one side
only is caught at once.
"""

from __future__ import annotations


class PoolError(Exception):
    """A call the contracts would revert; the subclass name is the Solidity custom error's name.

    Every exception class below is a ``PoolError`` subclass named after an error in ErrorsLib.sol,
    OracleErrorsLib.sol, FlashErrorsLib.sol, Looper.sol or OpenZeppelin; its arguments mirror the error's.
    """

    @property
    def name(self) -> str:
        """The revert's error name as the chain reports it (the exception's class name)."""
        return type(self).__name__


def _make(name: str, doc: str) -> type[PoolError]:
    return type(name, (PoolError,), {"__doc__": doc})


ZeroAmount = _make("ZeroAmount", "Amount is zero.")
ZeroAddress = _make("ZeroAddress", "Address is zero.")
AssetNotListed = _make("AssetNotListed", "The asset is not listed in the pool.")
AssetAlreadyListed = _make("AssetAlreadyListed", "The asset is listed already.")
LtvAboveThreshold = _make("LtvAboveThreshold", "LTV exceeds the liquidation threshold.")
ThresholdTooHigh = _make("ThresholdTooHigh", "Liquidation threshold is 100% or more.")
LiquidationBonusTooHigh = _make(
    "LiquidationBonusTooHigh", "threshold × (1 + bonus) >= 100%: a liquidation could never restore health."
)
FeeTooHigh = _make("FeeTooHigh", "A fee or factor exceeds 100%.")
InvalidCloseFactor = _make("InvalidCloseFactor", "Close factor not in (0, 100%] or full-close HF above 1.")
InvalidRateModel = _make("InvalidRateModel", "Optimal utilization not in (0, 100%).")
BorrowRateTooHigh = _make("BorrowRateTooHigh", "base + slope1 + slope2 (the rate at 100% utilization) above "
                                               "MAX_BORROW_RATE_PER_SECOND_RAY (1,000% a year).")
InvalidDecimals = _make("InvalidDecimals", "Decimals out of range: a listed token's above MAX_DECIMALS (24), a feed's "
                                           "above 18.")
InvalidMinLeftover = _make("InvalidMinLeftover", "minLeftoverUsdWad above MAX_MIN_LEFTOVER_USD_WAD (a liquidation's "
                                                 "dust test would overflow uint256).")
TooManyAssets = _make("TooManyAssets", "The pool lists MAX_ASSETS (128) assets already.")
SupplyPaused = _make("SupplyPaused", "Supply is paused by the guardian.")
BorrowPaused = _make("BorrowPaused", "Borrow is paused by the guardian.")
BorrowNotEnabled = _make("BorrowNotEnabled", "Borrowing this asset is disabled.")
SupplyCapExceeded = _make("SupplyCapExceeded", "Total supply would exceed the cap.")
BorrowCapExceeded = _make("BorrowCapExceeded", "Total debt would exceed the cap.")
ZeroScaledAmount = _make("ZeroScaledAmount", "The amount is worth zero scaled units at the current index.")
InsufficientBalance = _make("InsufficientBalance", "Withdrawing more than the supply balance.")
InsufficientLiquidity = _make("InsufficientLiquidity", "The pool holds fewer tokens than asked for.")
InsufficientCollateral = _make("InsufficientCollateral", "Debt would exceed Σ collateral × LTV.")
HealthFactorTooLow = _make("HealthFactorTooLow", "The health factor would fall below 1.")
NoDebt = _make("NoDebt", "The account has no debt in this asset.")
NoCollateral = _make("NoCollateral", "The account has no supply of this collateral asset.")
CollateralNotEnabled = _make("CollateralNotEnabled", "The asset does not count as collateral.")
NoSupplyBalance = _make("NoSupplyBalance", "setUseAsCollateral(true) by an account with no supply of the asset.")
HealthyAccount = _make("HealthyAccount", "Health factor >= 1: not liquidatable.")
NothingToSeize = _make("NothingToSeize", "The liquidation would seize no collateral.")
NothingToRepay = _make("NothingToRepay", "The liquidation would reduce no debt (less than one scaled unit).")
MustNotLeaveDust = _make("MustNotLeaveDust", "The liquidation would leave a position worth less than the minimum.")
FeedNotSet = _make("FeedNotSet", "No price feed for the asset.")
InvalidPrice = _make("InvalidPrice", "The feed answered <= 0.")

# Raised by OpenZeppelin code the contracts call.
ERC20InsufficientBalance = _make("ERC20InsufficientBalance", "Token balance too low for a transfer.")
SafeCastOverflowedUintDowncast = _make(
    "SafeCastOverflowedUintDowncast",
    "A stored total, index or reserve would not fit its packed width (OpenZeppelin SafeCast).",
)
SafeCastOverflowedUintToInt = _make(
    "SafeCastOverflowedUintToInt",
    "A uint256 at or above 2^255 converted to int256 (OpenZeppelin SafeCast.toInt256; a plain cast would wrap).",
)
ERC20InsufficientAllowance = _make("ERC20InsufficientAllowance", "Allowance too low for transferFrom.")
AccessControlUnauthorizedAccount = _make("AccessControlUnauthorizedAccount", "Caller lacks the role.")

# Oracle policy (contracts/libraries/OracleErrorsLib.sol).
FeedReverted = _make("FeedReverted", "The feed's latestRoundData call reverted.")
InvalidRound = _make("InvalidRound", "The round is zero, in the future or incomplete (always checked).")
PriceOverflow = _make("PriceOverflow", "The answer scales to a price above MAX_PRICE_WAD (price math overflow).")
StalePrice = _make("StalePrice", "The round is older than the policy's maximum age.")
PriceOutOfBounds = _make("PriceOutOfBounds", "The price is at or outside the policy's accepted band.")
PriceJump = _make("PriceJump", "The answer moved more than maxJumpBps from the previous round (circuit breaker).")
SequencerDown = _make("SequencerDown", "The L2 sequencer-uptime feed reports the sequencer down.")
GracePeriodNotOver = _make("GracePeriodNotOver", "The sequencer is back up for no longer than the grace period.")
InvalidOraclePolicy = _make("InvalidOraclePolicy", "An oracle-policy field is impossible (the argument names it).")

# Flash loans and delegation (contracts/libraries/FlashErrorsLib.sol).
Unauthorized = _make("Unauthorized", "The caller may not act for this account (not authorized by it).")
FlashLoanReentrancy = _make("FlashLoanReentrancy", "A flash loan started inside another flash loan.")
FlashLoanCallbackFailed = _make("FlashLoanCallbackFailed", "The receiver's onFlashLoan returned a wrong value.")
FlashLoanFeeTooHigh = _make("FlashLoanFeeTooHigh", "Flash-loan fee above MAX_FLASH_LOAN_FEE_BPS.")

# The Looper (contracts/strategies/Looper.sol).
InvalidRounds = _make("InvalidRounds", "Rounds not in 1..MAX_ROUNDS.")
InvalidFraction = _make("InvalidFraction", "A fraction in bps not in 1..10,000.")
InvalidLeverage = _make("InvalidLeverage", "Leverage not above 1x or above MAX_LEVERAGE_BPS.")
InvalidSlippage = _make("InvalidSlippage", "Maximum slippage above MAX_SLIPPAGE_BPS (the sandwich bound, 59 bps).")
NoPair = _make("NoPair", "The factory has no pair of the collateral and debt assets.")
SlippageExceeded = _make("SlippageExceeded", "A swap returns less than its input's oracle worth × (1 − max slippage).")
NothingToUnwind = _make("NothingToUnwind", "The caller has no debt in the asset (or the share of it is zero).")
UnwindShortfall = _make("UnwindShortfall", "The withdrawn collateral does not buy back the flash loan and its fee.")
UnauthorizedCallback = _make("UnauthorizedCallback", "onFlashLoan not from the pool for a loan started here.")
DeadlineExpired = _make("DeadlineExpired", "The call is mined after its deadline.")
InsufficientOutput = _make("InsufficientOutput", "An open supplies, or an unwind returns, less than the minimum.")
ExcessiveDebt = _make("ExcessiveDebt", "A flash open's new debt (flash + fee) is above the caller's maximum.")
