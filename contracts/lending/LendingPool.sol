// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IRateModel} from "../interfaces/IRateModel.sol";
import {IPriceRouter} from "../interfaces/IPriceRouter.sol";
import {MathLib, WAD, RAY, BPS} from "../libraries/MathLib.sol";
import {ErrorsLib} from "../libraries/ErrorsLib.sol";
import {EventsLib} from "../libraries/EventsLib.sol";
import {FlashErrorsLib} from "../libraries/FlashErrorsLib.sol";
import {FlashEventsLib} from "../libraries/FlashEventsLib.sol";
import {IFlashLoanReceiver} from "../interfaces/IFlashLoanReceiver.sol";

/// @title LendingPool
/// @notice Multi-asset, cross-collateral lending pool. Twin: protocol_model/exact/lending/lending_pool.py (same order of
/// checks, same rounding, same errors). Units and the rounding table: docs/SPEC.md.
/// @dev Every entry point: checks, accrue (all assets), math, state, event, transfers last.
contract LendingPool is AccessControl, ReentrancyGuard {
    using MathLib for uint256;
    using SafeERC20 for IERC20;

    bytes32 public constant RISK_ADMIN_ROLE = keccak256("RISK_ADMIN_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    struct AssetConfig {
        uint16 ltvBps;
        uint16 liquidationThresholdBps;
        uint16 liquidationBonusBps;
        uint16 liquidationProtocolFeeBps;
        uint16 reserveFactorBps;
        bool collateralEnabled;
        bool borrowEnabled;
        uint256 supplyCap; // token units, 0 = none
        uint256 borrowCap; // token units, 0 = none
    }

    struct AssetState {
        uint256 totalScaledSupply;
        uint256 totalScaledDebt;
        uint256 supplyIndexRay;
        uint256 borrowIndexRay;
        uint256 reserves; // token units owed to the protocol
        uint256 badDebt; // cumulative token units written off
        uint64 lastUpdate;
        uint8 decimals;
        IRateModel rateModel;
    }

    IPriceRouter public immutable priceRouter;
    address[] internal _assets;
    mapping(address asset => AssetConfig) public configs;
    mapping(address asset => AssetState) public states;
    mapping(address asset => mapping(address account => uint256)) public scaledSupplyOf;
    mapping(address asset => mapping(address account => uint256)) public scaledDebtOf;

    uint256 public closeFactorBps = 5_000;
    uint256 public fullCloseHfWad = 0.95e18;
    /// @notice USD value (WAD) below which no liquidation may leave a debt or a collateral position
    /// (docs/SPEC.md §3.6, "Dust"); a position that small is closed whole.
    uint256 public minLeftoverUsdWad = 100e18;
    /// @notice `usesAsCollateral[account][asset]`: the account consented to `asset` counting as its collateral
    /// (set by its own supply, its operator's, or `setUseAsCollateral`). Supply by anyone else does not set it.
    mapping(address account => mapping(address asset => bool)) public usesAsCollateral;
    bool public supplyPaused;
    bool public borrowPaused;

    constructor(address admin, IPriceRouter router) {
        if (admin == address(0) || address(router) == address(0)) revert ErrorsLib.ZeroAddress();
        priceRouter = router;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ configuration

    /// @notice Lists `asset` with its rate model and risk configuration.
    function listAsset(address asset, IRateModel rateModel, AssetConfig calldata config)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (asset == address(0) || address(rateModel) == address(0)) revert ErrorsLib.ZeroAddress();
        if (states[asset].supplyIndexRay != 0) revert ErrorsLib.AssetAlreadyListed(asset);
        _validate(config);
        uint8 dec = IERC20Metadata(asset).decimals();
        if (dec > 36) revert ErrorsLib.InvalidDecimals(dec);
        _assets.push(asset);
        states[asset] = AssetState(0, 0, RAY, RAY, 0, 0, uint64(block.timestamp), dec, rateModel);
        configs[asset] = config;
        emit EventsLib.AssetListed(asset, address(rateModel), dec);
    }

    /// @notice Replaces the risk configuration of `asset` (interest up to now accrues under the old one).
    function setAssetConfig(address asset, AssetConfig calldata config) external onlyRole(RISK_ADMIN_ROLE) {
        _requireListed(asset);
        _validate(config);
        _accrue(asset);
        configs[asset] = config;
        emit EventsLib.AssetConfigUpdated(asset);
    }

    /// @notice Replaces the rate model of `asset` (interest up to now accrues under the old one).
    function setRateModel(address asset, IRateModel rateModel) external onlyRole(RISK_ADMIN_ROLE) {
        _requireListed(asset);
        if (address(rateModel) == address(0)) revert ErrorsLib.ZeroAddress();
        _accrue(asset);
        states[asset].rateModel = rateModel;
        emit EventsLib.RateModelUpdated(asset, address(rateModel));
    }

    /// @notice Close factor (share of one debt a liquidation may repay) and the HF below which it is 100%.
    function setCloseFactor(uint256 closeFactorBps_, uint256 fullCloseHfWad_) external onlyRole(RISK_ADMIN_ROLE) {
        if (closeFactorBps_ == 0 || closeFactorBps_ > BPS || fullCloseHfWad_ > WAD) {
            revert ErrorsLib.InvalidCloseFactor(closeFactorBps_, fullCloseHfWad_);
        }
        (closeFactorBps, fullCloseHfWad) = (closeFactorBps_, fullCloseHfWad_);
        emit EventsLib.CloseFactorUpdated(closeFactorBps_, fullCloseHfWad_);
    }

    /// @notice Sets the minimum USD value (WAD) a liquidation may leave in a debt or collateral position.
    function setMinLeftover(uint256 minLeftoverUsdWad_) external onlyRole(RISK_ADMIN_ROLE) {
        minLeftoverUsdWad = minLeftoverUsdWad_;
        emit EventsLib.MinLeftoverUpdated(minLeftoverUsdWad_);
    }

    /// @notice Pauses supply and/or borrow. Withdraw, repay and liquidation stay open.
    function setPause(bool supplyPaused_, bool borrowPaused_) external onlyRole(GUARDIAN_ROLE) {
        (supplyPaused, borrowPaused) = (supplyPaused_, borrowPaused_);
        emit EventsLib.PauseUpdated(supplyPaused_, borrowPaused_);
    }

    // ------------------------------------------------------------------ supply / withdraw

    /// @notice Supplies `amount` of `asset` credited to `onBehalf`.
    function supply(address asset, uint256 amount, address onBehalf) external nonReentrant {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0)) revert ErrorsLib.ZeroAddress();
        _requireListed(asset);
        if (supplyPaused) revert ErrorsLib.SupplyPaused();
        _accrueAll();
        AssetState storage s = states[asset];
        uint256 scaled = amount.rayDivDown(s.supplyIndexRay);
        if (scaled == 0) revert ErrorsLib.ZeroScaledAmount();
        uint256 newTotal = s.totalScaledSupply + scaled;
        uint256 cap = configs[asset].supplyCap;
        if (cap != 0 && newTotal.rayMulDown(s.supplyIndexRay) > cap) revert ErrorsLib.SupplyCapExceeded(asset);
        s.totalScaledSupply = newTotal;
        scaledSupplyOf[asset][onBehalf] += scaled;
        // Only the account (or its operator) makes a supply count as collateral: a third party cannot plant any.
        if (_isSenderAuthorized(onBehalf)) usesAsCollateral[onBehalf][asset] = true;
        emit EventsLib.Supply(asset, msg.sender, onBehalf, amount, scaled);
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws `amount` (type(uint256).max: everything) of the caller's `asset` supply to `to`.
    function withdraw(address asset, uint256 amount, address to) external nonReentrant returns (uint256) {
        return _withdraw(asset, amount, msg.sender, to);
    }

    /// @notice Withdraws `amount` (type(uint256).max: everything) of `onBehalf`'s `asset` supply to `receiver`.
    /// The caller is `onBehalf` or an operator `onBehalf` authorized (`setAuthorization`). Same rules as `withdraw`.
    function withdrawOnBehalf(address asset, uint256 amount, address onBehalf, address receiver)
        external
        nonReentrant
        returns (uint256)
    {
        return _withdraw(asset, amount, onBehalf, receiver);
    }

    /// @dev The one withdraw path: `withdraw` is `_withdraw(asset, amount, msg.sender, to)`.
    /// Errors in order (docs/SPEC.md §4): ZeroAmount, ZeroAddress, Unauthorized, AssetNotListed, (accrue),
    /// ZeroAmount / InsufficientBalance, InsufficientLiquidity, price errors, HealthFactorTooLow.
    function _withdraw(address asset, uint256 amount, address onBehalf, address receiver) internal returns (uint256) {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0) || receiver == address(0)) revert ErrorsLib.ZeroAddress();
        _requireSenderAuthorized(onBehalf);
        _requireListed(asset);
        _accrueAll();
        AssetState storage s = states[asset];
        uint256 userScaled = scaledSupplyOf[asset][onBehalf];
        uint256 balance = userScaled.rayMulDown(s.supplyIndexRay);
        uint256 scaled;
        if (amount == type(uint256).max) {
            (amount, scaled) = (balance, userScaled);
            if (amount == 0) revert ErrorsLib.ZeroAmount();
        } else {
            if (amount > balance) revert ErrorsLib.InsufficientBalance();
            scaled = _min(amount.rayDivUp(s.supplyIndexRay), userScaled);
        }
        if (amount > _lendable(asset)) revert ErrorsLib.InsufficientLiquidity(asset);
        scaledSupplyOf[asset][onBehalf] = userScaled - scaled;
        s.totalScaledSupply -= scaled;
        if (_hasDebt(onBehalf)) {
            (uint256 adjustedWad,, uint256 debtWad) = _accountValues(onBehalf);
            if (adjustedWad < debtWad) revert ErrorsLib.HealthFactorTooLow();
        }
        emit EventsLib.Withdraw(asset, onBehalf, msg.sender, receiver, amount, scaled);
        IERC20(asset).safeTransfer(receiver, amount);
        return amount;
    }

    /// @notice The caller lets its `asset` supply count as collateral (`enabled`) or stops it; stopping
    /// requires HF >= 1 afterwards when the caller has debt (`HealthFactorTooLow`).
    function setUseAsCollateral(address asset, bool enabled) external nonReentrant {
        _requireListed(asset);
        _accrueAll();
        usesAsCollateral[msg.sender][asset] = enabled;
        if (!enabled && _hasDebt(msg.sender)) {
            (uint256 adjustedWad,, uint256 debtWad) = _accountValues(msg.sender);
            if (adjustedWad < debtWad) revert ErrorsLib.HealthFactorTooLow();
        }
        emit EventsLib.UseAsCollateralSet(msg.sender, asset, enabled);
    }

    // ------------------------------------------------------------------ borrow / repay

    /// @notice Borrows `amount` of `asset` against the caller's collateral.
    function borrow(address asset, uint256 amount) external nonReentrant {
        _borrow(asset, amount, msg.sender, msg.sender);
    }

    /// @notice Borrows `amount` of `asset` against `onBehalf`'s collateral (the debt is theirs) and sends it to
    /// `receiver`. The caller is `onBehalf` or an operator `onBehalf` authorized. Same rules as `borrow`.
    function borrowOnBehalf(address asset, uint256 amount, address onBehalf, address receiver) external nonReentrant {
        _borrow(asset, amount, onBehalf, receiver);
    }

    /// @dev The one borrow path: `borrow` is `_borrow(asset, amount, msg.sender, msg.sender)`.
    /// Errors in order (docs/SPEC.md §4): ZeroAmount, ZeroAddress, Unauthorized, AssetNotListed, BorrowPaused,
    /// BorrowNotEnabled, (accrue), InsufficientLiquidity, BorrowCapExceeded, price errors, InsufficientCollateral.
    function _borrow(address asset, uint256 amount, address onBehalf, address receiver) internal {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0) || receiver == address(0)) revert ErrorsLib.ZeroAddress();
        _requireSenderAuthorized(onBehalf);
        _requireListed(asset);
        if (borrowPaused) revert ErrorsLib.BorrowPaused();
        if (!configs[asset].borrowEnabled) revert ErrorsLib.BorrowNotEnabled(asset);
        _accrueAll();
        if (amount > _lendable(asset)) revert ErrorsLib.InsufficientLiquidity(asset);
        AssetState storage s = states[asset];
        uint256 scaled = amount.rayDivUp(s.borrowIndexRay);
        uint256 newTotal = s.totalScaledDebt + scaled;
        uint256 cap = configs[asset].borrowCap;
        if (cap != 0 && newTotal.rayMulUp(s.borrowIndexRay) > cap) revert ErrorsLib.BorrowCapExceeded(asset);
        s.totalScaledDebt = newTotal;
        scaledDebtOf[asset][onBehalf] += scaled;
        (, uint256 capacityWad, uint256 debtWad) = _accountValues(onBehalf);
        if (debtWad > capacityWad) revert ErrorsLib.InsufficientCollateral();
        emit EventsLib.Borrow(asset, onBehalf, msg.sender, receiver, amount, scaled);
        IERC20(asset).safeTransfer(receiver, amount);
    }

    /// @notice Repays up to `amount` (capped at the debt) of `onBehalf`'s `asset` debt; returns what was repaid.
    function repay(address asset, uint256 amount, address onBehalf) external nonReentrant returns (uint256) {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0)) revert ErrorsLib.ZeroAddress();
        _requireListed(asset);
        _accrueAll();
        AssetState storage s = states[asset];
        uint256 userScaled = scaledDebtOf[asset][onBehalf];
        if (userScaled == 0) revert ErrorsLib.NoDebt();
        uint256 debt = userScaled.rayMulUp(s.borrowIndexRay);
        uint256 scaled;
        if (amount >= debt) (amount, scaled) = (debt, userScaled);
        else scaled = amount.rayDivDown(s.borrowIndexRay);
        scaledDebtOf[asset][onBehalf] = userScaled - scaled;
        s.totalScaledDebt -= scaled;
        emit EventsLib.Repay(asset, msg.sender, onBehalf, amount, scaled);
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
        return amount;
    }

    // ------------------------------------------------------------------ liquidation

    /// @dev Amounts of one liquidation (memory, to keep the stack shallow).
    struct Liquidation {
        uint256 userScaledDebt;
        uint256 userScaledColl;
        uint256 debt;
        uint256 repaid;
        uint256 seized;
        uint256 scaledRepaid;
        uint256 scaledSeized;
        uint256 protocolFee;
        uint256 hfWad;
        uint256 debtPriceWad;
        uint256 collPriceWad;
        uint256 bonusBps;
        uint256 collBalance;
        uint256 debtUnitValueWad;
        uint256 collUnitValueWad;
    }

    /// @notice Repays up to `repayAmount` of `borrower`'s `debtAsset` debt and seizes `collateralAsset`
    /// worth the repaid value times (1 + bonus). Only while the borrower's health factor is below 1.
    /// Rules (docs/SPEC.md §3.6): unpriceable assets the liquidation does not touch count as zero; the
    /// repayment is derived from the seized collateral; nothing repaid or seized reverts; no dust is left.
    function liquidate(address borrower, address collateralAsset, address debtAsset, uint256 repayAmount)
        external
        nonReentrant
        returns (uint256 repaid, uint256 seized)
    {
        if (repayAmount == 0) revert ErrorsLib.ZeroAmount();
        _requireListed(collateralAsset);
        _requireListed(debtAsset);
        if (!configs[collateralAsset].collateralEnabled) revert ErrorsLib.CollateralNotEnabled(collateralAsset);
        _accrueAll();
        Liquidation memory liq;
        liq.userScaledDebt = scaledDebtOf[debtAsset][borrower];
        if (liq.userScaledDebt == 0) revert ErrorsLib.NoDebt();
        liq.userScaledColl = _collateralScaled(collateralAsset, borrower);
        if (liq.userScaledColl == 0) revert ErrorsLib.NoCollateral();
        liq.debtPriceWad = priceRouter.priceWad(debtAsset);
        liq.collPriceWad = priceRouter.priceWad(collateralAsset);
        (uint256 adjustedWad, uint256 debtWad) = _liquidationValues(borrower);
        liq.hfWad = adjustedWad.wadDivDown(debtWad);
        if (liq.hfWad >= WAD) revert ErrorsLib.HealthyAccount();
        _liquidationAmounts(liq, collateralAsset, debtAsset, repayAmount);

        AssetState storage c = states[collateralAsset];
        AssetState storage d = states[debtAsset];
        scaledSupplyOf[collateralAsset][borrower] = liq.userScaledColl - liq.scaledSeized;
        c.totalScaledSupply -= liq.scaledSeized;
        c.reserves += liq.protocolFee;
        scaledDebtOf[debtAsset][borrower] = liq.userScaledDebt - liq.scaledRepaid;
        d.totalScaledDebt -= liq.scaledRepaid;
        emit EventsLib.Liquidate(
            borrower, msg.sender, collateralAsset, debtAsset, liq.repaid, liq.seized, liq.protocolFee
        );
        if (!_hasCollateral(borrower)) _writeOffBadDebt(borrower);

        IERC20(debtAsset).safeTransferFrom(msg.sender, address(this), liq.repaid);
        IERC20(collateralAsset).safeTransfer(msg.sender, liq.seized - liq.protocolFee);
        return (liq.repaid, liq.seized);
    }

    /// @dev docs/SPEC.md §3.6: close factor (lifted below the full-close line or for a dust-sized debt), the
    /// bonus capped so a liquidation at or above the line never lowers HF, seized collateral (down, at most
    /// all), the repayment derived from it (up, at most the request), zero checks, protocol fee, dust check.
    function _liquidationAmounts(
        Liquidation memory liq,
        address collateralAsset,
        address debtAsset,
        uint256 repayAmount
    ) internal view {
        AssetState storage d = states[debtAsset];
        liq.debt = liq.userScaledDebt.rayMulUp(d.borrowIndexRay);
        bool aboveLine = liq.hfWad >= fullCloseHfWad;
        bool dustDebt = liq.debt.mulDivUp(liq.debtPriceWad, 10 ** d.decimals) * (BPS - closeFactorBps)
            < minLeftoverUsdWad * BPS;
        uint256 requested = _min(repayAmount, aboveLine && !dustDebt ? liq.debt.bpsMulUp(closeFactorBps) : liq.debt);
        liq.bonusBps = configs[collateralAsset].liquidationBonusBps;
        if (aboveLine) liq.bonusBps = _hfPreservingBonusBps(collateralAsset, liq.bonusBps, liq.hfWad);
        // debt token units -> USD WAD -> collateral token units, both prices in one ratio
        liq.debtUnitValueWad = liq.debtPriceWad * 10 ** states[collateralAsset].decimals;
        liq.collUnitValueWad = liq.collPriceWad * 10 ** d.decimals;
        liq.collBalance = liq.userScaledColl.rayMulDown(states[collateralAsset].supplyIndexRay);
        liq.seized = _min(
            requested.mulDivDown(liq.debtUnitValueWad, liq.collUnitValueWad).bpsMulDown(BPS + liq.bonusBps),
            liq.collBalance
        );
        liq.repaid = requested == liq.debt && liq.seized < liq.collBalance
            ? requested
            : _min(
                liq.seized.mulDivUp(BPS, BPS + liq.bonusBps).mulDivUp(liq.collUnitValueWad, liq.debtUnitValueWad),
                requested
            );
        liq.scaledRepaid = liq.repaid == liq.debt ? liq.userScaledDebt : liq.repaid.rayDivDown(d.borrowIndexRay);
        if (liq.seized == 0) revert ErrorsLib.NothingToSeize();
        if (liq.scaledRepaid == 0) revert ErrorsLib.NothingToRepay();
        _seizedAndDust(liq, collateralAsset, debtAsset);
    }

    /// @dev Scaled collateral burned, protocol fee, and the dust rule (both positions left >= the minimum).
    function _seizedAndDust(Liquidation memory liq, address collateralAsset, address debtAsset) internal view {
        AssetState storage c = states[collateralAsset];
        liq.scaledSeized = liq.seized == liq.collBalance
            ? liq.userScaledColl
            : _min(liq.seized.rayDivUp(c.supplyIndexRay), liq.userScaledColl);
        liq.protocolFee = (liq.seized - liq.seized.mulDivUp(BPS, BPS + liq.bonusBps)).bpsMulUp(
            configs[collateralAsset].liquidationProtocolFeeBps
        );
        if (liq.repaid < liq.debt && liq.seized < liq.collBalance) {
            AssetState storage d = states[debtAsset];
            uint256 debtLeftWad = (liq.userScaledDebt - liq.scaledRepaid).rayMulUp(d.borrowIndexRay).mulDivUp(
                liq.debtPriceWad, 10 ** d.decimals
            );
            uint256 collLeftWad = (liq.userScaledColl - liq.scaledSeized).rayMulDown(c.supplyIndexRay).mulDivDown(
                liq.collPriceWad, 10 ** c.decimals
            );
            if (debtLeftWad < minLeftoverUsdWad || collLeftWad < minLeftoverUsdWad) revert ErrorsLib.MustNotLeaveDust();
        }
    }

    /// @dev The bonus of a liquidation at or above the full-close line, capped so that lt·(1 + bonus) <= HF
    /// (then it cannot lower HF, docs/SPEC.md §5.6): min(bonus, ⌊HF·BPS²/(lt·WAD)⌋ − BPS), at least 0.
    function _hfPreservingBonusBps(address collateralAsset, uint256 bonusBps, uint256 hfWad)
        internal
        view
        returns (uint256)
    {
        uint256 ltBps = configs[collateralAsset].liquidationThresholdBps;
        if (ltBps == 0) return bonusBps;
        uint256 capBps = hfWad.mulDivDown(BPS * BPS, ltBps * WAD);
        if (capBps >= BPS + bonusBps) return bonusBps;
        return capBps > BPS ? capBps - BPS : 0;
    }

    // ------------------------------------------------------------------ views

    /// @notice Listed assets, in listing order.
    function assetList() external view returns (address[] memory) {
        return _assets;
    }

    /// @notice The whole accounting state of `asset` (as of its last accrual).
    function getAssetState(address asset) external view returns (AssetState memory) {
        return states[asset];
    }

    /// @notice Supply balance in token units (rounded down).
    function supplyBalance(address asset, address account) external view returns (uint256) {
        return scaledSupplyOf[asset][account].rayMulDown(states[asset].supplyIndexRay);
    }

    /// @notice Debt in token units (rounded up).
    function debtBalance(address asset, address account) external view returns (uint256) {
        return scaledDebtOf[asset][account].rayMulUp(states[asset].borrowIndexRay);
    }

    /// @notice (Σ collateral × threshold, Σ collateral × LTV, Σ debt) in USD WAD, at the last accrual.
    function accountValues(address account)
        external
        view
        returns (uint256 adjustedCollateralWad, uint256 borrowCapacityWad, uint256 debtWad)
    {
        return _accountValues(account);
    }

    /// @notice Health factor (WAD); type(uint256).max without debt.
    function healthFactor(address account) external view returns (uint256) {
        (uint256 adjustedWad,, uint256 debtWad) = _accountValues(account);
        return debtWad == 0 ? type(uint256).max : adjustedWad.wadDivDown(debtWad);
    }

    // ------------------------------------------------------------------ internals

    function _validate(AssetConfig calldata c) internal pure {
        if (c.liquidationThresholdBps >= BPS) revert ErrorsLib.ThresholdTooHigh(c.liquidationThresholdBps);
        if (c.ltvBps > c.liquidationThresholdBps) revert ErrorsLib.LtvAboveThreshold(c.ltvBps, c.liquidationThresholdBps);
        // threshold × (1 + bonus) must stay below 100%, or seizing could never restore health.
        if (uint256(c.liquidationThresholdBps) * (BPS + c.liquidationBonusBps) >= BPS * BPS) {
            revert ErrorsLib.LiquidationBonusTooHigh(c.liquidationThresholdBps, c.liquidationBonusBps);
        }
        if (c.liquidationProtocolFeeBps > BPS) revert ErrorsLib.FeeTooHigh(c.liquidationProtocolFeeBps);
        if (c.reserveFactorBps > BPS) revert ErrorsLib.FeeTooHigh(c.reserveFactorBps);
    }

    function _requireListed(address asset) internal view {
        if (states[asset].supplyIndexRay == 0) revert ErrorsLib.AssetNotListed(asset);
    }

    function _accrueAll() internal {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            _accrue(_assets[i]);
        }
    }

    /// @dev Linear interest since the last touch; borrowers' side rounded up, suppliers' down.
    function _accrue(address asset) internal {
        AssetState storage s = states[asset];
        uint256 dt = block.timestamp - s.lastUpdate;
        if (dt == 0) return;
        s.lastUpdate = uint64(block.timestamp);
        uint256 scaledDebt = s.totalScaledDebt;
        if (scaledDebt == 0) return;
        uint256 totalDebt = scaledDebt.rayMulUp(s.borrowIndexRay);
        uint256 totalSupply = s.totalScaledSupply.rayMulDown(s.supplyIndexRay);
        uint256 utilizationWad = totalSupply == 0 ? WAD : _min(totalDebt.wadDivDown(totalSupply), WAD);
        uint256 rateRay = s.rateModel.borrowRatePerSecondRay(utilizationWad);
        uint256 newBorrowIndex = s.borrowIndexRay + s.borrowIndexRay.rayMulUp(rateRay * dt);
        uint256 interest = scaledDebt.rayMulUp(newBorrowIndex) - totalDebt;
        uint256 toReserves = interest.bpsMulUp(configs[asset].reserveFactorBps);
        if (s.totalScaledSupply == 0) toReserves = interest;
        else s.supplyIndexRay += (interest - toReserves).mulDivDown(RAY, s.totalScaledSupply);
        s.borrowIndexRay = newBorrowIndex;
        s.reserves += toReserves;
        emit EventsLib.InterestAccrued(asset, newBorrowIndex, s.supplyIndexRay, interest, toReserves);
    }

    /// @dev Collateral rounded down, debt rounded up; prices read only for assets that count.
    function _accountValues(address account)
        internal
        view
        returns (uint256 adjustedWad, uint256 capacityWad, uint256 debtWad)
    {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            address asset = _assets[i];
            AssetConfig storage cfg = configs[asset];
            uint256 sc = _collateralScaled(asset, account);
            uint256 sd = scaledDebtOf[asset][account];
            if (sc == 0 && sd == 0) continue;
            AssetState storage s = states[asset];
            uint256 priceWad = priceRouter.priceWad(asset);
            uint256 unit = 10 ** s.decimals;
            if (sc != 0) {
                uint256 valueWad = sc.rayMulDown(s.supplyIndexRay).mulDivDown(priceWad, unit);
                adjustedWad += valueWad.bpsMulDown(cfg.liquidationThresholdBps);
                capacityWad += valueWad.bpsMulDown(cfg.ltvBps);
            }
            if (sd != 0) debtWad += sd.rayMulUp(s.borrowIndexRay).mulDivUp(priceWad, unit);
        }
    }

    /// @dev (Σ collateral × threshold, Σ debt) in USD WAD as `_accountValues`, except that an asset whose price
    /// the router rejects counts as zero (collateral and debt alike): a liquidation is decided on valid prices.
    function _liquidationValues(address account) internal view returns (uint256 adjustedWad, uint256 debtWad) {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            address asset = _assets[i];
            uint256 sc = _collateralScaled(asset, account);
            uint256 sd = scaledDebtOf[asset][account];
            if (sc == 0 && sd == 0) continue;
            uint256 priceWad;
            try priceRouter.priceWad(asset) returns (uint256 p) {
                priceWad = p;
            } catch {
                continue;
            }
            AssetState storage s = states[asset];
            uint256 unit = 10 ** s.decimals;
            if (sc != 0) {
                adjustedWad += sc.rayMulDown(s.supplyIndexRay).mulDivDown(priceWad, unit).bpsMulDown(
                    configs[asset].liquidationThresholdBps
                );
            }
            if (sd != 0) debtWad += sd.rayMulUp(s.borrowIndexRay).mulDivUp(priceWad, unit);
        }
    }

    /// @dev The account's scaled supply of `asset` if it counts as collateral (listed as collateral and the
    /// account consented), else 0.
    function _collateralScaled(address asset, address account) internal view returns (uint256) {
        if (!configs[asset].collateralEnabled || !usesAsCollateral[account][asset]) return 0;
        return scaledSupplyOf[asset][account];
    }

    /// @dev Tokens of `asset` the pool may lend or pay out to suppliers: its cash minus the reserves (which
    /// belong to the protocol), 0 when reserves exceed the cash (docs/SPEC.md §3.5).
    function _lendable(address asset) internal view returns (uint256) {
        uint256 cash = IERC20(asset).balanceOf(address(this));
        uint256 reserves = states[asset].reserves;
        return cash > reserves ? cash - reserves : 0;
    }

    function _hasDebt(address account) internal view returns (bool) {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            if (scaledDebtOf[_assets[i]][account] != 0) return true;
        }
        return false;
    }

    function _hasCollateral(address account) internal view returns (bool) {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            if (_collateralScaled(_assets[i], account) != 0) return true;
        }
        return false;
    }

    /// @dev The account has no collateral left: every debt it still has is written off, reserves first,
    /// then that asset's suppliers through the supply index.
    function _writeOffBadDebt(address account) internal {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            address asset = _assets[i];
            uint256 scaled = scaledDebtOf[asset][account];
            if (scaled == 0) continue;
            AssetState storage s = states[asset];
            uint256 amount = scaled.rayMulUp(s.borrowIndexRay);
            scaledDebtOf[asset][account] = 0;
            s.totalScaledDebt -= scaled;
            uint256 fromReserves = _min(s.reserves, amount);
            s.reserves -= fromReserves;
            uint256 fromSuppliers = amount - fromReserves;
            if (fromSuppliers != 0 && s.totalScaledSupply != 0) {
                uint256 deltaRay = fromSuppliers.mulDivUp(RAY, s.totalScaledSupply);
                // The index never reaches zero (it divides later amounts); a loss beyond every claim stays recorded.
                s.supplyIndexRay = s.supplyIndexRay > deltaRay ? s.supplyIndexRay - deltaRay : 1;
            }
            s.badDebt += amount;
            emit EventsLib.BadDebtWrittenOff(account, asset, amount, fromReserves, fromSuppliers);
        }
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    // ------------------------------------------------------------------ flash loans and delegation
    // Twin: protocol_model/exact/lending/lending_pool.py, section "flash loans and delegation"; rules in docs/SPEC.md §8.
    // A strategy contract (contracts/strategies/Looper.sol) opens and unwinds a position that stays the
    // user's own: the user authorizes it once (`setAuthorization`), and it borrows / withdraws for them.

    /// @notice What a flash-loan receiver's `onFlashLoan` must return.
    bytes32 public constant FLASH_LOAN_CALLBACK_SUCCESS = keccak256("LendingPool.onFlashLoan");
    /// @notice Upper bound of the flash-loan fee (10%).
    uint256 public constant MAX_FLASH_LOAN_FEE_BPS = 1_000;
    /// @notice Fee of a flash loan in bps of the amount (rounded up); it goes to the asset's reserves.
    uint256 public flashLoanFeeBps;
    /// @notice `isAuthorized[account][operator]`: `operator` may borrow and withdraw for `account`.
    mapping(address account => mapping(address operator => bool)) public isAuthorized;
    bool internal _flashLoanActive;

    /// @notice Sets the flash-loan fee (bps of the amount, at most `MAX_FLASH_LOAN_FEE_BPS`).
    function setFlashLoanFee(uint256 feeBps) external onlyRole(RISK_ADMIN_ROLE) {
        if (feeBps > MAX_FLASH_LOAN_FEE_BPS) revert FlashErrorsLib.FlashLoanFeeTooHigh(feeBps);
        flashLoanFeeBps = feeBps;
        emit FlashEventsLib.FlashLoanFeeUpdated(feeBps);
    }

    /// @notice Lends `amount` of `asset` to `receiver` for the duration of its `onFlashLoan` callback, then
    /// pulls back `amount + fee` (the receiver approves the pool). The fee is added to the asset's reserves.
    /// @dev Not under the pool's `nonReentrant` lock, so the callback can supply, borrow and repay (that is
    /// what a one-shot loop does); its own lock forbids a nested flash loan. Repayment is pulled, never
    /// read from the balance, so tokens supplied inside the callback can not count as repayment.
    function flashLoan(IFlashLoanReceiver receiver, address asset, uint256 amount, bytes calldata data) external {
        if (_flashLoanActive) revert FlashErrorsLib.FlashLoanReentrancy();
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (address(receiver) == address(0)) revert ErrorsLib.ZeroAddress();
        _requireListed(asset);
        if (borrowPaused) revert ErrorsLib.BorrowPaused();
        if (amount > IERC20(asset).balanceOf(address(this))) revert ErrorsLib.InsufficientLiquidity(asset);
        uint256 fee = amount.bpsMulUp(flashLoanFeeBps);
        _flashLoanActive = true;
        states[asset].reserves += fee;
        emit FlashEventsLib.FlashLoan(address(receiver), msg.sender, asset, amount, fee);
        IERC20(asset).safeTransfer(address(receiver), amount);
        if (receiver.onFlashLoan(msg.sender, asset, amount, fee, data) != FLASH_LOAN_CALLBACK_SUCCESS) {
            revert FlashErrorsLib.FlashLoanCallbackFailed();
        }
        IERC20(asset).safeTransferFrom(address(receiver), address(this), amount + fee);
        _flashLoanActive = false;
    }

    /// @notice Lets `operator` borrow and withdraw for the caller (`authorized = true`) or stops it.
    function setAuthorization(address operator, bool authorized) external {
        if (operator == address(0)) revert ErrorsLib.ZeroAddress();
        isAuthorized[msg.sender][operator] = authorized;
        emit FlashEventsLib.AuthorizationSet(msg.sender, operator, authorized);
    }

    /// @notice Accrues interest on every listed asset up to now (views then read current balances).
    /// @dev Strategies (Looper, LeveragedToken) call it before they price a position.
    function accrueAll() external nonReentrant {
        _accrueAll();
    }

    /// @dev The one authorization check (Morpho Blue's `_isSenderAuthorized`): the caller is `onBehalf` itself
    /// or an operator `onBehalf` authorized; else `Unauthorized(caller, onBehalf)`.
    function _requireSenderAuthorized(address onBehalf) internal view {
        if (!_isSenderAuthorized(onBehalf)) revert FlashErrorsLib.Unauthorized(msg.sender, onBehalf);
    }

    /// @dev The caller is `onBehalf` or an operator `onBehalf` authorized.
    function _isSenderAuthorized(address onBehalf) internal view returns (bool) {
        return msg.sender == onBehalf || isAuthorized[onBehalf][msg.sender];
    }
}
