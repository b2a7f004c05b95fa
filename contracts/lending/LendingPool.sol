// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
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
/// @dev Every entry point: checks, accrue (the assets it touches: docs/SPEC.md §3.2), math, state, event, transfers
/// last. Storage is packed (docs/SPEC.md §9): an asset's hot fields share three slots, and each account keeps a
/// bitmap of the assets it uses, so a health check reads only those.
contract LendingPool is AccessControl, ReentrancyGuardTransient {
    using MathLib for uint256;
    using SafeCast for uint256;
    using SafeERC20 for IERC20;

    bytes32 public constant RISK_ADMIN_ROLE = keccak256("RISK_ADMIN_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Most assets a pool lists: one bit each in the per-account bitmaps (consent and debt halves).
    uint256 public constant MAX_ASSETS = 128;
    /// @notice Most decimals a listed token may have (`InvalidDecimals` above). Totals and reserves are uint128 base
    /// units: 2^128 of them are 3.4e14 whole tokens at 24 decimals (beyond any real supply) but 340 at 36, which
    /// interest alone outgrows, and then every accrual of the asset reverts (docs/SPEC.md §3.3 "Widths").
    uint256 public constant MAX_DECIMALS = 24;
    /// @notice Largest `minLeftoverUsdWad` (`InvalidMinLeftover` above): the most whose `* BPS` in a liquidation's
    /// dust test (`_liquidationAmounts`) fits uint256, about 1.16e73 WAD ($1.16e55).
    uint256 public constant MAX_MIN_LEFTOVER_USD_WAD = type(uint256).max / BPS;
    /// @dev The highest borrow rate an accrual charges (per second, RAY; 1,000% a year simple, as
    /// `KinkedRateModel.MAX_BORROW_RATE_PER_SECOND_RAY`): a rate model's answer above it is read as this bound, so a
    /// third-party `IRateModel` cannot take the borrow index past uint128 within a realistic time (which would make
    /// every later accrual revert and freeze the asset: docs/SPEC.md §3.3 "Widths").
    uint256 internal constant MAX_BORROW_RATE_PER_SECOND_RAY = 317_097_919_837_645_865_043; // = 10 * RAY / 365 days

    /// @notice Risk configuration of an asset, as `listAsset` / `setAssetConfig` take it and `configs` returns it.
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

    /// @notice Accounting state of an asset, as `getAssetState` returns it (stored packed in `Market`).
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

    /// @dev One listed asset in storage. Totals, indexes and reserves are uint128 (SafeCast on every store that can
    /// grow them: SafeCastOverflowedUintDowncast); slot 0 is what valuing a collateral (and a supply or withdraw)
    /// reads, slot 1 what valuing a debt (and a borrow or repay) reads, slot 2 what every operation on the asset
    /// reads first: its flags say whether the asset has debt (then it accrues) and whether supply / borrow is
    /// paused, so a debt-free asset's accrual and the pause checks read no other slot.
    struct Market {
        // slot 0
        uint128 supplyIndexRay;
        uint128 totalScaledSupply;
        // slot 1
        uint128 borrowIndexRay;
        uint128 totalScaledDebt;
        // slot 2
        uint128 reserves;
        uint40 lastUpdate; // seconds; uint40 holds any block time before the year 36,000
        uint8 decimals;
        uint8 id; // position in `_assets`, the asset's bit in the account bitmaps
        uint16 ltvBps;
        uint16 liquidationThresholdBps;
        uint16 reserveFactorBps;
        bool collateralEnabled;
        bool borrowEnabled;
        // LISTED | HAS_SUPPLY_CAP | HAS_BORROW_CAP (a cap slot is read only when its cap is set) | SUPPLY_PAUSED |
        // BORROW_PAUSED (copies of the pool-wide switches) | HAS_DEBT (totalScaledDebt != 0)
        uint8 flags;
        // slot 3
        IRateModel rateModel;
        uint16 liquidationBonusBps;
        uint16 liquidationProtocolFeeBps;
        // slots 4 - 6
        uint256 supplyCap;
        uint256 borrowCap;
        uint256 badDebt;
    }

    IPriceRouter public immutable priceRouter;
    address[] internal _assets;
    mapping(address asset => Market) internal _markets;
    mapping(address asset => mapping(address account => uint256)) public scaledSupplyOf;
    mapping(address asset => mapping(address account => uint256)) public scaledDebtOf;
    /// @dev Per account: bit `id` set = the account consented to asset `id` counting as its collateral (its own
    /// supply, its operator's, or `setUseAsCollateral`; cleared with the supply when it reaches 0 scaled, and by
    /// `setUseAsCollateral(false)`); bit `128 + id` set = it has a debt in asset `id`.
    mapping(address account => uint256) internal _accountAssets;

    // One slot: the pool-wide switches and liquidation parameters.
    uint16 internal _closeFactorBps = 5_000;
    uint64 internal _fullCloseHfWad = 0.95e18; // <= WAD < 2^64 (setCloseFactor checks)
    uint16 internal _flashLoanFeeBps; // <= MAX_FLASH_LOAN_FEE_BPS
    /// @notice Supply is paused by the guardian.
    bool public supplyPaused;
    /// @notice Borrow (and flash loans) are paused by the guardian.
    bool public borrowPaused;
    bool internal _flashLoanActive;
    /// @dev `minLeftoverUsdWad` in the same slot (what a liquidation reads with the close factor) while it is below
    /// 2^128 - 1; else BIG_MIN_LEFTOVER here and the value in `_minLeftoverFull`.
    uint128 internal _minLeftoverPacked = 100e18;
    uint256 internal _minLeftoverFull;

    uint256 internal constant LOW_128 = type(uint128).max;
    uint128 internal constant BIG_MIN_LEFTOVER = type(uint128).max;
    uint8 internal constant LISTED = 1;
    uint8 internal constant HAS_SUPPLY_CAP = 2;
    uint8 internal constant HAS_BORROW_CAP = 4;
    uint8 internal constant SUPPLY_PAUSED = 8;
    uint8 internal constant BORROW_PAUSED = 16;
    uint8 internal constant HAS_DEBT = 32;
    /// @dev The flags `_storeConfig` keeps (the rest it derives from the configuration).
    uint8 internal constant STATE_FLAGS = SUPPLY_PAUSED | BORROW_PAUSED | HAS_DEBT;
    /// @dev No asset hint (`_accrueAccount` / `_accountValues` read every id's address from `_assets`).
    uint256 internal constant NO_HINT = type(uint256).max;

    constructor(address admin, IPriceRouter router) {
        if (admin == address(0) || address(router) == address(0)) revert ErrorsLib.ZeroAddress();
        priceRouter = router;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ configuration

    /// @notice Lists `asset` with its rate model and risk configuration (at most `MAX_ASSETS`).
    function listAsset(address asset, IRateModel rateModel, AssetConfig calldata config)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (asset == address(0) || address(rateModel) == address(0)) revert ErrorsLib.ZeroAddress();
        if (address(rateModel).code.length == 0) revert ErrorsLib.InvalidRateModel();
        if (_markets[asset].flags & LISTED != 0) revert ErrorsLib.AssetAlreadyListed(asset);
        _validate(config);
        uint8 dec = IERC20Metadata(asset).decimals();
        if (dec > MAX_DECIMALS) revert ErrorsLib.InvalidDecimals(dec);
        uint256 id = _assets.length;
        if (id == MAX_ASSETS) revert ErrorsLib.TooManyAssets(MAX_ASSETS);
        _assets.push(asset);
        Market storage m = _markets[asset];
        m.supplyIndexRay = uint128(RAY);
        m.borrowIndexRay = uint128(RAY);
        m.lastUpdate = uint40(block.timestamp);
        m.decimals = dec;
        m.id = uint8(id); // id < MAX_ASSETS = 128 (checked above)
        m.rateModel = rateModel;
        m.flags = _pauseFlags(supplyPaused, borrowPaused);
        _storeConfig(m, config); // sets LISTED
        emit EventsLib.AssetListed(asset, address(rateModel), dec);
    }

    /// @notice Replaces the risk configuration of `asset` (interest up to now accrues under the old one).
    function setAssetConfig(address asset, AssetConfig calldata config) external onlyRole(RISK_ADMIN_ROLE) {
        Market storage m = _listed(asset);
        _validate(config);
        _accrue(asset, m);
        _storeConfig(m, config);
        emit EventsLib.AssetConfigUpdated(asset);
    }

    /// @notice Replaces the rate model of `asset` (interest up to now accrues under the old one).
    function setRateModel(address asset, IRateModel rateModel) external onlyRole(RISK_ADMIN_ROLE) {
        Market storage m = _listed(asset);
        if (address(rateModel) == address(0)) revert ErrorsLib.ZeroAddress();
        if (address(rateModel).code.length == 0) revert ErrorsLib.InvalidRateModel();
        _accrue(asset, m);
        m.rateModel = rateModel;
        emit EventsLib.RateModelUpdated(asset, address(rateModel));
    }

    /// @notice Close factor (share of one debt a liquidation may repay) and the HF below which it is 100%.
    function setCloseFactor(uint256 closeFactorBps_, uint256 fullCloseHfWad_) external onlyRole(RISK_ADMIN_ROLE) {
        if (closeFactorBps_ == 0 || closeFactorBps_ > BPS || fullCloseHfWad_ > WAD) {
            revert ErrorsLib.InvalidCloseFactor(closeFactorBps_, fullCloseHfWad_);
        }
        // Both fit: closeFactorBps_ <= BPS < 2^16 and fullCloseHfWad_ <= WAD < 2^64 (checked above).
        (_closeFactorBps, _fullCloseHfWad) = (uint16(closeFactorBps_), uint64(fullCloseHfWad_));
        emit EventsLib.CloseFactorUpdated(closeFactorBps_, fullCloseHfWad_);
    }

    /// @notice Sets the minimum USD value (WAD) a liquidation may leave in a debt or collateral position, at most
    /// `MAX_MIN_LEFTOVER_USD_WAD` (else `InvalidMinLeftover`: every liquidation's dust test would overflow).
    function setMinLeftover(uint256 minLeftoverUsdWad_) external onlyRole(RISK_ADMIN_ROLE) {
        if (minLeftoverUsdWad_ > MAX_MIN_LEFTOVER_USD_WAD) revert ErrorsLib.InvalidMinLeftover(minLeftoverUsdWad_);
        if (minLeftoverUsdWad_ < BIG_MIN_LEFTOVER) _minLeftoverPacked = uint128(minLeftoverUsdWad_); // fits (checked)
        else (_minLeftoverPacked, _minLeftoverFull) = (BIG_MIN_LEFTOVER, minLeftoverUsdWad_);
        emit EventsLib.MinLeftoverUpdated(minLeftoverUsdWad_);
    }

    /// @notice Pauses supply and/or borrow. Withdraw, repay and liquidation stay open.
    /// @dev Each market keeps a copy of both switches in its flags (what supply, borrow and flash loans read).
    function setPause(bool supplyPaused_, bool borrowPaused_) external onlyRole(GUARDIAN_ROLE) {
        (supplyPaused, borrowPaused) = (supplyPaused_, borrowPaused_);
        uint8 paused = _pauseFlags(supplyPaused_, borrowPaused_);
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            Market storage m = _markets[_assets[i]];
            m.flags = (m.flags & ~(SUPPLY_PAUSED | BORROW_PAUSED)) | paused;
        }
        emit EventsLib.PauseUpdated(supplyPaused_, borrowPaused_);
    }

    // ------------------------------------------------------------------ supply / withdraw

    /// @notice Supplies `amount` of `asset` credited to `onBehalf`.
    function supply(address asset, uint256 amount, address onBehalf) external nonReentrant {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0)) revert ErrorsLib.ZeroAddress();
        Market storage m = _listed(asset);
        if (m.flags & SUPPLY_PAUSED != 0) revert ErrorsLib.SupplyPaused();
        _accrue(asset, m);
        uint256 index = m.supplyIndexRay;
        uint256 scaled = amount.rayDivDown(index);
        if (scaled == 0) revert ErrorsLib.ZeroScaledAmount();
        uint256 newTotal = m.totalScaledSupply + scaled;
        uint256 cap = m.flags & HAS_SUPPLY_CAP != 0 ? m.supplyCap : 0;
        if (cap != 0 && newTotal.rayMulDown(index) > cap) revert ErrorsLib.SupplyCapExceeded(asset);
        m.totalScaledSupply = newTotal.toUint128();
        // The user's scaled supply is at most the total just stored (< 2^128): no overflow.
        unchecked {
            scaledSupplyOf[asset][onBehalf] += scaled;
        }
        // Only the account (or its operator) makes a supply count as collateral: a third party cannot plant any.
        if (_isSenderAuthorized(onBehalf)) _setBit(onBehalf, m.id);
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
    /// ZeroAmount / InsufficientBalance, InsufficientLiquidity, (accrue the account's assets) price errors,
    /// HealthFactorTooLow.
    function _withdraw(address asset, uint256 amount, address onBehalf, address receiver) internal returns (uint256) {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0) || receiver == address(0)) revert ErrorsLib.ZeroAddress();
        _requireSenderAuthorized(onBehalf);
        Market storage m = _listed(asset);
        _accrue(asset, m);
        uint256 index = m.supplyIndexRay;
        uint256 userScaled = scaledSupplyOf[asset][onBehalf];
        uint256 balance = userScaled.rayMulDown(index);
        uint256 scaled;
        if (amount == type(uint256).max) {
            (amount, scaled) = (balance, userScaled);
            if (amount == 0) revert ErrorsLib.ZeroAmount();
        } else {
            if (amount > balance) revert ErrorsLib.InsufficientBalance();
            scaled = _min(amount.rayDivUp(index), userScaled);
        }
        if (amount > _lendable(asset, m.reserves)) revert ErrorsLib.InsufficientLiquidity(asset);
        // scaled <= userScaled (min above) and userScaled <= the total (every scaled supply is counted in it).
        unchecked {
            scaledSupplyOf[asset][onBehalf] = userScaled - scaled;
            m.totalScaledSupply -= uint128(scaled);
        }
        if (scaled == userScaled) _clearConsent(onBehalf, asset, m.id);
        if (_accountAssets[onBehalf] >> 128 != 0) {
            _accrueAccount(onBehalf, asset, m.id, address(0), NO_HINT);
            (uint256 adjustedWad,, uint256 debtWad) = _accountValues(onBehalf, asset, m.id);
            if (adjustedWad < debtWad) revert ErrorsLib.HealthFactorTooLow();
        }
        emit EventsLib.Withdraw(asset, onBehalf, msg.sender, receiver, amount, scaled);
        IERC20(asset).safeTransfer(receiver, amount);
        return amount;
    }

    /// @notice The caller lets its `asset` supply count as collateral (`enabled`) or stops it. Enabling needs a
    /// supply (`NoSupplyBalance`: a consent never exists on a zero balance, docs/SPEC.md §3.5, as Aave V3);
    /// stopping requires HF >= 1 afterwards when the caller has debt (`HealthFactorTooLow`).
    function setUseAsCollateral(address asset, bool enabled) external nonReentrant {
        Market storage m = _listed(asset);
        if (enabled) {
            if (scaledSupplyOf[asset][msg.sender] == 0) revert ErrorsLib.NoSupplyBalance(asset);
            _setBit(msg.sender, m.id);
        } else {
            uint256 bits = _accountAssets[msg.sender];
            _accountAssets[msg.sender] = bits & ~(uint256(1) << m.id);
            if (bits >> 128 != 0) {
                _accrueAccount(msg.sender, asset, m.id, address(0), NO_HINT);
                (uint256 adjustedWad,, uint256 debtWad) = _accountValues(msg.sender, asset, m.id);
                if (adjustedWad < debtWad) revert ErrorsLib.HealthFactorTooLow();
            }
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
    /// BorrowNotEnabled, (accrue) InsufficientLiquidity, BorrowCapExceeded, (accrue the account's assets) price
    /// errors, InsufficientCollateral.
    function _borrow(address asset, uint256 amount, address onBehalf, address receiver) internal {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0) || receiver == address(0)) revert ErrorsLib.ZeroAddress();
        _requireSenderAuthorized(onBehalf);
        Market storage m = _listed(asset);
        if (m.flags & BORROW_PAUSED != 0) revert ErrorsLib.BorrowPaused();
        if (!m.borrowEnabled) revert ErrorsLib.BorrowNotEnabled(asset);
        _accrue(asset, m);
        if (amount > _lendable(asset, m.reserves)) revert ErrorsLib.InsufficientLiquidity(asset);
        uint256 index = m.borrowIndexRay;
        uint256 scaled = amount.rayDivUp(index);
        uint256 oldTotal = m.totalScaledDebt;
        uint256 newTotal = oldTotal + scaled;
        uint256 cap = m.flags & HAS_BORROW_CAP != 0 ? m.borrowCap : 0;
        if (cap != 0 && newTotal.rayMulUp(index) > cap) revert ErrorsLib.BorrowCapExceeded(asset);
        m.totalScaledDebt = newTotal.toUint128();
        // Interest runs from the moment an asset has debt again (accrual skips assets without debt: §3.2).
        if (oldTotal == 0) (m.lastUpdate, m.flags) = (uint40(block.timestamp), m.flags | HAS_DEBT);
        // The user's scaled debt is at most the total just stored (< 2^128): no overflow.
        unchecked {
            scaledDebtOf[asset][onBehalf] += scaled;
        }
        _setBit(onBehalf, 128 + m.id);
        _accrueAccount(onBehalf, asset, m.id, address(0), NO_HINT);
        (, uint256 capacityWad, uint256 debtWad) = _accountValues(onBehalf, asset, m.id);
        if (debtWad > capacityWad) revert ErrorsLib.InsufficientCollateral();
        emit EventsLib.Borrow(asset, onBehalf, msg.sender, receiver, amount, scaled);
        IERC20(asset).safeTransfer(receiver, amount);
    }

    /// @notice Repays up to `amount` (capped at the debt) of `onBehalf`'s `asset` debt; returns what was repaid.
    function repay(address asset, uint256 amount, address onBehalf) external nonReentrant returns (uint256) {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (onBehalf == address(0)) revert ErrorsLib.ZeroAddress();
        Market storage m = _listed(asset);
        _accrue(asset, m);
        uint256 userScaled = scaledDebtOf[asset][onBehalf];
        if (userScaled == 0) revert ErrorsLib.NoDebt();
        uint256 index = m.borrowIndexRay;
        uint256 debt = userScaled.rayMulUp(index);
        uint256 scaled;
        if (amount >= debt) (amount, scaled) = (debt, userScaled);
        else scaled = amount.rayDivDown(index);
        _burnDebt(asset, m, onBehalf, userScaled, scaled);
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
        uint256 borrowIndexRay;
        uint256 supplyIndexRay;
        uint256 debtUnit;
        uint256 collUnit;
        uint256 collId;
        uint256 debtId;
    }

    /// @notice Repays up to `repayAmount` of `borrower`'s `debtAsset` debt and seizes `collateralAsset`
    /// worth the repaid value times (1 + bonus). Only while the borrower's health factor is below 1.
    /// Rules (docs/SPEC.md §3.6): an unpriceable debt the liquidation does not touch counts as zero, an
    /// unpriceable collateral reverts with its price error (anyone may force some rejections); the
    /// repayment is derived from the seized collateral; nothing repaid or seized reverts; no dust is left.
    function liquidate(address borrower, address collateralAsset, address debtAsset, uint256 repayAmount)
        external
        nonReentrant
        returns (uint256 repaid, uint256 seized)
    {
        if (repayAmount == 0) revert ErrorsLib.ZeroAmount();
        Market storage c = _listed(collateralAsset);
        Market storage d = _listed(debtAsset);
        if (!c.collateralEnabled) revert ErrorsLib.CollateralNotEnabled(collateralAsset);
        _accrueAccount(borrower, collateralAsset, c.id, debtAsset, d.id);
        Liquidation memory liq;
        (liq.collId, liq.debtId) = (c.id, d.id);
        liq.userScaledDebt = scaledDebtOf[debtAsset][borrower];
        if (liq.userScaledDebt == 0) revert ErrorsLib.NoDebt();
        liq.userScaledColl = _collateralScaled(collateralAsset, c, borrower);
        if (liq.userScaledColl == 0) revert ErrorsLib.NoCollateral();
        liq.debtPriceWad = priceRouter.priceWad(debtAsset);
        liq.collPriceWad = priceRouter.priceWad(collateralAsset);
        (uint256 adjustedWad, uint256 debtWad) = _liquidationValues(borrower, liq, collateralAsset, debtAsset);
        liq.hfWad = adjustedWad.wadDivDown(debtWad);
        if (liq.hfWad >= WAD) revert ErrorsLib.HealthyAccount();
        liq.borrowIndexRay = d.borrowIndexRay;
        liq.supplyIndexRay = c.supplyIndexRay;
        liq.debtUnit = _unit(d.decimals);
        liq.collUnit = _unit(c.decimals);
        _liquidationAmounts(liq, c, repayAmount, borrower);

        scaledSupplyOf[collateralAsset][borrower] = liq.userScaledColl - liq.scaledSeized;
        c.totalScaledSupply -= uint128(liq.scaledSeized); // scaledSeized <= the user's scaled supply <= the total
        c.reserves = (c.reserves + liq.protocolFee).toUint128();
        _burnDebt(debtAsset, d, borrower, liq.userScaledDebt, liq.scaledRepaid);
        emit EventsLib.Liquidate(
            borrower, msg.sender, collateralAsset, debtAsset, liq.repaid, liq.seized, liq.protocolFee
        );
        // Collateral left in the seized asset (collateral-enabled, and consented: userScaledColl != 0) is
        // collateral: only a liquidation that seized all of it can leave the account with none. Seized whole,
        // the supply takes its consent with it (docs/SPEC.md §3.5).
        if (liq.scaledSeized == liq.userScaledColl) {
            _clearConsent(borrower, collateralAsset, liq.collId);
            if (!_hasCollateral(borrower, liq.collId)) _writeOffBadDebt(borrower);
        }

        IERC20(debtAsset).safeTransferFrom(msg.sender, address(this), liq.repaid);
        IERC20(collateralAsset).safeTransfer(msg.sender, liq.seized - liq.protocolFee);
        return (liq.repaid, liq.seized);
    }

    /// @dev docs/SPEC.md §3.6: close factor (lifted below the full-close line or for a dust-sized debt), the
    /// bonus capped so a liquidation at or above the line never lowers HF, seized collateral (down, at most
    /// all), the repayment derived from it (up, at most the request), zero checks, protocol fee, dust check.
    /// NothingToRepay (no scaled debt burned) spares the seizure of the account's last collateral whole: dust too
    /// small for one scaled unit of debt would otherwise block its bad-debt write-off for ever (§3.7).
    function _liquidationAmounts(Liquidation memory liq, Market storage c, uint256 repayAmount, address borrower)
        internal
        view
    {
        uint256 closeFactor = _closeFactorBps;
        liq.debt = liq.userScaledDebt.rayMulUp(liq.borrowIndexRay);
        bool aboveLine = liq.hfWad >= _fullCloseHfWad;
        // _minLeftover() <= MAX_MIN_LEFTOVER_USD_WAD (setMinLeftover checks): its product with BPS fits.
        bool dustDebt = liq.debt.mulDivUp(liq.debtPriceWad, liq.debtUnit) * (BPS - closeFactor)
            < _minLeftover() * BPS;
        uint256 requested = _min(repayAmount, aboveLine && !dustDebt ? liq.debt.bpsMulUp(closeFactor) : liq.debt);
        liq.bonusBps = c.liquidationBonusBps;
        if (aboveLine) liq.bonusBps = _hfPreservingBonusBps(c.liquidationThresholdBps, liq.bonusBps, liq.hfWad);
        // debt token units -> USD WAD -> collateral token units, both prices in one ratio
        liq.debtUnitValueWad = liq.debtPriceWad * liq.collUnit;
        liq.collUnitValueWad = liq.collPriceWad * liq.debtUnit;
        liq.collBalance = liq.userScaledColl.rayMulDown(liq.supplyIndexRay);
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
        liq.scaledRepaid = liq.repaid == liq.debt ? liq.userScaledDebt : liq.repaid.rayDivDown(liq.borrowIndexRay);
        if (liq.seized == 0) revert ErrorsLib.NothingToSeize();
        if (liq.scaledRepaid == 0 && (liq.seized < liq.collBalance || _hasCollateral(borrower, liq.collId))) {
            revert ErrorsLib.NothingToRepay();
        }
        _seizedAndDust(liq, c.liquidationProtocolFeeBps);
    }

    /// @dev Scaled collateral burned, protocol fee, and the dust rule (both positions left >= the minimum).
    function _seizedAndDust(Liquidation memory liq, uint256 protocolFeeBps) internal view {
        liq.scaledSeized = liq.seized == liq.collBalance
            ? liq.userScaledColl
            : _min(liq.seized.rayDivUp(liq.supplyIndexRay), liq.userScaledColl);
        liq.protocolFee = (liq.seized - liq.seized.mulDivUp(BPS, BPS + liq.bonusBps)).bpsMulUp(protocolFeeBps);
        if (liq.repaid < liq.debt && liq.seized < liq.collBalance) {
            uint256 debtLeftWad = (liq.userScaledDebt - liq.scaledRepaid).rayMulUp(liq.borrowIndexRay).mulDivUp(
                liq.debtPriceWad, liq.debtUnit
            );
            uint256 collLeftWad = (liq.userScaledColl - liq.scaledSeized).rayMulDown(liq.supplyIndexRay).mulDivDown(
                liq.collPriceWad, liq.collUnit
            );
            uint256 minLeft = _minLeftover();
            if (debtLeftWad < minLeft || collLeftWad < minLeft) revert ErrorsLib.MustNotLeaveDust();
        }
    }

    /// @dev The bonus of a liquidation at or above the full-close line, capped so that lt·(1 + bonus) <= HF
    /// (then it cannot lower HF, docs/SPEC.md §5.6): min(bonus, ⌊HF·BPS²/(lt·WAD)⌋ − BPS), at least 0.
    function _hfPreservingBonusBps(uint256 ltBps, uint256 bonusBps, uint256 hfWad) internal pure returns (uint256) {
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

    /// @notice The risk configuration of `asset` (all zero when not listed).
    function configs(address asset)
        external
        view
        returns (
            uint16 ltvBps,
            uint16 liquidationThresholdBps,
            uint16 liquidationBonusBps,
            uint16 liquidationProtocolFeeBps,
            uint16 reserveFactorBps,
            bool collateralEnabled,
            bool borrowEnabled,
            uint256 supplyCap,
            uint256 borrowCap
        )
    {
        Market storage m = _markets[asset];
        return (
            m.ltvBps,
            m.liquidationThresholdBps,
            m.liquidationBonusBps,
            m.liquidationProtocolFeeBps,
            m.reserveFactorBps,
            m.collateralEnabled,
            m.borrowEnabled,
            m.supplyCap,
            m.borrowCap
        );
    }

    /// @notice The whole accounting state of `asset` (as of its last accrual; all zero when not listed).
    function getAssetState(address asset) external view returns (AssetState memory) {
        Market storage m = _markets[asset];
        return AssetState(
            m.totalScaledSupply,
            m.totalScaledDebt,
            m.supplyIndexRay,
            m.borrowIndexRay,
            m.reserves,
            m.badDebt,
            m.lastUpdate,
            m.decimals,
            m.rateModel
        );
    }

    /// @notice `account` consented to `asset` counting as its collateral (its own supply, its operator's, or
    /// `setUseAsCollateral`). Supply by anyone else does not set it; a withdrawal or seizure of the whole supply
    /// clears it.
    function usesAsCollateral(address account, address asset) external view returns (bool) {
        Market storage m = _markets[asset];
        return m.flags & LISTED != 0 && (_accountAssets[account] >> m.id) & 1 == 1;
    }

    /// @notice USD value (WAD) below which no liquidation may leave a debt or a collateral position
    /// (docs/SPEC.md §3.6, "Dust"); a position that small is closed whole.
    function minLeftoverUsdWad() external view returns (uint256) {
        return _minLeftover();
    }

    /// @notice Close factor in bps.
    function closeFactorBps() external view returns (uint256) {
        return _closeFactorBps;
    }

    /// @notice Health factor (WAD) below which a liquidation may repay a whole debt.
    function fullCloseHfWad() external view returns (uint256) {
        return _fullCloseHfWad;
    }

    /// @notice Supply balance in token units (rounded down).
    function supplyBalance(address asset, address account) external view returns (uint256) {
        return scaledSupplyOf[asset][account].rayMulDown(_markets[asset].supplyIndexRay);
    }

    /// @notice Debt in token units (rounded up).
    function debtBalance(address asset, address account) external view returns (uint256) {
        return scaledDebtOf[asset][account].rayMulUp(_markets[asset].borrowIndexRay);
    }

    /// @notice (Σ collateral × threshold, Σ collateral × LTV, Σ debt) in USD WAD, at the last accrual.
    function accountValues(address account)
        external
        view
        returns (uint256 adjustedCollateralWad, uint256 borrowCapacityWad, uint256 debtWad)
    {
        return _accountValues(account, address(0), NO_HINT);
    }

    /// @notice Health factor (WAD); type(uint256).max without debt.
    function healthFactor(address account) external view returns (uint256) {
        (uint256 adjustedWad,, uint256 debtWad) = _accountValues(account, address(0), NO_HINT);
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

    function _storeConfig(Market storage m, AssetConfig calldata c) internal {
        (m.ltvBps, m.liquidationThresholdBps, m.reserveFactorBps) =
            (c.ltvBps, c.liquidationThresholdBps, c.reserveFactorBps);
        (m.collateralEnabled, m.borrowEnabled) = (c.collateralEnabled, c.borrowEnabled);
        (m.liquidationBonusBps, m.liquidationProtocolFeeBps) = (c.liquidationBonusBps, c.liquidationProtocolFeeBps);
        (m.supplyCap, m.borrowCap) = (c.supplyCap, c.borrowCap);
        m.flags = (m.flags & STATE_FLAGS) | LISTED | (c.supplyCap != 0 ? HAS_SUPPLY_CAP : 0)
            | (c.borrowCap != 0 ? HAS_BORROW_CAP : 0);
    }

    /// @dev The market of a listed `asset`, else AssetNotListed.
    function _listed(address asset) internal view returns (Market storage m) {
        m = _markets[asset];
        if (m.flags & LISTED == 0) revert ErrorsLib.AssetNotListed(asset);
    }

    /// @dev Sets bit `bit` of `account`'s bitmap (no write when it is set already).
    function _setBit(address account, uint256 bit) internal {
        uint256 bits = _accountAssets[account];
        uint256 mask = uint256(1) << bit;
        if (bits & mask == 0) _accountAssets[account] = bits | mask;
    }

    /// @dev Clears `account`'s consent to `asset` (id `id`) as collateral, with `UseAsCollateralSet(false)` when it
    /// was set: called when the account's scaled supply of the asset reaches 0 (a withdrawal or a seizure of all
    /// of it), so a later supply by a third party credits a balance that is not collateral (docs/SPEC.md §3.5).
    function _clearConsent(address account, address asset, uint256 id) internal {
        uint256 bits = _accountAssets[account];
        uint256 mask = uint256(1) << id;
        if (bits & mask != 0) {
            _accountAssets[account] = bits & ~mask;
            emit EventsLib.UseAsCollateralSet(account, asset, false);
        }
    }

    /// @dev The ids of the assets `account` uses (consents to as collateral, or owes), as a 128-bit set.
    function _usedIds(address account) internal view returns (uint256) {
        uint256 bits = _accountAssets[account];
        return (bits | (bits >> 128)) & LOW_128;
    }

    function _accrueAll() internal {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            address asset = _assets[i];
            _accrue(asset, _markets[asset]);
        }
    }

    /// @dev Accrues every asset `account` uses, in listing order (what its health check values). `hint` / `hint2`
    /// are the operation's own assets and `hintId` / `hint2Id` their ids (NO_HINT: none); their addresses are not
    /// read from `_assets` again.
    function _accrueAccount(address account, address hint, uint256 hintId, address hint2, uint256 hint2Id)
        internal
    {
        uint256 ids = _usedIds(account);
        for (uint256 id; ids != 0; ++id) {
            if (ids & 1 != 0) {
                address asset = id == hintId ? hint : (id == hint2Id ? hint2 : _assets[id]);
                _accrue(asset, _markets[asset]);
            }
            ids >>= 1;
        }
    }

    /// @dev Linear interest since the last accrual; borrowers' side rounded up, suppliers' down. An asset without
    /// debt accrues nothing and keeps its `lastUpdate` (the first borrow sets it: docs/SPEC.md §3.2).
    function _accrue(address asset, Market storage m) internal {
        if (m.flags & HAS_DEBT == 0) return; // HAS_DEBT is set exactly while totalScaledDebt != 0
        uint256 dt = block.timestamp - m.lastUpdate;
        if (dt == 0) return;
        uint256 scaledDebt = m.totalScaledDebt;
        uint256 borrowIndex = m.borrowIndexRay;
        uint256 supplyIndex = m.supplyIndexRay;
        uint256 scaledSupply = m.totalScaledSupply;
        uint256 totalDebt = scaledDebt.rayMulUp(borrowIndex);
        uint256 totalSupply = scaledSupply.rayMulDown(supplyIndex);
        uint256 utilizationWad = totalSupply == 0 ? WAD : _min(totalDebt.wadDivDown(totalSupply), WAD);
        uint256 rateRay = m.rateModel.borrowRatePerSecondRay(utilizationWad);
        if (rateRay > MAX_BORROW_RATE_PER_SECOND_RAY) rateRay = MAX_BORROW_RATE_PER_SECOND_RAY;
        uint256 newBorrowIndex = borrowIndex + borrowIndex.rayMulUp(rateRay * dt);
        uint256 interest = scaledDebt.rayMulUp(newBorrowIndex) - totalDebt;
        uint256 toReserves = interest;
        if (scaledSupply != 0) {
            uint256 toSuppliers = interest - interest.bpsMulUp(m.reserveFactorBps);
            // Suppliers earn at most the interest on what they funded (P-POOL-06): on debt beyond the supply (cash
            // no supplier funded, e.g. a donation, lent out) the interest goes to reserves. Without a donation it
            // does not bind while rf > 0: borrow and withdraw keep cash >= reserves, so D <= S (+ rounding dust);
            // accruals keep S·BPS >= D·(BPS − rf) (up to rounding), and then interest·S/D >= the share. Per unit
            // it bounds the supply index's growth by the borrow index's: ΔSI/SI <= ΔBI/BI + 1/D (docs/SPEC.md §3.3).
            if (totalSupply < totalDebt) toSuppliers = _min(toSuppliers, interest.mulDivDown(totalSupply, totalDebt));
            toReserves = interest - toSuppliers;
            if (toSuppliers != 0) {
                uint256 raised = supplyIndex + toSuppliers.mulDivDown(RAY, scaledSupply);
                // An index past uint128 would make this accrual, and every later one, revert: the asset frozen.
                // Its suppliers' share goes to reserves instead (docs/SPEC.md §3.3 "Widths").
                if (raised > LOW_128) toReserves = interest;
                else supplyIndex = raised;
            }
        }
        m.supplyIndexRay = uint128(supplyIndex); // <= LOW_128 (the old index or `raised`, checked above)
        m.borrowIndexRay = newBorrowIndex.toUint128();
        m.reserves = (m.reserves + toReserves).toUint128();
        m.lastUpdate = uint40(block.timestamp);
        emit EventsLib.InterestAccrued(asset, newBorrowIndex, supplyIndex, interest, toReserves);
    }

    /// @dev Collateral rounded down, debt rounded up; prices read only for the assets the account uses. `hint`
    /// / `hintId`: as `_accrueAccount`.
    function _accountValues(address account, address hint, uint256 hintId)
        internal
        view
        returns (uint256 adjustedWad, uint256 capacityWad, uint256 debtWad)
    {
        uint256 bits = _accountAssets[account];
        uint256 ids = (bits | (bits >> 128)) & LOW_128;
        for (uint256 id; ids != 0; ++id) {
            if (ids & 1 != 0) {
                address asset = id == hintId ? hint : _assets[id];
                Market storage m = _markets[asset];
                uint256 sc = (bits >> id) & 1 == 1 && m.collateralEnabled ? scaledSupplyOf[asset][account] : 0;
                uint256 sd = (bits >> (128 + id)) & 1 == 1 ? scaledDebtOf[asset][account] : 0;
                if (sc != 0 || sd != 0) {
                    uint256 priceWad = priceRouter.priceWad(asset);
                    uint256 unit = _unit(m.decimals);
                    if (sc != 0) {
                        uint256 valueWad = sc.rayMulDown(m.supplyIndexRay).mulDivDown(priceWad, unit);
                        adjustedWad += valueWad.bpsMulDown(m.liquidationThresholdBps);
                        capacityWad += valueWad.bpsMulDown(m.ltvBps);
                    }
                    if (sd != 0) debtWad += sd.rayMulUp(m.borrowIndexRay).mulDivUp(priceWad, unit);
                }
            }
            ids >>= 1;
        }
    }

    /// @dev (Σ collateral × threshold, Σ debt) in USD WAD as `_accountValues`, except that a debt-only asset whose
    /// price the router rejects counts as zero (a lower bound of the debt); a collateral's rejected price reverts
    /// with the router's error, as anyone may force some rejections (a breaker tripped by a swap: docs/SPEC.md §3.6).
    /// The two assets of the liquidation reuse the prices `liq` read already (the same call, the same block).
    function _liquidationValues(address account, Liquidation memory liq, address collateralAsset, address debtAsset)
        internal
        view
        returns (uint256 adjustedWad, uint256 debtWad)
    {
        uint256 bits = _accountAssets[account];
        uint256 ids = (bits | (bits >> 128)) & LOW_128;
        for (uint256 id; ids != 0; ++id) {
            if (ids & 1 != 0) {
                address asset = id == liq.collId ? collateralAsset : (id == liq.debtId ? debtAsset : _assets[id]);
                Market storage m = _markets[asset];
                uint256 sc = (bits >> id) & 1 == 1 && m.collateralEnabled ? scaledSupplyOf[asset][account] : 0;
                uint256 sd = (bits >> (128 + id)) & 1 == 1 ? scaledDebtOf[asset][account] : 0;
                (bool priced, uint256 priceWad) = (sc != 0 || sd != 0)
                    ? _priceForLiquidation(asset, liq, collateralAsset, debtAsset, sc != 0)
                    : (false, 0);
                if (priced) {
                    uint256 unit = _unit(m.decimals);
                    if (sc != 0) {
                        adjustedWad += sc.rayMulDown(m.supplyIndexRay).mulDivDown(priceWad, unit).bpsMulDown(
                            m.liquidationThresholdBps
                        );
                    }
                    if (sd != 0) debtWad += sd.rayMulUp(m.borrowIndexRay).mulDivUp(priceWad, unit);
                }
            }
            ids >>= 1;
        }
    }

    /// @dev The price of `asset` for `_liquidationValues`: the liquidation's own two prices, else the router's; a
    /// rejection reverts for a `collateral` asset and is (false, 0) for a debt-only one.
    function _priceForLiquidation(
        address asset,
        Liquidation memory liq,
        address collateralAsset,
        address debtAsset,
        bool collateral
    ) internal view returns (bool, uint256) {
        if (asset == debtAsset) return (true, liq.debtPriceWad);
        if (asset == collateralAsset) return (true, liq.collPriceWad);
        if (collateral) return (true, priceRouter.priceWad(asset));
        try priceRouter.priceWad(asset) returns (uint256 p) {
            return (true, p);
        } catch {
            return (false, 0);
        }
    }

    /// @dev The account's scaled supply of `asset` if it counts as collateral (listed as collateral and the
    /// account consented), else 0.
    function _collateralScaled(address asset, Market storage m, address account) internal view returns (uint256) {
        if (!m.collateralEnabled || (_accountAssets[account] >> m.id) & 1 == 0) return 0;
        return scaledSupplyOf[asset][account];
    }

    /// @dev Tokens of `asset` the pool may lend or pay out to suppliers: its cash minus the reserves (which
    /// belong to the protocol), 0 when reserves exceed the cash (docs/SPEC.md §3.5).
    function _lendable(address asset, uint256 reserves) internal view returns (uint256) {
        uint256 cash = IERC20(asset).balanceOf(address(this));
        return cash > reserves ? cash - reserves : 0;
    }

    /// @dev Burns `scaled` of `account`'s `userScaled` debt of `asset` (scaled <= userScaled: the callers round
    /// down or take all); a debt burnt whole clears the account's debt bit.
    function _burnDebt(address asset, Market storage m, address account, uint256 userScaled, uint256 scaled)
        internal
    {
        uint256 left = userScaled - scaled;
        scaledDebtOf[asset][account] = left;
        uint256 total = m.totalScaledDebt;
        // scaled <= userScaled <= the total: no underflow.
        unchecked {
            total -= scaled;
        }
        m.totalScaledDebt = uint128(total); // <= the old total < 2^128
        if (total == 0) m.flags &= ~HAS_DEBT;
        if (left == 0) _accountAssets[account] &= ~(uint256(1) << (128 + m.id));
    }

    /// @dev Whether any asset the account consented to, other than asset `skipId`, counts as collateral with a
    /// non-zero supply.
    function _hasCollateral(address account, uint256 skipId) internal view returns (bool) {
        uint256 ids = _accountAssets[account] & LOW_128;
        for (uint256 id; ids != 0; ++id) {
            if (ids & 1 != 0 && id != skipId) {
                address asset = _assets[id];
                if (_markets[asset].collateralEnabled && scaledSupplyOf[asset][account] != 0) return true;
            }
            ids >>= 1;
        }
        return false;
    }

    /// @dev The account has no collateral left: every debt it still has is written off, reserves first,
    /// then that asset's suppliers through the supply index.
    function _writeOffBadDebt(address account) internal {
        uint256 ids = _accountAssets[account] >> 128;
        for (uint256 id; ids != 0; ++id) {
            if (ids & 1 != 0) {
                address asset = _assets[id];
                Market storage m = _markets[asset];
                uint256 scaled = scaledDebtOf[asset][account];
                uint256 amount = scaled.rayMulUp(m.borrowIndexRay);
                _burnDebt(asset, m, account, scaled, scaled);
                uint256 reserves = m.reserves;
                uint256 fromReserves = _min(reserves, amount);
                m.reserves = uint128(reserves - fromReserves); // <= reserves < 2^128
                uint256 fromSuppliers = amount - fromReserves;
                uint256 scaledSupply = m.totalScaledSupply;
                if (fromSuppliers != 0 && scaledSupply != 0) {
                    uint256 deltaRay = fromSuppliers.mulDivUp(RAY, scaledSupply);
                    uint256 index = m.supplyIndexRay;
                    // The index never reaches zero (it divides later amounts); a loss beyond every claim stays
                    // recorded. The new index is below the old one (< 2^128).
                    m.supplyIndexRay = uint128(index > deltaRay ? index - deltaRay : 1);
                }
                m.badDebt += amount;
                emit EventsLib.BadDebtWrittenOff(account, asset, amount, fromReserves, fromSuppliers);
            }
            ids >>= 1;
        }
    }

    /// @dev `minLeftoverUsdWad` (one slot read unless it is 2^128 - 1 or more).
    function _minLeftover() internal view returns (uint256) {
        uint256 packed = _minLeftoverPacked;
        return packed == BIG_MIN_LEFTOVER ? _minLeftoverFull : packed;
    }

    /// @dev 10^decimals of a listed asset: decimals <= MAX_DECIMALS = 24 (listAsset checks), so 10^24 < 2^80.
    function _unit(uint256 decimals) internal pure returns (uint256 unit) {
        unchecked {
            unit = 10 ** decimals;
        }
    }

    /// @dev The market flags of the pool-wide pause switches.
    function _pauseFlags(bool supplyPaused_, bool borrowPaused_) internal pure returns (uint8) {
        return (supplyPaused_ ? SUPPLY_PAUSED : 0) | (borrowPaused_ ? BORROW_PAUSED : 0);
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
    /// @notice `isAuthorized[account][operator]`: `operator` may borrow and withdraw for `account`.
    mapping(address account => mapping(address operator => bool)) public isAuthorized;

    /// @notice Sets the flash-loan fee (bps of the amount, at most `MAX_FLASH_LOAN_FEE_BPS`).
    function setFlashLoanFee(uint256 feeBps) external onlyRole(RISK_ADMIN_ROLE) {
        if (feeBps > MAX_FLASH_LOAN_FEE_BPS) revert FlashErrorsLib.FlashLoanFeeTooHigh(feeBps);
        _flashLoanFeeBps = uint16(feeBps); // <= MAX_FLASH_LOAN_FEE_BPS < 2^16 (checked above)
        emit FlashEventsLib.FlashLoanFeeUpdated(feeBps);
    }

    /// @notice Lends `amount` of `asset` to `receiver` for the duration of its `onFlashLoan` callback, then
    /// pulls back `amount + fee` (the receiver approves the pool). The fee is added to the asset's reserves.
    /// @dev Not under the pool's `nonReentrant` lock, so the callback can supply, borrow and repay (that is
    /// what a one-shot loop does); its own lock forbids a nested flash loan. Repayment is pulled, never
    /// read from the balance, so tokens supplied inside the callback can not count as repayment. It does refuse
    /// to start while the pool's lock is held (`ReentrancyGuardReentrantCall`: a token's transfer hook inside
    /// another entry point; docs/SPEC.md §8, P-FLASH-04), like every other token-moving entry point (P-POOL-16).
    function flashLoan(IFlashLoanReceiver receiver, address asset, uint256 amount, bytes calldata data) external {
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        if (_flashLoanActive) revert FlashErrorsLib.FlashLoanReentrancy();
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (address(receiver) == address(0)) revert ErrorsLib.ZeroAddress();
        Market storage m = _listed(asset);
        if (m.flags & BORROW_PAUSED != 0) revert ErrorsLib.BorrowPaused();
        if (amount > IERC20(asset).balanceOf(address(this))) revert ErrorsLib.InsufficientLiquidity(asset);
        uint256 fee = amount.bpsMulUp(_flashLoanFeeBps);
        _flashLoanActive = true;
        m.reserves = (m.reserves + fee).toUint128();
        emit FlashEventsLib.FlashLoan(address(receiver), msg.sender, asset, amount, fee);
        IERC20(asset).safeTransfer(address(receiver), amount);
        if (receiver.onFlashLoan(msg.sender, asset, amount, fee, data) != FLASH_LOAN_CALLBACK_SUCCESS) {
            revert FlashErrorsLib.FlashLoanCallbackFailed();
        }
        IERC20(asset).safeTransferFrom(address(receiver), address(this), amount + fee);
        _flashLoanActive = false;
    }

    /// @notice Fee of a flash loan in bps of the amount (rounded up); it goes to the asset's reserves.
    function flashLoanFeeBps() external view returns (uint256) {
        return _flashLoanFeeBps;
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
