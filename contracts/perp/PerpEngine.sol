// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPriceRouter} from "../interfaces/IPriceRouter.sol";
import {MathLib, WAD, BPS} from "../libraries/MathLib.sol";
import {ErrorsLib} from "../libraries/ErrorsLib.sol";
import {PerpErrorsLib} from "./PerpErrorsLib.sol";
import {PerpEventsLib} from "./PerpEventsLib.sol";
import {PerpMath} from "./PerpMath.sol";

/// @title PerpEngine
/// @notice Perpetual-futures margin engine settled in one stablecoin (1 token = 1 quote unit), marked by the
/// PriceRouter's index price. Cross margin (one balance for all cross positions of an account) and isolated
/// margin (one balance per account and market). Matched trades are settled by an operator (the venue's
/// matching engine) within a price band around the index; the last trade price is the mark, and funding
/// follows the mark's premium over the index, capped. Liquidators take over positions at the index price.
/// A bankrupt bucket's shortfall is paid by the insurance fund, then charged to the opposite side's open
/// positions pro rata to size. Twin: protocol_model/perp/ (same checks, rounding, errors); docs/perp_margin.md.
/// @dev All balances are signed WAD quote units; sizes are signed WAD base units (1e18 = one whole unit).
/// Caller-controlled uint256 amounts become int256 through SafeCast (SafeCastOverflowedUintToInt, never a wrap);
/// the remaining int256(...) casts carry their bound in a comment.
contract PerpEngine is AccessControl, ReentrancyGuard {
    using MathLib for uint256;
    using SafeCast for uint256;
    using PerpMath for int256;
    using SafeERC20 for IERC20;

    bytes32 public constant RISK_ADMIN_ROLE = keccak256("RISK_ADMIN_ROLE");
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    struct MarketParams {
        uint16 initialMarginBps;
        uint16 maintenanceMarginBps;
        uint16 tradeFeeBps;
        uint16 liquidationPenaltyBps;
        uint16 liquidatorShareBps;
        uint16 closeFactorBps;
        uint16 fullLiquidationBps; // equity below maintenance × this → the whole position is closed
        uint16 maxFundingRateBps; // per funding period
        uint16 priceBandBps;
        uint32 fundingPeriod; // seconds
        uint32 markMaxAge; // seconds after the last trade during which the mark drives funding
    }

    struct Market {
        address indexAsset;
        int256 cumLongWad; // cumulative funding per whole unit of size, long side
        int256 cumShortWad; // same, short side (differs after a socialised loss)
        uint256 markPriceWad;
        uint256 longOiWad;
        uint256 shortOiWad;
        uint64 lastFundingTime;
        uint64 markTime; // when the mark was set (last trade, or listing)
    }

    struct Position {
        int256 sizeWad;
        int256 openNotionalWad;
        int256 fundingSnapshotWad;
        bool isolated;
    }

    struct Margin {
        int256 equityWad;
        uint256 initialWad;
        uint256 maintenanceWad;
    }

    IPriceRouter public immutable priceRouter;
    IERC20 public immutable collateral;
    uint256 public immutable unitScale; // 10^(18 - collateral decimals)

    Market[] internal _markets;
    MarketParams[] internal _params;
    mapping(address account => int256) public crossBalanceWad;
    mapping(address account => mapping(uint256 marketId => int256)) public isolatedBalanceWad;
    mapping(address account => mapping(uint256 marketId => Position)) internal _positions;
    uint256 public insuranceFundWad;
    uint256 public unsocializedLossWad;

    constructor(address admin, IPriceRouter router, IERC20 collateralToken) {
        if (admin == address(0) || address(router) == address(0) || address(collateralToken) == address(0)) {
            revert ErrorsLib.ZeroAddress();
        }
        uint8 dec = IERC20Metadata(address(collateralToken)).decimals();
        if (dec > 18) revert ErrorsLib.InvalidDecimals(dec);
        priceRouter = router;
        collateral = collateralToken;
        unitScale = 10 ** (18 - dec);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ configuration

    /// @notice Lists a market on `indexAsset`'s router price; the mark starts at the index. Returns its id.
    function listMarket(address indexAsset, MarketParams calldata p) external onlyRole(RISK_ADMIN_ROLE) returns (uint256) {
        if (indexAsset == address(0)) revert ErrorsLib.ZeroAddress();
        _validate(p);
        uint256 index = priceRouter.priceWad(indexAsset);
        _markets.push(Market(indexAsset, 0, 0, index, 0, 0, uint64(block.timestamp), uint64(block.timestamp)));
        _params.push(p);
        emit PerpEventsLib.MarketListed(_markets.length - 1, indexAsset, index);
        return _markets.length - 1;
    }

    /// @notice Replaces a market's parameters; funding accrues first under the old ones.
    function setMarketParams(uint256 id, MarketParams calldata p) external onlyRole(RISK_ADMIN_ROLE) {
        _requireListed(id);
        _validate(p);
        _accrue(id);
        _params[id] = p;
        emit PerpEventsLib.MarketParamsUpdated(id);
    }

    function _validate(MarketParams calldata p) internal pure {
        if (p.maintenanceMarginBps == 0 || p.maintenanceMarginBps >= p.initialMarginBps || p.initialMarginBps > BPS) {
            revert PerpErrorsLib.MarginRatiosInvalid(p.initialMarginBps, p.maintenanceMarginBps);
        }
        uint16[7] memory bps = [p.tradeFeeBps, p.liquidationPenaltyBps, p.liquidatorShareBps, p.closeFactorBps,
            p.fullLiquidationBps, p.maxFundingRateBps, p.priceBandBps];
        for (uint256 i; i < bps.length; ++i) {
            if (bps[i] > BPS) revert PerpErrorsLib.BpsOutOfRange(bps[i]);
        }
        if (p.closeFactorBps == 0) revert PerpErrorsLib.BpsOutOfRange(0);
        if (p.fundingPeriod == 0) revert PerpErrorsLib.ZeroFundingPeriod();
        if (p.markMaxAge == 0) revert PerpErrorsLib.ZeroMarkMaxAge();
    }

    // ------------------------------------------------------------------ collateral

    /// @notice Deposits `amount` collateral tokens into the caller's cross balance. Reads no price.
    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        uint256 wad = amount * unitScale;
        crossBalanceWad[msg.sender] += wad.toInt256();
        emit PerpEventsLib.Deposit(msg.sender, amount, wad);
        collateral.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Adds `amount` collateral tokens to the insurance fund.
    function fundInsurance(uint256 amount) external nonReentrant {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        uint256 wad = amount * unitScale;
        insuranceFundWad += wad;
        emit PerpEventsLib.InsuranceFunded(msg.sender, amount, wad);
        collateral.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws `amount` tokens from the cross balance; cross equity must stay at or above the
    /// initial margin of the cross positions. Reads (and accrues) only the markets of the cross positions.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        _accrueBucket(msg.sender, false, 0);
        uint256 wad = amount * unitScale;
        int256 signedWad = wad.toInt256();
        if (crossBalanceWad[msg.sender] < signedWad) revert PerpErrorsLib.InsufficientBalance();
        crossBalanceWad[msg.sender] -= signedWad;
        Margin memory mg = _margin(msg.sender, false, 0);
        // initialWad < 2^255: each term's |size|·price passed the checked int256 product in _addPosition
        if (mg.equityWad < int256(mg.initialWad)) revert PerpErrorsLib.InsufficientMargin(msg.sender);
        emit PerpEventsLib.Withdraw(msg.sender, amount, wad);
        collateral.safeTransfer(msg.sender, amount);
    }

    /// @notice Chooses cross (false) or isolated (true) margin for the caller's position in market `id`.
    function setMarginMode(uint256 id, bool isolated) external {
        _requireListed(id);
        Position storage p = _positions[msg.sender][id];
        if (p.sizeWad != 0) revert PerpErrorsLib.PositionOpen();
        p.isolated = isolated;
        emit PerpEventsLib.MarginModeSet(msg.sender, id, isolated);
    }

    /// @notice Moves `amountWad` from the cross balance to market `id`'s isolated balance (positive) or back
    /// (negative). The bucket it leaves must keep equity at or above its initial margin; only that bucket's
    /// markets are read (and accrued).
    function transferMargin(uint256 id, int256 amountWad) external nonReentrant {
        if (amountWad == 0) revert ErrorsLib.ZeroAmount();
        _requireListed(id);
        bool fromCross = amountWad > 0;
        _accrueBucket(msg.sender, !fromCross, id);
        uint256 amount = amountWad.abs();
        int256 source = fromCross ? crossBalanceWad[msg.sender] : isolatedBalanceWad[msg.sender][id];
        if (source < int256(amount)) revert PerpErrorsLib.InsufficientBalance(); // amount = |int256| < 2^255
        crossBalanceWad[msg.sender] -= amountWad;
        isolatedBalanceWad[msg.sender][id] += amountWad;
        Margin memory mg = _margin(msg.sender, !fromCross, id);
        // initialWad < 2^255: each term's |size|·price passed the checked int256 product in _addPosition
        if (mg.equityWad < int256(mg.initialWad)) revert PerpErrorsLib.InsufficientMargin(msg.sender);
        emit PerpEventsLib.MarginTransferred(msg.sender, id, amountWad);
    }

    // ------------------------------------------------------------------ trading

    /// @notice Settles a matched trade: `buyer` goes long and `seller` short by `sizeWad` at `priceWad`,
    /// which must lie within the market's band around the index. Each side pays the trade fee to the
    /// insurance fund. A side whose risk grew must meet initial margin, otherwise maintenance margin. Reads (and
    /// accrues) market `id` and the markets of the two buckets the trade settles into, nothing else.
    function trade(uint256 id, address buyer, address seller, uint256 sizeWad, uint256 priceWad)
        external
        onlyRole(OPERATOR_ROLE)
        nonReentrant
    {
        if (sizeWad == 0 || priceWad == 0) revert ErrorsLib.ZeroAmount();
        int256 size = sizeWad.toInt256();
        if (buyer == address(0) || seller == address(0)) revert ErrorsLib.ZeroAddress();
        _requireListed(id);
        if (buyer == seller) revert PerpErrorsLib.SelfTrade();
        _accrue(id);
        _accrueBucket(buyer, _positions[buyer][id].isolated, id);
        _accrueBucket(seller, _positions[seller][id].isolated, id);
        uint256 index = priceRouter.priceWad(_markets[id].indexAsset);
        uint256 band = index.bpsMulDown(_params[id].priceBandBps);
        if (priceWad + band < index || priceWad > index + band) revert PerpErrorsLib.PriceOutsideBand(priceWad, index);
        uint256 fee = sizeWad.mulDivUp(priceWad, WAD).bpsMulUp(_params[id].tradeFeeBps);
        bool buyerUp = _fill(buyer, id, size, priceWad);
        _chargeFee(buyer, id, fee);
        bool sellerUp = _fill(seller, id, -size, priceWad);
        _chargeFee(seller, id, fee);
        _markets[id].markPriceWad = priceWad;
        _markets[id].markTime = uint64(block.timestamp);
        emit PerpEventsLib.Trade(id, buyer, seller, sizeWad, priceWad);
        _checkMargin(buyer, id, buyerUp);
        _checkMargin(seller, id, sellerUp);
    }

    // ------------------------------------------------------------------ liquidation

    /// @notice Liquidates `account`'s position in market `id` when its bucket's equity is below maintenance
    /// margin: the caller takes over part of it (close factor) or all of it (equity below the full-liquidation
    /// line) at the index price. The account pays a penalty (capped at its remaining balance), shared between
    /// the caller and the insurance fund. A bucket left with no position and a negative balance is bankrupt.
    /// Reads (and accrues) market `id` and the markets of the account's and the caller's buckets only.
    function liquidate(address account, uint256 id) external nonReentrant {
        _requireListed(id);
        if (account == msg.sender) revert PerpErrorsLib.SelfTrade();
        Position storage p = _positions[account][id];
        if (p.sizeWad == 0) revert PerpErrorsLib.NoPosition();
        bool iso = p.isolated;
        _accrue(id);
        _accrueBucket(account, iso, id);
        _accrueBucket(msg.sender, _positions[msg.sender][id].isolated, id);
        bool wasLong = p.sizeWad > 0;
        (uint256 closeAbs, uint256 price) = _liquidationSize(account, iso, id);
        int256 closed = wasLong ? int256(closeAbs) : -int256(closeAbs); // closeAbs <= |size| < 2^255
        _fill(account, id, -closed, price);
        (uint256 penalty, uint256 reward) = _penalty(account, iso, id, closeAbs.mulDivUp(price, WAD));
        emit PerpEventsLib.Liquidation(id, account, msg.sender, closed, price, penalty, reward);
        // Bankruptcy before the liquidator's fill: a liquidator on the winning side cannot net its position away
        // from the socialised charge (it pays its share when its fill settles funding).
        if (!_hasPositions(account, iso, id) && _balance(account, iso, id) < 0) _bankrupt(account, iso, id, wasLong);
        bool liquidatorUp = _fill(msg.sender, id, closed, price);
        _checkMargin(msg.sender, id, liquidatorUp);
    }

    /// @dev NotLiquidatable unless equity < maintenance; the size taken over (all of it below the
    /// full-liquidation line, else ⌈|size|·closeFactor⌉) and the index price.
    function _liquidationSize(address account, bool iso, uint256 id) internal view returns (uint256, uint256) {
        Margin memory mg = _margin(account, iso, id);
        // maintenanceWad < 2^255 (and the full-liquidation line below it): as initialWad, see withdraw
        if (mg.equityWad >= int256(mg.maintenanceWad)) revert PerpErrorsLib.NotLiquidatable();
        MarketParams memory mp = _params[id];
        uint256 price = priceRouter.priceWad(_markets[id].indexAsset);
        uint256 absSize = _positions[account][id].sizeWad.abs();
        uint256 closeAbs = mg.equityWad < int256(mg.maintenanceWad.bpsMulDown(mp.fullLiquidationBps))
            ? absSize
            : PerpMath.min(absSize.bpsMulUp(mp.closeFactorBps), absSize);
        return (closeAbs, price);
    }

    /// @dev Penalty ⌈notional·penaltyBps⌉ capped at the bucket's remaining positive balance; the caller's share
    /// (rounded down) goes to its cross balance, the rest to the insurance fund.
    function _penalty(address account, bool iso, uint256 id, uint256 notionalWad)
        internal
        returns (uint256 penalty, uint256 reward)
    {
        MarketParams memory mp = _params[id];
        int256 bal = _balance(account, iso, id);
        penalty = PerpMath.min(notionalWad.bpsMulUp(mp.liquidationPenaltyBps), bal > 0 ? uint256(bal) : 0);
        _addBalance(account, iso, id, -int256(penalty)); // penalty <= uint256(bal) < 2^255
        reward = penalty.bpsMulDown(mp.liquidatorShareBps);
        crossBalanceWad[msg.sender] += int256(reward); // reward <= penalty
        insuranceFundWad += penalty - reward;
    }

    function _bankrupt(address account, bool iso, uint256 id, bool wasLong) internal {
        uint256 shortfall = _balance(account, iso, id).abs();
        _addBalance(account, iso, id, int256(shortfall)); // |int256| < 2^255 (abs panics at type(int256).min)
        uint256 fromInsurance = PerpMath.min(insuranceFundWad, shortfall);
        insuranceFundWad -= fromInsurance;
        uint256 rest = shortfall - fromInsurance;
        uint256 socialized;
        if (rest > 0) {
            Market storage m = _markets[id];
            uint256 winnersOi = wasLong ? m.shortOiWad : m.longOiWad;
            if (winnersOi > 0) {
                int256 charge = rest.mulDivUp(WAD, winnersOi).toInt256();
                if (wasLong) m.cumShortWad -= charge;
                else m.cumLongWad += charge;
                socialized = rest;
            } else {
                unsocializedLossWad += rest;
            }
        }
        emit PerpEventsLib.Bankruptcy(id, account, shortfall, fromInsurance, socialized, rest - socialized);
    }

    // ------------------------------------------------------------------ internals

    function _requireListed(uint256 id) internal view {
        if (id >= _markets.length) revert PerpErrorsLib.MarketNotListed(id);
    }

    /// @dev Accrues the markets whose prices a margin check of `a`'s bucket reads: market `id` for an isolated
    /// bucket, every market of a cross position for the cross bucket. Other markets are not touched, so a
    /// broken feed elsewhere blocks nothing here.
    function _accrueBucket(address a, bool iso, uint256 id) internal {
        if (iso) {
            _accrue(id);
            return;
        }
        for (uint256 j; j < _markets.length; ++j) {
            Position storage q = _positions[a][j];
            if (q.sizeWad != 0 && !q.isolated) _accrue(j);
        }
    }

    /// @dev Seconds of (lastFundingTime, now] during which the mark was fresh: it drives funding for
    /// markMaxAge seconds after the trade that set it; after that it is stale and the premium counts as zero.
    function _freshSeconds(Market storage m, MarketParams memory mp) internal view returns (uint256) {
        uint256 freshUntil = uint256(m.markTime) + mp.markMaxAge;
        uint256 end = block.timestamp < freshUntil ? block.timestamp : freshUntil;
        return end > m.lastFundingTime ? end - m.lastFundingTime : 0;
    }

    /// @dev Funding index step for `fresh` seconds at `index`: rate = clamp((mark − index)/index, ±cap) per
    /// period (toward zero); step = sign·⌊|rate|·fresh·index / (WAD·period)⌋, the same for both sides.
    function _fundingStep(Market storage m, MarketParams memory mp, uint256 index, uint256 fresh)
        internal
        view
        returns (int256 premium, int256 rate, int256 delta)
    {
        // mark and index <= 2 · MAX_PRICE_WAD (router bound, trade band); cap <= WAD
        premium = (int256(m.markPriceWad) - int256(index)) * int256(WAD) / int256(index);
        int256 cap = int256(uint256(mp.maxFundingRateBps) * WAD / BPS);
        rate = premium > cap ? cap : (premium < -cap ? -cap : premium);
        uint256 magnitude = (rate.abs() * fresh).mulDivDown(index, WAD * mp.fundingPeriod);
        delta = rate >= 0 ? int256(magnitude) : -int256(magnitude); // <= fresh · index < 2^32 · 2e36
    }

    /// @dev Funding since the last accrual at the current premium, over the seconds the mark was fresh. No
    /// open interest or no fresh second: no price read, no funding.
    function _accrue(uint256 id) internal {
        Market storage m = _markets[id];
        if (block.timestamp == m.lastFundingTime) return;
        MarketParams memory mp = _params[id];
        uint256 fresh = _freshSeconds(m, mp);
        m.lastFundingTime = uint64(block.timestamp);
        if (m.longOiWad == 0 || fresh == 0) return;
        (int256 premium, int256 rate, int256 delta) = _fundingStep(m, mp, priceRouter.priceWad(m.indexAsset), fresh);
        m.cumLongWad += delta;
        m.cumShortWad += delta;
        emit PerpEventsLib.FundingAccrued(id, premium, rate, delta);
    }

    /// @dev The funding index of `size`'s side as of now: stored index plus the funding not yet accrued, at
    /// the index price `price` the caller has read (views include pending funding).
    function _sideIndexNow(Market storage m, MarketParams memory mp, int256 size, uint256 price)
        internal
        view
        returns (int256 idx)
    {
        idx = _sideIndex(m, size);
        if (m.longOiWad == 0) return idx;
        uint256 fresh = _freshSeconds(m, mp);
        if (fresh == 0) return idx;
        (,, int256 delta) = _fundingStep(m, mp, price, fresh);
        idx += delta;
    }

    function _sideIndex(Market storage m, int256 size) internal view returns (int256) {
        return size > 0 ? m.cumLongWad : (size < 0 ? m.cumShortWad : int256(0));
    }

    function _settleFunding(address a, uint256 id) internal {
        Position storage p = _positions[a][id];
        if (p.sizeWad == 0) return;
        int256 idx = _sideIndex(_markets[id], p.sizeWad);
        int256 owed = (p.sizeWad * (idx - p.fundingSnapshotWad)).ceilDiv(WAD);
        _addBalance(a, p.isolated, id, -owed);
        p.fundingSnapshotWad = idx;
    }

    /// @dev Adds `delta` to `a`'s position at `price`; realises the PnL of any reduced part. Returns whether
    /// the position's risk grew (larger, or flipped to the other side).
    function _fill(address a, uint256 id, int256 delta, uint256 price) internal returns (bool increased) {
        _settleFunding(a, id);
        Position storage p = _positions[a][id];
        Market storage m = _markets[id];
        int256 s = p.sizeWad;
        int256 s2 = s + delta;
        // int256(price): price <= 2 · MAX_PRICE_WAD (trade band, router bound); int256(s2.abs()) < 2^255
        if (s == 0 || (s > 0) == (delta > 0)) {
            p.openNotionalWad += (delta * int256(price)).ceilDiv(WAD);
        } else if (delta.abs() <= s.abs()) {
            int256 kept = s2 == 0 ? int256(0) : (p.openNotionalWad * int256(s2.abs())).ceilDiv(s.abs());
            int256 realized = (-delta * int256(price)).floorDiv(WAD) - (p.openNotionalWad - kept);
            _addBalance(a, p.isolated, id, realized);
            p.openNotionalWad = kept;
        } else {
            _addBalance(a, p.isolated, id, (s * int256(price)).floorDiv(WAD) - p.openNotionalWad);
            p.openNotionalWad = (s2 * int256(price)).ceilDiv(WAD);
        }
        if (s > 0) m.longOiWad -= uint256(s);
        else m.shortOiWad -= uint256(-s);
        if (s2 > 0) m.longOiWad += uint256(s2);
        else m.shortOiWad += uint256(-s2);
        p.sizeWad = s2;
        p.fundingSnapshotWad = _sideIndex(m, s2);
        increased = s2.abs() > s.abs() || (s != 0 && s2 != 0 && (s > 0) != (s2 > 0));
    }

    function _chargeFee(address a, uint256 id, uint256 fee) internal {
        // fee <= ⌈|size|·price / WAD⌉ < 2^256 / WAD: _fill has just multiplied size and price in checked int256
        _addBalance(a, _positions[a][id].isolated, id, -int256(fee));
        insuranceFundWad += fee;
    }

    function _checkMargin(address a, uint256 id, bool increased) internal view {
        Margin memory mg = _margin(a, _positions[a][id].isolated, id);
        // requirements < 2^255: each term's |size|·price passed the checked int256 product in _addPosition
        if (mg.equityWad < int256(increased ? mg.initialWad : mg.maintenanceWad)) {
            revert PerpErrorsLib.InsufficientMargin(a);
        }
    }

    function _balance(address a, bool iso, uint256 id) internal view returns (int256) {
        return iso ? isolatedBalanceWad[a][id] : crossBalanceWad[a];
    }

    function _addBalance(address a, bool iso, uint256 id, int256 delta) internal {
        if (iso) isolatedBalanceWad[a][id] += delta;
        else crossBalanceWad[a] += delta;
    }

    function _hasPositions(address a, bool iso, uint256 id) internal view returns (bool) {
        if (iso) return _positions[a][id].sizeWad != 0;
        for (uint256 j; j < _markets.length; ++j) {
            Position storage q = _positions[a][j];
            if (q.sizeWad != 0 && !q.isolated) return true;
        }
        return false;
    }

    /// @dev Equity and requirements of one bucket: the cross bucket (iso = false; `id` ignored) or market
    /// `id`'s isolated bucket. Equity = balance + Σ (⌊size·P⌋ − openNotional − ⌈size·Δfunding⌉), Δfunding
    /// including the funding not yet accrued; each requirement = Σ ⌈⌈|size|·P⌉ · bps⌉.
    function _margin(address a, bool iso, uint256 id) internal view returns (Margin memory mg) {
        mg.equityWad = _balance(a, iso, id);
        if (iso) {
            if (_positions[a][id].isolated) _addPosition(mg, a, id);
            return mg;
        }
        for (uint256 j; j < _markets.length; ++j) {
            if (!_positions[a][j].isolated) _addPosition(mg, a, j);
        }
    }

    function _addPosition(Margin memory mg, address a, uint256 id) internal view {
        Position storage p = _positions[a][id];
        int256 s = p.sizeWad;
        if (s == 0) return;
        Market storage m = _markets[id];
        MarketParams memory mp = _params[id];
        uint256 price = priceRouter.priceWad(m.indexAsset);
        int256 owed = (s * (_sideIndexNow(m, mp, s, price) - p.fundingSnapshotWad)).ceilDiv(WAD);
        // price <= MAX_PRICE_WAD (router bound)
        mg.equityWad += (s * int256(price)).floorDiv(WAD) - p.openNotionalWad - owed;
        uint256 notional = s.abs().mulDivUp(price, WAD);
        mg.initialWad += notional.bpsMulUp(mp.initialMarginBps);
        mg.maintenanceWad += notional.bpsMulUp(mp.maintenanceMarginBps);
    }

    // ------------------------------------------------------------------ views

    /// @notice Number of listed markets.
    function marketCount() external view returns (uint256) {
        return _markets.length;
    }

    /// @notice Market `id`'s state (funding indexes, mark, open interest, last funding time).
    function getMarket(uint256 id) external view returns (Market memory) {
        return _markets[id];
    }

    /// @notice Market `id`'s parameters.
    function getMarketParams(uint256 id) external view returns (MarketParams memory) {
        return _params[id];
    }

    /// @notice `account`'s position in market `id`.
    function getPosition(address account, uint256 id) external view returns (Position memory) {
        return _positions[account][id];
    }

    /// @notice Equity (including funding not yet accrued), initial and maintenance requirement of `account`'s
    /// cross bucket as of this block; reads only the prices of its cross positions' markets (reverts on a bad one).
    function crossMargin(address account) external view returns (Margin memory) {
        return _margin(account, false, 0);
    }

    /// @notice Equity (including funding not yet accrued) and requirements of `account`'s isolated bucket in
    /// market `id` as of this block (reverts on a bad price of market `id`).
    function isolatedMargin(address account, uint256 id) external view returns (Margin memory) {
        return _margin(account, true, id);
    }
}
