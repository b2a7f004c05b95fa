"""The rebalancing leveraged token (``contracts/strategies/LeveragedToken.sol``) in Python integers.

It holds a looped position on the exact pool model
(:class:`~protocol_model.exact.lending.lending_pool.LendingPool`) and trades through the exact pair model
(:class:`~protocol_model.exact.amm.uniswap_v2_pair.V2Pair`) on the same ledger, so deposits,
redemptions, rebalances, the ripcord and fees agree with the contract to the wei. Same checks in the same
order, same rounding, same error names; a failing call leaves pool, pair, ledger and vault untouched.

Deposit cooldown (docs/leveraged_tokens.md, "Deposit cooldown"): a deposit or mint records the block time for its
receiver (``last_deposit_at``); until ``params.cooldown_seconds`` later that account can neither redeem nor
transfer shares (``CooldownActive``). A deposit for another account needs that account's share allowance to the
caller (``ReceiverNotApproved``), so nobody can lock a stranger's shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from protocol_model.exact import errors
from protocol_model.exact.amm.uniswap_v2_pair import V2Pair, get_amount_in, get_amount_out
from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.lending.params import SECONDS_PER_YEAR
from protocol_model.exact.math_lib import BPS, UINT256_MAX, WAD, bps_mul_down, mul_div_down, mul_div_up

SAFETY_BPS = 9_900
"""Share of the pool's borrow (LTV) or withdraw (threshold) headroom one round uses."""
MAX_SLIPPAGE_BPS = 59
"""⌊t*⌋, the sandwich bound of the pair's 0.3% fee (docs/SPEC.md §9 S2; ``sandwich.sandwich_bound_bps``)."""
MIN_CUT_BPS = 1
"""A swap the slippage bound cuts to less than this share of the wanted amount is not made."""
MAX_REBALANCE_FEE_BPS = 100
MAX_MANAGEMENT_FEE_PER_SECOND_WAD = 3_170_979_198
"""10% a year, per second (WAD)."""
MAX_ROUNDS = 32
MAX_FEE_FRACTION_WAD = WAD // 2
"""At most this fraction of the supply is minted as management fee in one accrual."""
DECIMALS_OFFSET = 6
MAX_COOLDOWN_SECONDS = 86_400
"""The longest deposit cooldown the parameters accept (one day; ``CooldownTooLong`` above it)."""
DEFAULT_COOLDOWN_SECONDS = 900
"""The cooldown of the vaults this project deploys: 15 minutes."""
VIRTUAL_SHARES = 10**DECIMALS_OFFSET
"""Virtual shares in every conversion, deposit and redemption alike (never redeemed): a donation to the vault is
shared with them, so inflating the share price costs the attacker about this many times what the victim loses."""
_ZERO_ADDRESS = "0x" + "0" * 40


def _err(name: str, doc: str) -> type[errors.PoolError]:
    return type(name, (errors.PoolError,), {"__doc__": doc})


ZeroShares = _err("ZeroShares", "A deposit worth zero shares, or a redemption of zero shares.")
NothingToRebalance = _err("NothingToRebalance", "The vault holds no collateral.")
RebalanceNotDue = _err("RebalanceNotDue", "Leverage inside the band and the interval not elapsed.")
RebalanceTooSoon = _err("RebalanceTooSoon", "A rebalance or ripcord already ran in this block.")
RipcordNotArmed = _err("RipcordNotArmed", "Leverage below the ripcord limit.")
Insolvent = _err("Insolvent", "Debt value ≥ collateral value: no target debt exists.")
SlippageExceeded = _err("SlippageExceeded", "A swap would execute worse than the oracle less the limit.")
UnwindIncomplete = _err("UnwindIncomplete", "A redemption could not repay its debt share in maxRounds rounds.")
RedeemUnderwater = _err("RedeemUnderwater", "Repaying the debt share sold more than the collateral share.")
InsufficientAssetsOut = _err("InsufficientAssetsOut", "The redemption pays less than minAssets.")
InsufficientSharesOut = _err("InsufficientSharesOut", "The deposit mints fewer shares than minShares.")
DeadlineExpired = _err("DeadlineExpired", "The call is mined after its deadline.")
InvalidLeverageBand = _err("InvalidLeverageBand", "Not 1 < min ≤ target ≤ max < ripcord.")
MaxSlippageTooHigh = _err("MaxSlippageTooHigh", "maxSlippageBps above MAX_SLIPPAGE_BPS (59, the sandwich bound).")
RebalanceFeeTooHigh = _err("RebalanceFeeTooHigh", "rebalanceFeeBps above 100.")
ManagementFeeTooHigh = _err("ManagementFeeTooHigh", "Management fee above 10% a year.")
InvalidMaxRounds = _err("InvalidMaxRounds", "maxRounds not in 1..32.")
ERC4626ExceededMaxRedeem = _err("ERC4626ExceededMaxRedeem", "Redeeming more shares than the owner has.")
CooldownTooLong = _err("CooldownTooLong", "cooldownSeconds above MAX_COOLDOWN_SECONDS (one day).")
CooldownActive = _err("CooldownActive", "The account's shares are in their deposit cooldown: no redeem, no transfer.")
ReceiverNotApproved = _err("ReceiverNotApproved",
                           "A deposit for another account that has given the caller no share allowance.")
ERC20InvalidReceiver = _err("ERC20InvalidReceiver", "A share transfer to the zero address.")


def management_fee_per_second_wad(annual_bps: int) -> int:
    """Annual simple fee in bps -> per-second WAD (rounded down), as deployed."""
    return annual_bps * WAD // BPS // SECONDS_PER_YEAR


@dataclass(frozen=True)
class LeveragedTokenParams:
    """``LeveragedToken.Params`` (leverages in WAD: 2·10^18 = 2×)."""

    target_leverage_wad: int
    min_leverage_wad: int
    max_leverage_wad: int
    ripcord_leverage_wad: int
    rebalance_interval_sec: int = 86_400
    max_slippage_bps: int = 50
    """Worst execution accepted on any swap, versus the oracle; at most ``MAX_SLIPPAGE_BPS``."""
    rebalance_fee_bps: int = 10
    """On the traded notional, minted as shares."""
    management_fee_per_second_wad: int = 0
    ripcord_reward_assets: int = 0
    """Paid in the asset to whoever pulls the ripcord (capped at the NAV)."""
    max_rounds: int = 16
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    """After a deposit or mint for it, an account neither redeems nor transfers shares for this long (seconds);
    at most ``MAX_COOLDOWN_SECONDS``, 0 turns the cooldown off."""

    def validate(self) -> LeveragedTokenParams:
        """Same checks, same order, same errors as ``LeveragedToken._validate``."""
        if not (WAD < self.min_leverage_wad <= self.target_leverage_wad <= self.max_leverage_wad
                < self.ripcord_leverage_wad):
            raise InvalidLeverageBand(self.min_leverage_wad, self.target_leverage_wad, self.max_leverage_wad,
                                      self.ripcord_leverage_wad)
        if self.max_slippage_bps > MAX_SLIPPAGE_BPS:
            raise MaxSlippageTooHigh(self.max_slippage_bps)
        if self.rebalance_fee_bps > MAX_REBALANCE_FEE_BPS:
            raise RebalanceFeeTooHigh(self.rebalance_fee_bps)
        if self.management_fee_per_second_wad > MAX_MANAGEMENT_FEE_PER_SECOND_WAD:
            raise ManagementFeeTooHigh(self.management_fee_per_second_wad)
        if not 0 < self.max_rounds <= MAX_ROUNDS:
            raise InvalidMaxRounds(self.max_rounds)
        if self.cooldown_seconds > MAX_COOLDOWN_SECONDS:
            raise CooldownTooLong(self.cooldown_seconds)
        return self

    def as_tuple(self) -> tuple:
        """ABI order of the Solidity struct."""
        return (self.target_leverage_wad, self.min_leverage_wad, self.max_leverage_wad, self.ripcord_leverage_wad,
                self.rebalance_interval_sec, self.max_slippage_bps, self.rebalance_fee_bps,
                self.management_fee_per_second_wad, self.ripcord_reward_assets, self.max_rounds, self.cooldown_seconds)


@dataclass(frozen=True)
class Prices:
    """``LeveragedToken.Prices``: the prices of one call, read once: USD per whole token in WAD of the collateral
    asset (``coll_wad``) and of the debt asset (``debt_wad``)."""
    coll_wad: int
    debt_wad: int


@dataclass
class LeveragedToken:
    """One vault. ``address`` is its name in the pool and the ledger; ``asset`` the collateral token."""

    address: str
    asset: str
    debt_asset: str
    pool: LendingPool
    pair: V2Pair
    params: LeveragedTokenParams
    fee_recipient: str
    deployed_at: int
    last_fee_accrual: int = 0
    last_rebalance: int = 0
    total_supply: int = 0
    shares: dict[str, int] = field(default_factory=dict)
    allowances: dict[tuple[str, str], int] = field(default_factory=dict)
    last_deposit_at: dict[str, int] = field(default_factory=dict)
    """``lastDepositAt``: block time of the last deposit or mint whose shares went to the account."""

    journal_links: ClassVar[tuple[str, ...]] = ("pool", "pair")
    """A revert restores the vault, the pool, the pair and the token ledger (protocol_model.exact.journal)."""

    def __post_init__(self) -> None:
        self.params.validate()
        if {self.asset, self.debt_asset} - {self.pair.token0, self.pair.token1}:
            raise errors.PoolError(f"TokenNotInPair: {self.asset}/{self.debt_asset}")
        self.last_fee_accrual = self.last_rebalance = self.deployed_at
        for token in (self.asset, self.debt_asset):
            self.pool.ledger.approve(token, self.address, POOL, UINT256_MAX)

    # ------------------------------------------------------------------ units and views

    @property
    def coll_unit(self) -> int:
        """10^decimals of the collateral asset (token units per whole token), from the pool's listing. Raises
        KeyError if the asset is not listed."""
        return 10 ** self.pool.assets[self.asset].state.decimals

    @property
    def debt_unit(self) -> int:
        """10^decimals of the debt asset (token units per whole token), from the pool's listing. Raises KeyError if
        the asset is not listed."""
        return 10 ** self.pool.assets[self.debt_asset].state.decimals

    def prices(self) -> Prices:
        """The collateral and debt prices (USD WAD per whole token) at the pool's oracle, as the contract's
        ``_prices`` reads ``priceRouter.priceWad``: every check of the router (policy, fallback, sequencer,
        staleness) at the pool's last block time (``oracle_now``; every entry point accrues the pool to its ``now``
        first). Raises the router's errors (``LendingPool.price_wad``)."""
        now = self.pool.oracle_now
        return Prices(self.pool.price_wad(self.asset, now), self.pool.price_wad(self.debt_asset, now))

    def collateral(self) -> int:
        """The vault's collateral: ``LendingPool.supplyBalance(asset, vault)`` in asset units (rounded down), as of
        the pool's last accrual. Raises KeyError if the asset is not listed."""
        return self.pool.supply_balance(self.asset, self.address)

    def debt(self) -> int:
        """The vault's debt: ``LendingPool.debtBalance(debtAsset, vault)`` in debt-asset units (rounded up), as of
        the pool's last accrual. Raises KeyError if the asset is not listed."""
        return self.pool.debt_balance(self.debt_asset, self.address)

    def total_assets(self) -> int:
        """NAV in asset units: collateral supplied to the pool − debt in the asset (rounded up), floored at 0.
        Tokens sent to the vault are not counted (redemptions pay only from the pool position)."""
        px = self.prices()
        debt_in_asset = mul_div_up(self.debt(), px.debt_wad * self.coll_unit, px.coll_wad * self.debt_unit)
        return max(self.collateral() - debt_in_asset, 0)

    @property
    def decimals(self) -> int:
        """Share decimals: the asset's plus ``DECIMALS_OFFSET`` (OpenZeppelin ERC4626)."""
        return self.pool.assets[self.asset].state.decimals + DECIMALS_OFFSET

    def convert_to_shares(self, assets: int) -> int:
        """OpenZeppelin ERC4626 with ``10**DECIMALS_OFFSET`` virtual shares and one virtual asset, rounded down."""
        return mul_div_down(assets, self.total_supply + VIRTUAL_SHARES, self.total_assets() + 1)

    def convert_to_assets(self, shares: int) -> int:
        """Same conversion the other way, rounded down; ``convert_to_assets(10**decimals)`` is NAV per share."""
        return mul_div_down(shares, self.total_assets() + 1, self.total_supply + VIRTUAL_SHARES)

    def balance_of(self, account: str) -> int:
        """ERC-20 ``balanceOf``: ``account``'s shares (share units, ``decimals`` = asset decimals +
        ``DECIMALS_OFFSET``). Raises nothing."""
        return self.shares.get(account, 0)

    def cooldown_end(self, account: str) -> int:
        """``LeveragedToken.cooldownEnd``: the block time (seconds) from which ``account`` may redeem or transfer
        shares again, ``last_deposit_at + cooldown_seconds`` (the cooldown in force now, applied to the last
        deposit). Raises nothing."""
        return self.last_deposit_at.get(account, 0) + self.params.cooldown_seconds

    def max_redeem(self, owner: str, now: int) -> int:
        """``LeveragedToken.maxRedeem``: ``owner``'s shares, or 0 while its cooldown runs at ``now``. Raises
        nothing."""
        return 0 if now < self.cooldown_end(owner) else self.balance_of(owner)

    def leverage_wad(self) -> int:
        """``LeveragedToken.leverageWad``: collateral value ÷ equity in WAD (rounded up) at the pool's oracle as of
        its last accrual; 0 with no collateral, UINT256_MAX when debt value ≥ collateral value. Raises FeedNotSet,
        InvalidPrice, PriceOverflow."""
        return self._leverage(self.prices())

    def rebalance_due(self, now: int) -> bool:
        """``LeveragedToken.rebalanceDue``: whether ``rebalance`` would be allowed at ``now`` (seconds): leverage
        outside [min, max] or the rebalance interval elapsed, with collateral held (fees the call itself would accrue
        ignored). Raises FeedNotSet, InvalidPrice, PriceOverflow."""
        lev = self.leverage_wad()
        return lev != 0 and self._due(lev, now)

    # ------------------------------------------------------------------ entry points

    def approve(self, owner: str, spender: str, shares: int) -> None:
        """ERC-20 ``approve``: ``spender`` may redeem up to ``shares`` of ``owner``'s shares (UINT256_MAX: unlimited,
        never decreased). Not journaled; raises nothing (the contract's zero-address checks are not modelled)."""
        self.allowances[(owner, spender)] = shares

    @reverts_atomically
    def transfer(self, sender: str, to: str, shares: int, now: int) -> None:
        """ERC-20 ``transfer`` of ``shares`` from ``sender`` to ``to`` at ``now``. Raises, in order:
        ERC20InvalidReceiver (``to`` empty or the zero address), CooldownActive (``sender``'s cooldown),
        ERC20InsufficientBalance."""
        self._transfer(sender, to, shares, now)

    @reverts_atomically
    def transfer_from(self, spender: str, owner: str, to: str, shares: int, now: int) -> None:
        """ERC-20 ``transferFrom``: spends ``spender``'s allowance of ``owner`` (UINT256_MAX never decreases), then
        ``transfer``s. Raises ERC20InsufficientAllowance first, then ``transfer``'s errors."""
        self._spend_allowance(owner, spender, shares)
        self._transfer(owner, to, shares, now)

    @reverts_atomically
    def deposit(self, sender: str, assets: int, receiver: str, now: int, min_shares: int = 0,
                deadline: int = UINT256_MAX) -> int:
        """``depositWithMin`` (``deposit`` is the same with no minimum and no deadline): shares
        ⌊assets·(S + V)/(NAV + 1)⌋. Raises ``DeadlineExpired``, ``ZeroShares``, token and pool errors, then
        ``InsufficientSharesOut``."""
        if now > deadline:
            raise DeadlineExpired(deadline)
        self._accrue(now)
        shares = self.convert_to_shares(assets)
        self._deposit(sender, receiver, assets, shares, now)
        if shares < min_shares:
            raise InsufficientSharesOut(shares, min_shares)
        return shares

    @reverts_atomically
    def mint(self, sender: str, shares: int, receiver: str, now: int) -> int:
        """``LeveragedToken.mint`` (OpenZeppelin ERC4626): accrues to ``now``, then mints exactly ``shares`` to
        ``receiver`` for ⌈shares·(NAV + 1)/(S + V)⌉ asset units pulled from ``sender`` and supplied to the pool
        unlevered. Returns the asset units paid.

        Raises, in order: the accrual's pool errors, FeedNotSet, InvalidPrice, PriceOverflow, ZeroShares, the ERC-20
        errors of the transfer in (ERC20InsufficientAllowance, ERC20InsufficientBalance), then the
        ``LendingPool.supply`` errors."""
        self._accrue(now)
        assets = mul_div_up(shares, self.total_assets() + 1, self.total_supply + VIRTUAL_SHARES)
        self._deposit(sender, receiver, assets, shares, now)
        return assets

    @reverts_atomically
    def redeem(self, sender: str, shares: int, receiver: str, owner: str, now: int, min_assets: int = 0,
               deadline: int = UINT256_MAX) -> int:
        """``redeemWithMin`` (``redeem`` is the same with ``min_assets = 0`` and no deadline): collateral share
        ⌊C·s/(S + V)⌋, debt share ⌈D·s/(S + V)⌉; the virtual shares' part stays in the vault. Raises
        ``DeadlineExpired`` first, then the checks of ``LeveragedToken.redeemWithMin`` in its order: accrual errors,
        ``ZeroShares``, ``ZeroAddress``, ``CooldownActive`` (``owner``'s), ``ERC4626ExceededMaxRedeem``,
        ERC20InsufficientAllowance, the unwind's errors, ``InsufficientAssetsOut``."""
        if now > deadline:
            raise DeadlineExpired(deadline)
        self._accrue(now)
        if shares == 0:
            raise ZeroShares()
        if not receiver or receiver == _ZERO_ADDRESS:
            raise errors.ZeroAddress()
        self._check_cooldown(owner, now)
        if shares > self.balance_of(owner):
            raise ERC4626ExceededMaxRedeem(owner, shares, self.balance_of(owner))
        denominator = self.total_supply + VIRTUAL_SHARES
        coll_share = mul_div_down(self.collateral(), shares, denominator)
        debt_share = mul_div_up(self.debt(), shares, denominator)
        if sender != owner:
            self._spend_allowance(owner, sender, shares)
        self.shares[owner] -= shares
        self.total_supply -= shares
        sold = 0
        if debt_share:
            repaid, sold = self._delever(debt_share, self.prices(), now)
            if repaid < debt_share:
                raise UnwindIncomplete(debt_share - repaid)
        if sold > coll_share:
            raise RedeemUnderwater(coll_share, sold)
        assets = coll_share - sold
        if assets < min_assets:
            raise InsufficientAssetsOut(assets, min_assets)
        if assets:
            self.pool.withdraw(self.address, self.asset, assets, receiver, now)
        return assets

    @reverts_atomically
    def rebalance(self, sender: str, now: int) -> int:
        """``LeveragedToken.rebalance``: toward the target when due, at most once a block, each swap within the
        slippage bound (a trade it does not allow in full is cut). Returns the leverage after (WAD). Raises
        ``NothingToRebalance``, ``RebalanceNotDue``, ``RebalanceTooSoon``, ``Insolvent``, ``SlippageExceeded``
        and pool/pair errors."""
        self._accrue(now)
        px = self.prices()
        before = self._leverage(px)
        if before == 0:
            raise NothingToRebalance()
        if not self._due(before, now):
            raise RebalanceNotDue(before, self.last_rebalance + self.params.rebalance_interval_sec)
        if now == self.last_rebalance:
            raise RebalanceTooSoon(self.last_rebalance)
        traded = self._rebalance_to(px, now)
        self.last_rebalance = now
        self._mint_rebalance_fee(traded, px)
        return self._leverage(px)

    @reverts_atomically
    def ripcord(self, sender: str, now: int) -> int:
        """Emergency delever past the hard limit; returns the reward paid to ``sender``."""
        self._accrue(now)
        px = self.prices()
        before = self._leverage(px)
        if before < self.params.ripcord_leverage_wad:
            raise RipcordNotArmed(before, self.params.ripcord_leverage_wad)
        if now == self.last_rebalance:
            raise RebalanceTooSoon(self.last_rebalance)
        self._rebalance_to(px, now)
        self.last_rebalance = now
        reward = min(self.params.ripcord_reward_assets, self.total_assets())
        if reward:
            self.pool.withdraw(self.address, self.asset, reward, sender, now)
        return reward

    @reverts_atomically
    def accrue(self, now: int) -> None:
        """``LeveragedToken.accrue``: ``LendingPool.accrueAll`` to ``now`` (seconds), then the management fee minted
        as shares to ``fee_recipient``: S·x/(1 − x) rounded down, x = min(rate·dt, ``MAX_FEE_FRACTION_WAD``). Raises
        ValueError if ``now`` is before the pool's last accrual."""
        self._accrue(now)

    @reverts_atomically
    def set_params(self, params: LeveragedTokenParams, now: int) -> None:
        """``LeveragedToken.setParams``: accrues fees to ``now`` under the old parameters, then replaces them.
        Raises, in order: the ``LeveragedTokenParams.validate`` errors (InvalidLeverageBand, MaxSlippageTooHigh,
        RebalanceFeeTooHigh, ManagementFeeTooHigh, InvalidMaxRounds); the contract's MANAGER_ROLE check is not
        modelled."""
        params.validate()
        self._accrue(now)
        self.params = params

    # ------------------------------------------------------------------ internals

    def _mint_shares(self, account: str, shares: int) -> None:
        self.shares[account] = self.shares.get(account, 0) + shares
        self.total_supply += shares

    def _spend_allowance(self, owner: str, spender: str, shares: int) -> None:
        """OpenZeppelin ``_spendAllowance``: UINT256_MAX is never decreased. Raises ERC20InsufficientAllowance."""
        allowed = self.allowances.get((owner, spender), 0)
        if allowed != UINT256_MAX:
            if allowed < shares:
                raise errors.ERC20InsufficientAllowance(spender, allowed, shares)
            self.allowances[(owner, spender)] = allowed - shares

    def _check_cooldown(self, account: str, now: int) -> None:
        """``_checkCooldown``: raises ``CooldownActive(account, end)`` while ``now`` < ``cooldown_end(account)``."""
        end = self.cooldown_end(account)
        if now < end:
            raise CooldownActive(account, end)

    def _transfer(self, sender: str, to: str, shares: int, now: int) -> None:
        """OpenZeppelin ``_transfer`` through the vault's ``_update``: the receiver check, the sender's cooldown,
        then the balance."""
        if not to or to == _ZERO_ADDRESS:
            raise ERC20InvalidReceiver(to)
        self._check_cooldown(sender, now)
        held = self.balance_of(sender)
        if held < shares:
            raise errors.ERC20InsufficientBalance(sender, held, shares)
        self.shares[sender] = held - shares
        self.shares[to] = self.shares.get(to, 0) + shares

    def _deposit(self, sender: str, receiver: str, assets: int, shares: int, now: int) -> None:
        if shares == 0:
            raise ZeroShares()
        if receiver != sender and self.allowances.get((receiver, sender), 0) == 0:
            raise ReceiverNotApproved(receiver, sender)
        self.last_deposit_at[receiver] = now
        self.pool.ledger.transfer_from(self.asset, self.address, sender, self.address, assets)
        self._mint_shares(receiver, shares)
        self.pool.supply(self.address, self.asset, assets, self.address, now)

    def _accrue(self, now: int) -> None:
        self.pool.accrue_all(now)
        dt = now - self.last_fee_accrual
        if dt == 0:
            return
        self.last_fee_accrual = now
        rate = self.params.management_fee_per_second_wad
        if self.total_supply == 0 or rate == 0:
            return
        x = min(rate * dt, MAX_FEE_FRACTION_WAD)
        shares = mul_div_down(self.total_supply, x, WAD - x)
        if shares:
            self._mint_shares(self.fee_recipient, shares)

    def _due(self, lev: int, now: int) -> bool:
        p = self.params
        return (lev < p.min_leverage_wad or lev > p.max_leverage_wad
                or now >= self.last_rebalance + p.rebalance_interval_sec)

    def _leverage(self, px: Prices) -> int:
        c_v = mul_div_down(self.collateral(), px.coll_wad, self.coll_unit)
        if c_v == 0:
            return 0
        d_v = mul_div_up(self.debt(), px.debt_wad, self.debt_unit)
        return UINT256_MAX if c_v <= d_v else mul_div_up(c_v, WAD, c_v - d_v)

    def _rebalance_to(self, px: Prices, now: int) -> int:
        c, d = self.collateral(), self.debt()
        c_v = mul_div_down(c, px.coll_wad, self.coll_unit)
        d_v = mul_div_up(d, px.debt_wad, self.debt_unit)
        if c_v <= d_v:
            raise Insolvent(c_v, d_v)
        target_v = mul_div_down(c_v - d_v, self.params.target_leverage_wad - WAD, WAD)
        target_debt = mul_div_down(target_v, self.debt_unit, px.debt_wad)
        if target_debt > d:
            return self._lever(target_debt - d, px, now)
        if d > target_debt:
            return self._delever(d - target_debt, px, now)[0]
        return 0

    def _lever(self, amount: int, px: Prices, now: int) -> int:
        remaining = amount
        for _ in range(self.params.max_rounds):
            if remaining == 0:
                break
            values = self.pool.account_values(self.address)
            if values.borrow_capacity_wad <= values.debt_wad:
                break
            room = bps_mul_down(mul_div_down(values.borrow_capacity_wad - values.debt_wad, self.debt_unit,
                                             px.debt_wad), SAFETY_BPS)
            wanted = min(remaining, room)
            if wanted == 0:
                break
            b = self._max_in_within_bound(self.debt_asset, wanted, px)
            if b == 0 and remaining != amount:
                break
            b = b or wanted  # nothing traded yet: swap in full and revert SlippageExceeded
            self.pool.borrow(self.address, self.debt_asset, b, now)
            out = self._swap_exact_in(self.debt_asset, b, px, now)
            self.pool.supply(self.address, self.asset, out, self.address, now)
            remaining -= b
            if b < wanted:
                break
        return amount - remaining

    def _delever(self, amount: int, px: Prices, now: int) -> tuple[int, int]:
        """Rounds of withdraw → swap → repay until the debt is ``amount`` lower (re-read every round);
        returns (debt reduction, collateral sold)."""
        start = self.debt()
        floor_debt, sold = start - amount, 0
        for _ in range(self.params.max_rounds):
            debt = self.debt()
            if debt <= floor_debt:
                break
            # A partial repayment clears at least its amount less one unit: ask for one more.
            paid, sold_now, cut = self._delever_round(debt - floor_debt + (1 if floor_debt else 0), px, now,
                                                      debt == start)
            if paid == 0:
                break
            sold += sold_now
            if cut:
                break
        return start - self.debt(), sold

    def _delever_round(self, remaining: int, px: Prices, now: int, first: bool) -> tuple[int, int, bool]:
        """``_deleverRound``: buy exactly ``remaining`` if the withdrawable collateral covers it within the bound,
        else sell what is withdrawable below that (exact input), cut by the bound. Returns (repaid, sold, cut)."""
        max_out = self._withdrawable(px)
        need, max_in = self._exact_out_quote(remaining, px)
        cut = False
        if need <= max_out and need <= max_in:
            self.pool.withdraw(self.address, self.asset, need, self.address, now)
            self._swap_exact_out(remaining, px, now)
            repaid, sold = remaining, need
        else:
            wanted = min(max_out, need - 1)
            if wanted == 0:
                return 0, 0, False
            sold = self._max_in_within_bound(self.asset, wanted, px)
            if sold == 0 and not first:
                return 0, 0, True
            sold = sold or wanted  # the first round: sell in full and revert SlippageExceeded
            cut = sold < wanted
            self.pool.withdraw(self.address, self.asset, sold, self.address, now)
            repaid = self._swap_exact_in(self.asset, sold, px, now)
        self.pool.repay(self.address, self.debt_asset, repaid, self.address, now)
        return repaid, sold, cut

    def _withdrawable(self, px: Prices) -> int:
        lt_bps = self.pool.assets[self.asset].config.liquidation_threshold_bps
        values = self.pool.account_values(self.address)
        if values.adjusted_collateral_wad <= values.debt_wad:
            return 0
        max_out = bps_mul_down(mul_div_down(values.adjusted_collateral_wad - values.debt_wad,
                                            self.coll_unit * BPS, px.coll_wad * lt_bps), SAFETY_BPS)
        return min(max_out, self.collateral())

    def _mint_rebalance_fee(self, traded: int, px: Prices) -> int:
        fee_assets = bps_mul_down(mul_div_down(traded, px.debt_wad * self.coll_unit, px.coll_wad * self.debt_unit),
                                  self.params.rebalance_fee_bps)
        nav, supply = self.total_assets(), self.total_supply
        if fee_assets == 0 or nav <= fee_assets or supply == 0:
            return 0
        shares = mul_div_down(fee_assets, supply, nav - fee_assets)
        if shares:
            self._mint_shares(self.fee_recipient, shares)
        return shares

    def _swap_exact_in(self, token_in: str, amount_in: int, px: Prices, now: int) -> int:
        out, min_out = self._exact_in_quote(token_in, amount_in, px)
        if out < min_out:
            raise SlippageExceeded(out, min_out)
        self._pair_swap(token_in, amount_in, out, now)
        return out

    def _swap_exact_out(self, amount_out: int, px: Prices, now: int) -> int:
        """Buy exactly ``amount_out`` of the debt asset with the asset."""
        amount_in, max_in = self._exact_out_quote(amount_out, px)
        if amount_in > max_in:
            raise SlippageExceeded(amount_in, max_in)
        self._pair_swap(self.asset, amount_in, amount_out, now)
        return amount_in

    def _exact_in_quote(self, token_in: str, amount_in: int, px: Prices) -> tuple[int, int]:
        """``_exactInQuote``: (pair output, least output the bound accepts ⌈⌊in at the oracle⌋·(1 − t)⌉)."""
        out = get_amount_out(amount_in, *self.pair.reserves(token_in))
        cu, du = self.coll_unit, self.debt_unit
        if token_in == self.debt_asset:
            fair = mul_div_down(amount_in, px.debt_wad * cu, px.coll_wad * du)
        else:
            fair = mul_div_down(amount_in, px.coll_wad * du, px.debt_wad * cu)
        return out, mul_div_up(fair, BPS - self.params.max_slippage_bps, BPS)

    def _exact_out_quote(self, amount_out: int, px: Prices) -> tuple[int, int]:
        """``_exactOutQuote``: (asset the pair asks for ``amount_out`` of the debt asset, most the bound accepts
        ⌊⌈out at the oracle⌉·(1 + t)⌋)."""
        amount_in = get_amount_in(amount_out, *self.pair.reserves(self.asset))
        fair = mul_div_up(amount_out, px.debt_wad * self.coll_unit, px.coll_wad * self.debt_unit)
        return amount_in, bps_mul_down(fair, BPS + self.params.max_slippage_bps)

    def _max_in_within_bound(self, token_in: str, amount_in: int, px: Prices) -> int:
        """``_maxInWithinBound``: the largest exact input ≤ ``amount_in`` the bound accepts, by the contract's
        bisection; 0 if that is below ``MIN_CUT_BPS`` of ``amount_in`` (dust only rounding lets through)."""
        out, min_out = self._exact_in_quote(token_in, amount_in, px)
        if out >= min_out:
            return amount_in
        lo, hi = 0, amount_in
        while hi - lo > 1:
            mid = (lo + hi) // 2
            out, min_out = self._exact_in_quote(token_in, mid, px)
            if out >= min_out:
                lo = mid
            else:
                hi = mid
        return 0 if lo < bps_mul_down(amount_in, MIN_CUT_BPS) else lo

    def _pair_swap(self, token_in: str, amount_in: int, out: int, now: int) -> None:
        self.pool.ledger.transfer(token_in, self.address, self.pair.address, amount_in)
        zero_in = token_in == self.pair.token0
        self.pair.swap(0 if zero_in else out, out if zero_in else 0, self.address, now)
