// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title LeveragedTokenErrorsLib
/// @notice Custom errors of contracts/strategies/LeveragedToken.sol. The model
/// (protocol_model/exact/strategies/leveraged_token.py) raises exceptions of the same names.
library LeveragedTokenErrorsLib {
    error ZeroShares();
    error ZeroAddress();
    error NothingToRebalance();
    error RebalanceNotDue(uint256 leverageWad, uint256 nextRebalanceTime);
    error RebalanceTooSoon(uint256 lastRebalance);
    error RipcordNotArmed(uint256 leverageWad, uint256 ripcordLeverageWad);
    error Insolvent(uint256 collateralValueWad, uint256 debtValueWad);
    error SlippageExceeded(uint256 amount, uint256 limit);
    error UnwindIncomplete(uint256 remainingDebt);
    error RedeemUnderwater(uint256 collateralShare, uint256 collateralSold);
    error InsufficientAssetsOut(uint256 assets, uint256 minAssets);
    error InsufficientSharesOut(uint256 shares, uint256 minShares);
    error DeadlineExpired(uint256 deadline);
    error InvalidLeverageBand(uint256 minWad, uint256 targetWad, uint256 maxWad, uint256 ripcordWad);
    error MaxSlippageTooHigh(uint256 maxSlippageBps);
    error RebalanceFeeTooHigh(uint256 rebalanceFeeBps);
    error ManagementFeeTooHigh(uint256 managementFeePerSecondWad);
    error InvalidMaxRounds(uint256 maxRounds);
    error TokenNotInPair(address token);
    error CooldownTooLong(uint256 cooldownSeconds);
    error CooldownActive(address account, uint256 cooldownEnd);
    error ReceiverNotApproved(address receiver, address caller);
}
