// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ILendingPoolForStrategies} from "../interfaces/ILendingPoolForStrategies.sol";
import {IPriceRouter} from "../interfaces/IPriceRouter.sol";
import {IUniswapV2Pair} from "../interfaces/IUniswapV2Pair.sol";
import {UniV2MathLib} from "../amm/UniV2MathLib.sol";
import {MathLib, WAD, BPS} from "../libraries/MathLib.sol";
import {LeveragedTokenErrorsLib as Errors} from "../libraries/LeveragedTokenErrorsLib.sol";
import {LeveragedTokenEventsLib as Events} from "../libraries/LeveragedTokenEventsLib.sol";

/// @title LeveragedToken
/// @notice An ERC-4626-style vault holding a looped position on the LendingPool: it supplies the volatile
/// asset (the vault's `asset()`), borrows `debtAsset` and swaps through a Uniswap V2 pair, targeting a
/// leverage `collateral value / equity`. Anyone may `rebalance` when leverage leaves the band or the
/// schedule interval has elapsed (never otherwise), and anyone may pull the `ripcord` past the hard limit
/// for a reward. Twin: protocol_model/exact/strategies/leveraged_token.py; rules and rounding: docs/leveraged_tokens.md.
/// @dev Deposits supply the asset unlevered at the oracle NAV (shares rounded down); the next rebalance
/// levers them. Redemptions repay the redeemed share of the debt through the pair and pay the rest of the
/// redeemed collateral, so the redeemer bears its own swap costs. `withdraw` is disabled (maxWithdraw = 0).
/// Fees are minted as shares to `feeRecipient` (dilution), never taken as tokens. Deposits and redemptions
/// divide by the same `totalSupply + 10^DECIMALS_OFFSET` (virtual shares that are never redeemed), and NAV
/// counts only the pool position redemptions pay from (docs/leveraged_tokens.md, "Share inflation").
/// Cooldown (docs/leveraged_tokens.md, "Deposit cooldown"): an account that received shares by a deposit or
/// mint can neither redeem nor transfer shares until `cooldownSeconds` after it (`CooldownActive`), so a
/// depositor who sees an oracle update coming cannot enter before it and leave after it at no risk. A deposit
/// for another account needs that account's consent (a non-zero share allowance to the caller), else
/// `ReceiverNotApproved`: nobody can lock a stranger's shares.
contract LeveragedToken is ERC4626, AccessControl, ReentrancyGuard {
    using MathLib for uint256;
    using SafeERC20 for IERC20;

    /// @notice Leverage band, schedule, guards and fees. Leverages in WAD (2e18 = 2×).
    struct Params {
        uint256 targetLeverageWad;
        uint256 minLeverageWad;
        uint256 maxLeverageWad;
        uint256 ripcordLeverageWad;
        uint256 rebalanceIntervalSec;
        uint256 maxSlippageBps; // worst execution vs the oracle on every swap, at most MAX_SLIPPAGE_BPS
        uint256 rebalanceFeeBps; // on the traded notional, minted as shares
        uint256 managementFeePerSecondWad; // streaming fee, minted as shares
        uint256 ripcordRewardAssets; // paid in the asset to the ripcord caller
        uint256 maxRounds; // borrow→swap→supply (or withdraw→swap→repay) rounds per call
        uint256 cooldownSeconds; // after a deposit for it, an account neither redeems nor transfers shares
    }

    /// @dev Prices of one call, read once (USD per whole token, WAD).
    struct Prices {
        uint256 coll;
        uint256 debt;
    }

    bytes32 public constant MANAGER_ROLE = keccak256("MANAGER_ROLE");
    /// @notice Share of the pool's borrow (LTV) or withdraw (threshold) headroom one round uses.
    uint256 public constant SAFETY_BPS = 9_900;
    /// @notice The sandwich bound of the pair's 0.3% fee, ⌊t*⌋ with t* = 1 − γ³(1 + u*) = 59.865 bps
    /// (docs/SPEC.md §9 S2, the same constant as Looper.MAX_SLIPPAGE_BPS): no front-run of a swap executing
    /// within it of the oracle pays, on a pair at the oracle.
    uint256 public constant MAX_SLIPPAGE_BPS = 59;
    /// @notice A swap the slippage bound cuts to less than this share of the wanted amount is not made.
    uint256 public constant MIN_CUT_BPS = 1;
    uint256 public constant MAX_REBALANCE_FEE_BPS = 100;
    /// @notice 10% a year, per second (WAD).
    uint256 public constant MAX_MANAGEMENT_FEE_PER_SECOND_WAD = 3_170_979_198;
    uint256 public constant MAX_ROUNDS = 32;
    /// @notice At most this fraction of the supply is minted as management fee in one accrual.
    uint256 public constant MAX_FEE_FRACTION_WAD = 0.5e18;
    /// @notice Virtual shares 10^DECIMALS_OFFSET in every conversion: a donation is shared with them, so
    /// inflating the share price costs the attacker about 10^DECIMALS_OFFSET times what the victim loses.
    uint8 public constant DECIMALS_OFFSET = 6;
    /// @notice The longest deposit cooldown `setParams` accepts (`CooldownTooLong` above it).
    uint256 public constant MAX_COOLDOWN_SECONDS = 1 days;

    ILendingPoolForStrategies public immutable pool;
    IPriceRouter public immutable priceRouter;
    IUniswapV2Pair public immutable pair;
    address public immutable debtAsset;
    uint256 internal immutable _collUnit;
    uint256 internal immutable _debtUnit;
    bool internal immutable _collIsToken0;

    Params internal _params;
    address public feeRecipient;
    uint256 public lastFeeAccrual;
    uint256 public lastRebalance;
    /// @notice Block time of the last deposit or mint whose shares went to the account (0: never).
    mapping(address account => uint256) public lastDepositAt;

    constructor(
        string memory name_,
        string memory symbol_,
        IERC20Metadata collateral,
        address debtAsset_,
        ILendingPoolForStrategies pool_,
        IUniswapV2Pair pair_,
        Params memory params_,
        address admin,
        address feeRecipient_
    ) ERC20(name_, symbol_) ERC4626(collateral) {
        if (address(pool_) == address(0) || admin == address(0) || feeRecipient_ == address(0)) {
            revert Errors.ZeroAddress();
        }
        address t0 = pair_.token0();
        address t1 = pair_.token1();
        if (address(collateral) != t0 && address(collateral) != t1) revert Errors.TokenNotInPair(address(collateral));
        if (debtAsset_ != t0 && debtAsset_ != t1) revert Errors.TokenNotInPair(debtAsset_);
        _validate(params_);
        pool = pool_;
        priceRouter = pool_.priceRouter();
        pair = pair_;
        debtAsset = debtAsset_;
        _collUnit = 10 ** collateral.decimals();
        _debtUnit = 10 ** IERC20Metadata(debtAsset_).decimals();
        _collIsToken0 = address(collateral) == t0;
        _params = params_;
        feeRecipient = feeRecipient_;
        lastFeeAccrual = block.timestamp;
        lastRebalance = block.timestamp;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MANAGER_ROLE, admin);
        IERC20(address(collateral)).forceApprove(address(pool_), type(uint256).max);
        IERC20(debtAsset_).forceApprove(address(pool_), type(uint256).max);
    }

    // ------------------------------------------------------------------ parameters

    /// @notice The current parameters.
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @notice Replaces the parameters; fees up to now accrue under the old ones.
    function setParams(Params calldata p) external onlyRole(MANAGER_ROLE) nonReentrant {
        _validate(p);
        _accrue();
        _params = p;
        emit Events.ParamsUpdated(p.targetLeverageWad, p.minLeverageWad, p.maxLeverageWad, p.ripcordLeverageWad);
    }

    /// @notice Sets who receives fee shares; fees up to now go to the old recipient.
    function setFeeRecipient(address recipient) external onlyRole(MANAGER_ROLE) nonReentrant {
        if (recipient == address(0)) revert Errors.ZeroAddress();
        _accrue();
        feeRecipient = recipient;
        emit Events.FeeRecipientUpdated(recipient);
    }

    // ------------------------------------------------------------------ ERC-4626

    /// @notice Net asset value in asset units: supplied collateral − debt valued in the asset at the pool's
    /// oracle (debt rounded up), floored at 0. As of the pool's last accrual. Tokens sent to the vault are not
    /// counted: redemptions pay only from the pool position.
    function totalAssets() public view override returns (uint256) {
        Prices memory px = _prices();
        uint256 gross = pool.supplyBalance(asset(), address(this));
        uint256 debtInAsset = _debtToCollUp(pool.debtBalance(debtAsset, address(this)), px);
        return gross > debtInAsset ? gross - debtInAsset : 0;
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @notice Withdraw-by-assets is not offered (the payout depends on the unwind); use `redeem`.
    function maxWithdraw(address) public pure override returns (uint256) {
        return 0;
    }

    /// @notice The owner's shares, or 0 while the owner's deposit cooldown runs (ERC-4626: a limit of the owner).
    function maxRedeem(address owner) public view override returns (uint256) {
        return block.timestamp < cooldownEnd(owner) ? 0 : balanceOf(owner);
    }

    /// @notice When `account` may redeem or transfer shares again: its last deposit + `cooldownSeconds`.
    function cooldownEnd(address account) public view returns (uint256) {
        return lastDepositAt[account] + _params.cooldownSeconds;
    }

    /// @notice Deposits `assets`, supplied to the pool unlevered; shares at the NAV after fees (rounded down).
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256) {
        _accrue();
        return super.deposit(assets, receiver);
    }

    /// @notice Mints exactly `shares` for the assets they are worth (rounded up).
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256) {
        _accrue();
        return super.mint(shares, receiver);
    }

    /// @notice `deposit` that reverts `DeadlineExpired` after `deadline` and `InsufficientSharesOut` below
    /// `minShares` (the router-style guard of a user entry point).
    function depositWithMin(uint256 assets, address receiver, uint256 minShares, uint256 deadline)
        external
        returns (uint256 shares)
    {
        if (block.timestamp > deadline) revert Errors.DeadlineExpired(deadline);
        shares = deposit(assets, receiver);
        if (shares < minShares) revert Errors.InsufficientSharesOut(shares, minShares);
    }

    /// @dev Starts the receiver's cooldown (a receiver other than the caller must have given the caller a
    /// non-zero share allowance: `ReceiverNotApproved`), pulls the assets, mints the shares, then supplies the
    /// assets to the pool as collateral.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (shares == 0) revert Errors.ZeroShares();
        if (receiver != caller && allowance(receiver, caller) == 0) revert Errors.ReceiverNotApproved(receiver, caller);
        lastDepositAt[receiver] = block.timestamp;
        super._deposit(caller, receiver, assets, shares);
        pool.supply(asset(), assets, address(this));
    }

    /// @notice `redeemWithMin` without a minimum or a deadline.
    function redeem(uint256 shares, address receiver, address owner) public override returns (uint256) {
        return redeemWithMin(shares, receiver, owner, 0, type(uint256).max);
    }

    /// @notice Burns `shares` of `owner`, repays their share of the debt (rounded up) by selling their
    /// share of the collateral (rounded down) through the pair, and pays the rest to `receiver`. Shares are
    /// taken of `totalSupply + 10^DECIMALS_OFFSET`, as in the deposit conversion.
    /// @return assets Asset units paid; at least `minAssets` (`InsufficientAssetsOut`), not after `deadline`
    /// (`DeadlineExpired`).
    function redeemWithMin(uint256 shares, address receiver, address owner, uint256 minAssets, uint256 deadline)
        public
        nonReentrant
        returns (uint256 assets)
    {
        if (block.timestamp > deadline) revert Errors.DeadlineExpired(deadline);
        _accrue();
        if (shares == 0) revert Errors.ZeroShares();
        if (receiver == address(0)) revert Errors.ZeroAddress();
        _checkCooldown(owner);
        {
            uint256 maxShares = maxRedeem(owner);
            if (shares > maxShares) revert ERC4626ExceededMaxRedeem(owner, shares, maxShares);
        }
        (uint256 collShare, uint256 debtShare) = _redeemedShare(shares);
        if (msg.sender != owner) _spendAllowance(owner, msg.sender, shares);
        _burn(owner, shares);
        assets = _unwind(collShare, debtShare);
        if (assets < minAssets) revert Errors.InsufficientAssetsOut(assets, minAssets);
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
        if (assets != 0) pool.withdraw(asset(), assets, receiver);
    }

    /// @dev A share transfer out of an account (not a mint or a burn) waits for the sender's cooldown.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) _checkCooldown(from);
        super._update(from, to, value);
    }

    /// @dev Reverts `CooldownActive(account, end)` before the end of `account`'s deposit cooldown.
    function _checkCooldown(address account) internal view {
        uint256 end = cooldownEnd(account);
        if (block.timestamp < end) revert Errors.CooldownActive(account, end);
    }

    /// @dev The redeemed share of the collateral (rounded down) and of the debt (rounded up), both of
    /// `totalSupply + 10^DECIMALS_OFFSET`: the virtual shares' part stays, so the vault never empties.
    function _redeemedShare(uint256 shares) internal view returns (uint256 collShare, uint256 debtShare) {
        uint256 denominator = totalSupply() + 10 ** DECIMALS_OFFSET;
        collShare = pool.supplyBalance(asset(), address(this)).mulDivDown(shares, denominator);
        debtShare = pool.debtBalance(debtAsset, address(this)).mulDivUp(shares, denominator);
    }

    /// @dev Repays `debtShare` by selling collateral; returns what is left of `collShare` for the redeemer.
    function _unwind(uint256 collShare, uint256 debtShare) internal returns (uint256) {
        uint256 sold;
        if (debtShare != 0) {
            uint256 repaid;
            (repaid, sold) = _delever(debtShare, _prices());
            if (repaid < debtShare) revert Errors.UnwindIncomplete(debtShare - repaid);
        }
        if (sold > collShare) revert Errors.RedeemUnderwater(collShare, sold);
        return collShare - sold;
    }

    // ------------------------------------------------------------------ rebalancing

    /// @notice Leverage (collateral value ÷ equity, WAD, rounded up) at the pool's oracle as of its last
    /// accrual: 0 with no collateral, type(uint256).max when debt ≥ collateral.
    function leverageWad() public view returns (uint256) {
        return _leverage(_prices());
    }

    /// @notice Whether `rebalance` would be allowed now (ignoring fees accrued by the call itself).
    function rebalanceDue() external view returns (bool) {
        uint256 lev = leverageWad();
        return lev != 0 && _due(lev);
    }

    /// @notice Trades toward the target leverage. Anyone may call, only when leverage is outside
    /// [min, max] or the schedule interval has elapsed, and at most once a block (`RebalanceTooSoon`). Each
    /// swap stays within maxSlippageBps of the oracle: a trade the bound does not allow in full is cut to the
    /// largest amount it allows (the rest waits for a later block), so a sandwich never pays (SPEC §9 S2).
    /// A fee on the traded notional is minted as shares.
    function rebalance() external nonReentrant returns (uint256 leverageAfterWad) {
        _accrue();
        Prices memory px = _prices();
        uint256 before = _leverage(px);
        if (before == 0) revert Errors.NothingToRebalance();
        if (!_due(before)) revert Errors.RebalanceNotDue(before, lastRebalance + _params.rebalanceIntervalSec);
        if (block.timestamp == lastRebalance) revert Errors.RebalanceTooSoon(lastRebalance);
        uint256 traded = _rebalanceTo(px);
        lastRebalance = block.timestamp;
        uint256 feeShares = _mintRebalanceFee(traded, px);
        leverageAfterWad = _leverage(px);
        emit Events.Rebalanced(msg.sender, before, leverageAfterWad, traded, feeShares);
    }

    /// @notice Emergency delever to the target once leverage reaches the ripcord limit; anyone may call and
    /// receives `ripcordRewardAssets` (capped at the NAV), at most once a block (`RebalanceTooSoon`). No
    /// rebalance fee. Swaps are bounded and cut as in `rebalance`.
    function ripcord() external nonReentrant returns (uint256 reward) {
        _accrue();
        Prices memory px = _prices();
        uint256 before = _leverage(px);
        if (before < _params.ripcordLeverageWad) revert Errors.RipcordNotArmed(before, _params.ripcordLeverageWad);
        if (block.timestamp == lastRebalance) revert Errors.RebalanceTooSoon(lastRebalance);
        uint256 traded = _rebalanceTo(px);
        lastRebalance = block.timestamp;
        reward = _min(_params.ripcordRewardAssets, totalAssets());
        emit Events.Ripcord(msg.sender, before, _leverage(px), traded, reward);
        if (reward != 0) pool.withdraw(asset(), reward, msg.sender);
    }

    /// @notice Accrues pool interest and the management fee up to now.
    function accrue() external nonReentrant {
        _accrue();
    }

    // ------------------------------------------------------------------ internals

    function _validate(Params memory p) internal pure {
        if (
            p.minLeverageWad <= WAD || p.targetLeverageWad < p.minLeverageWad || p.maxLeverageWad < p.targetLeverageWad
                || p.ripcordLeverageWad <= p.maxLeverageWad
        ) {
            revert Errors.InvalidLeverageBand(
                p.minLeverageWad, p.targetLeverageWad, p.maxLeverageWad, p.ripcordLeverageWad
            );
        }
        if (p.maxSlippageBps > MAX_SLIPPAGE_BPS) revert Errors.MaxSlippageTooHigh(p.maxSlippageBps);
        if (p.rebalanceFeeBps > MAX_REBALANCE_FEE_BPS) revert Errors.RebalanceFeeTooHigh(p.rebalanceFeeBps);
        if (p.managementFeePerSecondWad > MAX_MANAGEMENT_FEE_PER_SECOND_WAD) {
            revert Errors.ManagementFeeTooHigh(p.managementFeePerSecondWad);
        }
        if (p.maxRounds == 0 || p.maxRounds > MAX_ROUNDS) revert Errors.InvalidMaxRounds(p.maxRounds);
        if (p.cooldownSeconds > MAX_COOLDOWN_SECONDS) revert Errors.CooldownTooLong(p.cooldownSeconds);
    }

    /// @dev Pool interest, then the streaming fee: shares = S·x/(1 − x) with x = rate·dt (rounded down),
    /// so the recipient's new shares are worth the fraction x of the NAV.
    function _accrue() internal {
        pool.accrueAll();
        uint256 dt = block.timestamp - lastFeeAccrual;
        if (dt == 0) return;
        lastFeeAccrual = block.timestamp;
        uint256 supply = totalSupply();
        uint256 rate = _params.managementFeePerSecondWad;
        if (supply == 0 || rate == 0) return;
        uint256 x = _min(rate * dt, MAX_FEE_FRACTION_WAD);
        uint256 shares = supply.mulDivDown(x, WAD - x);
        if (shares == 0) return;
        _mint(feeRecipient, shares);
        emit Events.ManagementFeeAccrued(feeRecipient, shares, dt);
    }

    function _due(uint256 lev) internal view returns (bool) {
        return lev < _params.minLeverageWad || lev > _params.maxLeverageWad
            || block.timestamp >= lastRebalance + _params.rebalanceIntervalSec;
    }

    /// @dev Debt that makes collateral/equity the target, ignoring swap costs: (L − 1) × equity (down).
    function _rebalanceTo(Prices memory px) internal returns (uint256 traded) {
        uint256 c = pool.supplyBalance(asset(), address(this));
        uint256 d = pool.debtBalance(debtAsset, address(this));
        uint256 cV = c.mulDivDown(px.coll, _collUnit);
        uint256 dV = d.mulDivUp(px.debt, _debtUnit);
        if (cV <= dV) revert Errors.Insolvent(cV, dV);
        uint256 targetDebt = (cV - dV).mulDivDown(_params.targetLeverageWad - WAD, WAD).mulDivDown(_debtUnit, px.debt);
        if (targetDebt > d) traded = _lever(targetDebt - d, px);
        else if (d > targetDebt) (traded,) = _delever(d - targetDebt, px);
    }

    /// @dev Rounds of borrow (≤ SAFETY_BPS of the LTV headroom) → swap → supply; returns the amount borrowed.
    /// A round the slippage bound cuts is the last one (a cut to 0 with nothing traded yet swaps in full and
    /// reverts `SlippageExceeded`).
    function _lever(uint256 amount, Prices memory px) internal returns (uint256) {
        uint256 remaining = amount;
        for (uint256 round; round < _params.maxRounds && remaining != 0; ++round) {
            (, uint256 capacityWad, uint256 debtWad) = pool.accountValues(address(this));
            if (capacityWad <= debtWad) break;
            uint256 room = (capacityWad - debtWad).mulDivDown(_debtUnit, px.debt).bpsMulDown(SAFETY_BPS);
            uint256 wanted = _min(remaining, room);
            if (wanted == 0) break;
            uint256 b = _maxInWithinBound(debtAsset, wanted, px);
            if (b == 0 && remaining != amount) break;
            if (b == 0) b = wanted;
            pool.borrow(debtAsset, b);
            uint256 out = _swapExactIn(debtAsset, b, px);
            pool.supply(asset(), out, address(this));
            remaining -= b;
            if (b < wanted) break;
        }
        return amount - remaining;
    }

    /// @dev Rounds of withdraw (≤ SAFETY_BPS of the threshold headroom) → swap → repay until the debt is
    /// `amount` lower than at the start (re-read each round: a partial repayment may clear one unit less
    /// than it pays, so a round that leaves debt asks for one unit more). Returns (debt reduction, sold).
    function _delever(uint256 amount, Prices memory px) internal returns (uint256 repaid, uint256 sold) {
        uint256 start = pool.debtBalance(debtAsset, address(this));
        uint256 floorDebt = start - amount;
        for (uint256 round; round < _params.maxRounds; ++round) {
            uint256 debt = pool.debtBalance(debtAsset, address(this));
            if (debt <= floorDebt) break;
            // A partial repayment clears at least its amount less one unit: ask for one more.
            (uint256 paid, uint256 soldNow, bool cut) =
                _deleverRound(debt - floorDebt + (floorDebt == 0 ? 0 : 1), px, debt == start);
            if (paid == 0) break;
            sold += soldNow;
            if (cut) break;
        }
        repaid = start - pool.debtBalance(debtAsset, address(this));
    }

    /// @dev One round: buy the exact `remaining` debt if the withdrawable collateral covers it within the
    /// slippage bound; else sell what is withdrawable, below what buys `remaining` (exact input), cut to the
    /// largest sale the bound allows (`cut`: the caller stops). A cut to 0 trades nothing on a later round
    /// and, on the first (`first`), sells in full to revert `SlippageExceeded`. Returns (debt repaid,
    /// collateral sold, cut).
    function _deleverRound(uint256 remaining, Prices memory px, bool first)
        internal
        returns (uint256 repaid, uint256 sold, bool cut)
    {
        address coll = asset();
        uint256 maxOut = _withdrawable(px);
        (uint256 need, uint256 maxIn) = _exactOutQuote(remaining, px);
        if (need <= maxOut && need <= maxIn) {
            pool.withdraw(coll, need, address(this));
            _swapExactOut(coll, remaining, px);
            (repaid, sold) = (remaining, need);
        } else {
            uint256 wanted = _min(maxOut, need - 1);
            if (wanted == 0) return (0, 0, false);
            sold = _maxInWithinBound(coll, wanted, px);
            if (sold == 0 && !first) return (0, 0, true);
            if (sold == 0) sold = wanted;
            cut = sold < wanted;
            pool.withdraw(coll, sold, address(this));
            repaid = _swapExactIn(coll, sold, px);
        }
        pool.repay(debtAsset, repaid, address(this));
    }

    /// @dev Collateral the pool lets the vault withdraw: SAFETY_BPS of (adjusted − debt) ÷ (price × threshold),
    /// rounded down, capped at the supply balance.
    function _withdrawable(Prices memory px) internal view returns (uint256) {
        address coll = asset();
        (, uint16 ltBps,,,,,,,) = pool.configs(coll);
        (uint256 adjustedWad,, uint256 debtWad) = pool.accountValues(address(this));
        if (adjustedWad <= debtWad) return 0;
        uint256 maxOut = (adjustedWad - debtWad).mulDivDown(_collUnit * BPS, px.coll * ltBps).bpsMulDown(SAFETY_BPS);
        return _min(maxOut, pool.supplyBalance(coll, address(this)));
    }

    /// @dev Fee on the traded notional valued in the asset: shares worth it after minting (rounded down).
    function _mintRebalanceFee(uint256 traded, Prices memory px) internal returns (uint256 shares) {
        uint256 feeAssets = traded.mulDivDown(px.debt * _collUnit, px.coll * _debtUnit).bpsMulDown(_params.rebalanceFeeBps);
        uint256 nav = totalAssets();
        uint256 supply = totalSupply();
        if (feeAssets == 0 || nav <= feeAssets || supply == 0) return 0;
        shares = feeAssets.mulDivDown(supply, nav - feeAssets);
        if (shares != 0) _mint(feeRecipient, shares);
    }

    /// @dev Exact input, output sent to this vault; reverts below the oracle value less the slippage limit.
    function _swapExactIn(address tokenIn, uint256 amountIn, Prices memory px) internal returns (uint256 out) {
        uint256 minOut;
        (out, minOut) = _exactInQuote(tokenIn, amountIn, px);
        if (out < minOut) revert Errors.SlippageExceeded(out, minOut);
        _pairSwap(tokenIn, amountIn, out);
    }

    /// @dev Exact output of the debt asset for the asset; reverts above the oracle value plus the limit.
    function _swapExactOut(address tokenIn, uint256 amountOut, Prices memory px) internal returns (uint256 amountIn) {
        uint256 maxIn;
        (amountIn, maxIn) = _exactOutQuote(amountOut, px);
        if (amountIn > maxIn) revert Errors.SlippageExceeded(amountIn, maxIn);
        _pairSwap(tokenIn, amountIn, amountOut);
    }

    /// @dev The pair's output for `amountIn` and the least output the bound accepts:
    /// ⌈⌊amountIn at the oracle⌋ × (1 − maxSlippage)⌉.
    function _exactInQuote(address tokenIn, uint256 amountIn, Prices memory px)
        internal
        view
        returns (uint256 out, uint256 minOut)
    {
        (uint256 reserveIn, uint256 reserveOut) = _reserves(tokenIn);
        out = UniV2MathLib.getAmountOut(amountIn, reserveIn, reserveOut);
        uint256 fair = tokenIn == debtAsset
            ? amountIn.mulDivDown(px.debt * _collUnit, px.coll * _debtUnit)
            : amountIn.mulDivDown(px.coll * _debtUnit, px.debt * _collUnit);
        minOut = fair.mulDivUp(BPS - _params.maxSlippageBps, BPS);
    }

    /// @dev The asset the pair asks for exactly `amountOut` of the debt asset, and the most the bound accepts:
    /// ⌊⌈amountOut at the oracle⌉ × (1 + maxSlippage)⌋.
    function _exactOutQuote(uint256 amountOut, Prices memory px) internal view returns (uint256 amountIn, uint256 maxIn) {
        (uint256 reserveIn, uint256 reserveOut) = _reserves(asset());
        amountIn = UniV2MathLib.getAmountIn(amountOut, reserveIn, reserveOut);
        maxIn = amountOut.mulDivUp(px.debt * _collUnit, px.coll * _debtUnit).bpsMulDown(BPS + _params.maxSlippageBps);
    }

    /// @dev The largest exact input ≤ `amountIn` whose output the slippage bound accepts: bisection on
    /// `_exactInQuote` (out ≥ minOut holds at 0 and, up to rounding, below some size and not above it). A cut
    /// below MIN_CUT_BPS of `amountIn` counts as none (0): only rounding lets such dust through a pair that is
    /// far from the oracle.
    function _maxInWithinBound(address tokenIn, uint256 amountIn, Prices memory px) internal view returns (uint256) {
        (uint256 out, uint256 minOut) = _exactInQuote(tokenIn, amountIn, px);
        if (out >= minOut) return amountIn;
        (uint256 lo, uint256 hi) = (0, amountIn);
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            (out, minOut) = _exactInQuote(tokenIn, mid, px);
            if (out >= minOut) lo = mid;
            else hi = mid;
        }
        return lo < amountIn.bpsMulDown(MIN_CUT_BPS) ? 0 : lo;
    }

    function _pairSwap(address tokenIn, uint256 amountIn, uint256 out) internal {
        bool zeroIn = (tokenIn == asset()) == _collIsToken0;
        IERC20(tokenIn).safeTransfer(address(pair), amountIn);
        pair.swap(zeroIn ? 0 : out, zeroIn ? out : 0, address(this), "");
    }

    function _reserves(address tokenIn) internal view returns (uint256 reserveIn, uint256 reserveOut) {
        (uint112 r0, uint112 r1,) = pair.getReserves();
        bool zeroIn = (tokenIn == asset()) == _collIsToken0;
        return zeroIn ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
    }

    function _prices() internal view returns (Prices memory) {
        return Prices(priceRouter.priceWad(asset()), priceRouter.priceWad(debtAsset));
    }

    function _leverage(Prices memory px) internal view returns (uint256) {
        uint256 cV = pool.supplyBalance(asset(), address(this)).mulDivDown(px.coll, _collUnit);
        if (cV == 0) return 0;
        uint256 dV = pool.debtBalance(debtAsset, address(this)).mulDivUp(px.debt, _debtUnit);
        return cV <= dV ? type(uint256).max : cV.mulDivUp(WAD, cV - dV);
    }

    function _debtToCollUp(uint256 d, Prices memory px) internal view returns (uint256) {
        return d.mulDivUp(px.debt * _collUnit, px.coll * _debtUnit);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

}
