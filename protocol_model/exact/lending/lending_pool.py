"""The exact engine: ``LendingPool.sol`` in Python integers, check for check and rounding for rounding.

Every operation takes the caller and the block timestamp, and either applies fully or raises the
contract's error and leaves the pool and the token ledger untouched (a revert: ``exact/journal.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from protocol_model.exact import errors
from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.lending.kinked_rate_model import accrue
from protocol_model.exact.lending.liquidation import LiquidationAmounts, liquidation_amounts
from protocol_model.exact.lending.params import AssetConfig, PoolParams, RateParams
from protocol_model.exact.lending.pool_state import MAX_DECIMALS, AssetState, to_uint128
from protocol_model.exact.math_lib import (
    RAY,
    UINT256_MAX,
    WAD,
    bps_mul_down,
    bps_mul_up,
    mul_div_down,
    mul_div_up,
    ray_div_down,
    ray_div_up,
    ray_mul_down,
    ray_mul_up,
    wad_div_down,
)
from protocol_model.exact.oracle.oracle_policy import OraclePolicy, router_price_wad
from protocol_model.exact.oracle.pair_price_feed import PairPriceFeed, live_round
from protocol_model.exact.oracle.price_router import Feed

POOL = "pool"


@dataclass
class ListedAsset:
    """One listed asset of the pool: its risk configuration (``LendingPool.configs[asset]``), its rate curve (the
    asset's ``IRateModel``, a ``KinkedRateModel``) and its accounting state (``LendingPool.states[asset]``)."""
    config: AssetConfig
    rate: RateParams
    state: AssetState


@dataclass(frozen=True)
class AccountValues:
    """``LendingPool.accountValues``: an account's (Σ collateral × liquidation threshold, Σ collateral × LTV, Σ
    debt), all in USD WAD at the last accrual; collateral rounded down, debt rounded up."""
    adjusted_collateral_wad: int
    borrow_capacity_wad: int
    debt_wad: int

    @property
    def health_factor_wad(self) -> int:
        """``LendingPool.healthFactor``: adjusted collateral / debt in WAD (``wadDivDown``), UINT256_MAX without
        debt. Raises nothing."""
        return UINT256_MAX if self.debt_wad == 0 else wad_div_down(self.adjusted_collateral_wad, self.debt_wad)


@dataclass(frozen=True)
class BadDebt:
    """One bad-debt write-off of ``LendingPool._writeOffBadDebt`` (event ``BadDebtWrittenOff``): the ``amount``
    (token units of ``asset``, rounded up) of ``account``'s debt cancelled after a liquidation took its last
    collateral, covered first ``from_reserves`` then ``from_suppliers`` (a cut of the supply index); ``from_reserves
    + from_suppliers == amount``."""
    account: str
    asset: str
    amount: int
    from_reserves: int
    from_suppliers: int


@dataclass
class LendingPool:
    """Exact twin of ``LendingPool.sol`` (docs/SPEC.md): per-asset scaled supply and debt against RAY indices,
    kinked-rate accrual, health-factor checks priced through the ``PriceRouter`` twin, liquidation with close factor,
    LIF and dust rule, bad-debt write-off, flash loans and operator authorization.

    Amounts are token units of the asset, scaled balances are amount / index (RAY indices), values are USD WAD, rates
    and factors bps. Account and asset names are strings (addresses on chain). Every entry point decorated with
    ``reverts_atomically`` raises the contract's error (a :class:`~protocol_model.exact.errors.PoolError` of the same
    name) and leaves the pool and its ``ledger`` unchanged. Roles (``onlyRole``) are not modelled: the configuration
    methods assume an authorized caller."""
    params: PoolParams = field(default_factory=PoolParams)
    assets: dict[str, ListedAsset] = field(default_factory=dict)
    """Listed assets in listing order (the contract's ``_assets``)."""
    feeds: dict[str, Feed] = field(default_factory=dict)
    scaled_supply: dict[tuple[str, str], int] = field(default_factory=dict)
    scaled_debt: dict[tuple[str, str], int] = field(default_factory=dict)
    supply_paused: bool = False
    borrow_paused: bool = False
    ledger: Ledger = field(default_factory=Ledger)
    bad_debt_events: list[BadDebt] = field(default_factory=list)
    oracle_policies: dict[str, OraclePolicy] = field(default_factory=dict)
    """The router's per-asset policies (none: only answers <= 0 are rejected)."""
    fallback_feeds: dict[str, Feed] = field(default_factory=dict)
    sequencer_feed: Feed | None = None
    pair_feeds: dict[str, PairPriceFeed] = field(default_factory=dict)
    """Assets whose primary feed is a ``PairPriceFeed`` (asset -> that feed's twin): every price read computes its
    round then, from the pair's reserves of that moment (``pair_price_feed.live_round``), as the router calls the
    feed's ``latestRoundData`` at read time; ``feeds[asset]`` is then only the last refreshed copy (snapshots)."""
    oracle_now: int = 0
    collateral_use: set[tuple[str, str]] = field(default_factory=set)
    """``usesAsCollateral``: (account, asset) pairs the account consented to count as collateral (by its own or its
    operator's supply, or ``set_use_as_collateral``); a withdrawal or seizure of the whole scaled supply clears it."""
    """Block time prices are validated at: the current operation's (set by accrual) or a view's."""

    journal_links: ClassVar[tuple[str, ...]] = ("ledger",)
    """A revert restores the pool and the token ledger (protocol_model.exact.journal)."""

    # ---------------------------------------------------------------- configuration

    @reverts_atomically
    def list_asset(self, asset: str, rate: RateParams, config: AssetConfig, decimals: int, now: int) -> None:
        """``LendingPool.listAsset``: lists ``asset`` with its rate curve, risk configuration and token ``decimals``
        (indices start at RAY, ``last_update`` at ``now`` seconds).

        Raises, in order: AssetAlreadyListed, the ``AssetConfig.validate`` errors (ThresholdTooHigh,
        LtvAboveThreshold, LiquidationBonusTooHigh, FeeTooHigh, then ValueError for a bps field beyond uint16),
        InvalidDecimals (above ``MAX_DECIMALS`` = 24), TooManyAssets (``MAX_ASSETS`` listed already). The contract's
        ZeroAddress checks have no model counterpart."""
        if asset in self.assets:
            raise errors.AssetAlreadyListed(asset)
        config.validate()
        if decimals > MAX_DECIMALS:
            raise errors.InvalidDecimals(decimals)
        if len(self.assets) == MAX_ASSETS:
            raise errors.TooManyAssets(MAX_ASSETS)
        self.assets[asset] = ListedAsset(config, rate, AssetState(decimals=decimals, last_update=now))

    @reverts_atomically
    def set_asset_config(self, asset: str, config: AssetConfig, now: int) -> None:
        """``LendingPool.setAssetConfig``: accrues ``asset`` to ``now`` under the old configuration, then replaces
        it. Raises, in order: AssetNotListed, the ``AssetConfig.validate`` errors (ThresholdTooHigh,
        LtvAboveThreshold, LiquidationBonusTooHigh, FeeTooHigh, then ValueError for a bps field beyond uint16)."""
        listed = self._listed(asset)
        config.validate()
        self._accrue(asset, now)
        listed.config = config

    @reverts_atomically
    def set_rate_model(self, asset: str, rate: RateParams, now: int) -> None:
        """``LendingPool.setRateModel``: accrues ``asset`` to ``now`` (seconds) under the old rate curve, then
        replaces it with ``rate`` (per-second RAY). Raises AssetNotListed."""
        listed = self._listed(asset)
        self._accrue(asset, now)
        listed.rate = rate

    @reverts_atomically
    def set_close_factor(self, params: PoolParams) -> None:
        """``setCloseFactor`` and ``setMinLeftover``: replaces the pool parameters. Raises InvalidCloseFactor, then
        InvalidMinLeftover (above ``MAX_MIN_LEFTOVER_USD_WAD``: the liquidation's dust product would overflow)."""
        self.params = params.validate()

    def set_pause(self, supply_paused: bool, borrow_paused: bool) -> None:
        """``LendingPool.setPause``: pauses or resumes supply and borrow (flash loans follow borrow); withdraw, repay
        and liquidation stay open. Raises nothing."""
        self.supply_paused, self.borrow_paused = supply_paused, borrow_paused

    def set_feed(self, asset: str, feed: Feed) -> None:
        """The price feed of ``asset`` (``PriceRouter.setFeed``'s primary feed, read by ``priceRouter.priceWad``).
        Not journaled; raises nothing."""
        self.feeds[asset] = feed

    # ---------------------------------------------------------------- supply / withdraw

    @reverts_atomically
    def supply(self, sender: str, asset: str, amount: int, on_behalf: str, now: int) -> int:
        """``LendingPool.supply``: ``amount`` token units of ``asset`` from ``sender`` credited to ``on_behalf`` (scaled
        ``amount / supply index``, rounded down); it counts as collateral only if the sender is ``on_behalf`` or its
        operator. Returns the scaled amount minted.

        Raises, in order: ZeroAmount, ZeroAddress, AssetNotListed, SupplyPaused, (accrue ``asset``) ZeroScaledAmount,
        SupplyCapExceeded, SafeCastOverflowedUintDowncast (the total beyond uint128), then the ERC-20 errors of the
        transfer in (ERC20InsufficientAllowance, ERC20InsufficientBalance)."""
        if amount == 0:
            raise errors.ZeroAmount()
        self._nonzero(on_behalf)
        listed = self._listed(asset)
        if self.supply_paused:
            raise errors.SupplyPaused()
        self._accrue(asset, now)
        s = listed.state
        scaled = ray_div_down(amount, s.supply_index_ray)
        if scaled == 0:
            raise errors.ZeroScaledAmount()
        new_total = s.total_scaled_supply + scaled
        cap = listed.config.supply_cap
        if cap != 0 and ray_mul_down(new_total, s.supply_index_ray) > cap:
            raise errors.SupplyCapExceeded(asset)
        s.total_scaled_supply = to_uint128(new_total)
        self._add(self.scaled_supply, asset, on_behalf, scaled)
        if self._is_authorized(sender, on_behalf):  # a third party's supply never becomes collateral
            self.collateral_use.add((on_behalf, asset))
        self.ledger.transfer_from(asset, POOL, sender, POOL, amount)
        return scaled

    @reverts_atomically
    def set_use_as_collateral(self, sender: str, asset: str, enabled: bool, now: int) -> None:
        """``LendingPool.setUseAsCollateral``: the sender's ``asset`` supply counts as collateral or stops; stopping
        with debt accrues the sender's assets and checks its health. Raises AssetNotListed, then NoSupplyBalance
        when enabling without a scaled supply (a consent never sits on a zero balance, SPEC §3.5, P-POOL-20), or
        price errors and HealthFactorTooLow when stopping with debt."""
        self._listed(asset)
        self.oracle_now = now
        if enabled:
            if not self.scaled_supply.get((asset, sender), 0):
                raise errors.NoSupplyBalance(asset)
            self.collateral_use.add((sender, asset))
        else:
            self.collateral_use.discard((sender, asset))
            if self._has_debt(sender):
                self._accrue_account(sender, now)
                values = self.account_values(sender)
                if values.adjusted_collateral_wad < values.debt_wad:
                    raise errors.HealthFactorTooLow()

    def withdraw(self, sender: str, asset: str, amount: int, to: str, now: int) -> int:
        """``LendingPool.withdraw``: ``withdraw_on_behalf`` for the sender's own supply."""
        return self.withdraw_on_behalf(sender, asset, amount, sender, to, now)

    @reverts_atomically
    def withdraw_on_behalf(self, sender: str, asset: str, amount: int, on_behalf: str, receiver: str,
                           now: int) -> int:
        """``LendingPool._withdraw``, the one withdraw path: ``amount`` token units (UINT256_MAX: all) of
        ``on_behalf``'s supply to ``receiver``; returns the amount paid out.

        Raises, in order: ZeroAmount, ZeroAddress, Unauthorized, AssetNotListed, (accrue) ZeroAmount /
        InsufficientBalance, InsufficientLiquidity, (with debt: accrue the account's assets) price errors,
        HealthFactorTooLow (docs/SPEC.md §4). Withdrawing the whole scaled supply clears the account's consent to
        the asset as collateral (SPEC §3.5)."""
        if amount == 0:
            raise errors.ZeroAmount()
        self._nonzero(on_behalf)
        self._nonzero(receiver)
        self._require_authorized(sender, on_behalf)
        listed = self._listed(asset)
        self._accrue(asset, now)
        s = listed.state
        user_scaled = self.scaled_supply.get((asset, on_behalf), 0)
        balance = ray_mul_down(user_scaled, s.supply_index_ray)
        if amount == UINT256_MAX:
            amount, scaled = balance, user_scaled
            if amount == 0:
                raise errors.ZeroAmount()
        else:
            if amount > balance:
                raise errors.InsufficientBalance()
            scaled = min(ray_div_up(amount, s.supply_index_ray), user_scaled)
        if amount > self.lendable(asset):
            raise errors.InsufficientLiquidity(asset)
        self.scaled_supply[(asset, on_behalf)] = user_scaled - scaled
        s.total_scaled_supply -= scaled
        if scaled == user_scaled:  # the whole supply withdrawn takes its consent with it
            self._clear_consent(on_behalf, asset)
        if self._has_debt(on_behalf):
            self._accrue_account(on_behalf, now)
            values = self.account_values(on_behalf)
            if values.adjusted_collateral_wad < values.debt_wad:
                raise errors.HealthFactorTooLow()
        self.ledger.transfer(asset, POOL, receiver, amount)
        return amount

    # ---------------------------------------------------------------- borrow / repay

    def borrow(self, sender: str, asset: str, amount: int, now: int) -> int:
        """``LendingPool.borrow``: ``borrow_on_behalf`` for the sender, tokens to the sender."""
        return self.borrow_on_behalf(sender, asset, amount, sender, sender, now)

    @reverts_atomically
    def borrow_on_behalf(self, sender: str, asset: str, amount: int, on_behalf: str, receiver: str, now: int) -> int:
        """``LendingPool._borrow``, the one borrow path: ``amount`` token units of debt for ``on_behalf``,
        sent to ``receiver``; returns the scaled debt minted (rounded up).

        Raises, in order: ZeroAmount, ZeroAddress, Unauthorized, AssetNotListed, BorrowPaused, BorrowNotEnabled,
        (accrue ``asset``) InsufficientLiquidity, BorrowCapExceeded, SafeCastOverflowedUintDowncast, (accrue the
        account's assets) price errors, InsufficientCollateral (SPEC §4)."""
        if amount == 0:
            raise errors.ZeroAmount()
        self._nonzero(on_behalf)
        self._nonzero(receiver)
        self._require_authorized(sender, on_behalf)
        listed = self._listed(asset)
        if self.borrow_paused:
            raise errors.BorrowPaused()
        if not listed.config.borrow_enabled:
            raise errors.BorrowNotEnabled(asset)
        self._accrue(asset, now)
        if amount > self.lendable(asset):
            raise errors.InsufficientLiquidity(asset)
        s = listed.state
        scaled = ray_div_up(amount, s.borrow_index_ray)
        new_total = s.total_scaled_debt + scaled
        cap = listed.config.borrow_cap
        if cap != 0 and ray_mul_up(new_total, s.borrow_index_ray) > cap:
            raise errors.BorrowCapExceeded(asset)
        if s.total_scaled_debt == 0:  # interest runs from the borrow that gives the asset debt again
            s.last_update = now
        s.total_scaled_debt = to_uint128(new_total)
        self._add(self.scaled_debt, asset, on_behalf, scaled)
        self._accrue_account(on_behalf, now)
        values = self.account_values(on_behalf)
        if values.debt_wad > values.borrow_capacity_wad:
            raise errors.InsufficientCollateral()
        self.ledger.transfer(asset, POOL, receiver, amount)
        return scaled

    @reverts_atomically
    def repay(self, sender: str, asset: str, amount: int, on_behalf: str, now: int) -> int:
        """``LendingPool.repay``: repays up to ``amount`` token units (capped at the debt, rounded up) of
        ``on_behalf``'s ``asset`` debt from ``sender``; the scaled debt burned is ``amount / borrow index`` rounded down
        (all of it on a full repay). Returns the amount repaid (token units).

        Raises, in order: ZeroAmount, ZeroAddress, AssetNotListed, (accrue) NoDebt, then the ERC-20 errors of the
        transfer in (ERC20InsufficientAllowance, ERC20InsufficientBalance)."""
        if amount == 0:
            raise errors.ZeroAmount()
        self._nonzero(on_behalf)
        listed = self._listed(asset)
        self._accrue(asset, now)
        s = listed.state
        user_scaled = self.scaled_debt.get((asset, on_behalf), 0)
        if user_scaled == 0:
            raise errors.NoDebt()
        debt = ray_mul_up(user_scaled, s.borrow_index_ray)
        if amount >= debt:
            amount, scaled = debt, user_scaled
        else:
            scaled = ray_div_down(amount, s.borrow_index_ray)
        self.scaled_debt[(asset, on_behalf)] = user_scaled - scaled
        s.total_scaled_debt -= scaled
        self.ledger.transfer_from(asset, POOL, sender, POOL, amount)
        return amount

    # ---------------------------------------------------------------- liquidation

    @reverts_atomically
    def liquidate(self, sender: str, borrower: str, collateral: str, debt_asset: str, repay_amount: int,
                  now: int) -> LiquidationAmounts:
        """``LendingPool.liquidate``: repay up to ``repay_amount`` of the borrower's ``debt_asset`` debt and
        seize ``collateral`` (SPEC §3.6). Raises, in order: ZeroAmount, AssetNotListed (coll, debt),
        CollateralNotEnabled, (accrue the borrower's assets) NoDebt, NoCollateral, price errors of the two assets,
        then of the borrower's other collateral (listing order; a rejected debt-only asset counts as zero),
        HealthyAccount, NothingToSeize, NothingToRepay, MustNotLeaveDust, then the ERC-20 errors of the transfers.
        Seizing the whole scaled collateral clears the borrower's consent to it (SPEC §3.5) before the write-off
        check."""
        if repay_amount == 0:
            raise errors.ZeroAmount()
        c = self._listed(collateral)
        d = self._listed(debt_asset)
        if not c.config.collateral_enabled:
            raise errors.CollateralNotEnabled(collateral)
        self._accrue_account(borrower, now)
        user_scaled_debt = self.scaled_debt.get((debt_asset, borrower), 0)
        if user_scaled_debt == 0:
            raise errors.NoDebt()
        user_scaled_coll = self._collateral_scaled(collateral, borrower)
        if user_scaled_coll == 0:
            raise errors.NoCollateral()
        debt_price = self._price_wad(debt_asset)
        coll_price = self._price_wad(collateral)
        adjusted, debt_value = self.liquidation_values(borrower)
        hf = wad_div_down(adjusted, debt_value)
        if hf >= WAD:
            raise errors.HealthyAccount()
        liq = liquidation_amounts(
            user_scaled_debt=user_scaled_debt, user_scaled_coll=user_scaled_coll,
            borrow_index_ray=d.state.borrow_index_ray, supply_index_ray=c.state.supply_index_ray,
            repay_request=repay_amount, hf_wad=hf, close_factor_bps=self.params.close_factor_bps,
            full_close_hf_wad=self.params.full_close_hf_wad, min_leftover_usd_wad=self.params.min_leftover_usd_wad,
            liquidation_threshold_bps=c.config.liquidation_threshold_bps, bonus_bps=c.config.liquidation_bonus_bps,
            protocol_fee_bps=c.config.liquidation_protocol_fee_bps, debt_price_wad=debt_price,
            coll_price_wad=coll_price, debt_decimals=d.state.decimals, coll_decimals=c.state.decimals,
            last_collateral=not self._has_collateral(borrower, skip=collateral),
        )
        self.scaled_supply[(collateral, borrower)] = user_scaled_coll - liq.scaled_seized
        c.state.total_scaled_supply -= liq.scaled_seized
        c.state.reserves = to_uint128(c.state.reserves + liq.protocol_fee)
        self.scaled_debt[(debt_asset, borrower)] = user_scaled_debt - liq.scaled_repaid
        d.state.total_scaled_debt -= liq.scaled_repaid
        if liq.scaled_seized == user_scaled_coll:  # seized whole: the consent goes with it
            self._clear_consent(borrower, collateral)
        if not self._has_collateral(borrower):
            self._write_off_bad_debt(borrower)
        self.ledger.transfer_from(debt_asset, POOL, sender, POOL, liq.repaid)
        self.ledger.transfer(collateral, POOL, sender, liq.seized - liq.protocol_fee)
        return liq

    # ---------------------------------------------------------------- views

    def supply_balance(self, asset: str, account: str) -> int:
        """``LendingPool.supplyBalance``: ``account``'s supply of ``asset`` in token units (scaled × supply index,
        rounded down) at the last accrual. Raises KeyError for an unlisted asset (the contract returns 0)."""
        return ray_mul_down(self.scaled_supply.get((asset, account), 0), self.assets[asset].state.supply_index_ray)

    def debt_balance(self, asset: str, account: str) -> int:
        """``LendingPool.debtBalance``: ``account``'s debt of ``asset`` in token units (scaled × borrow index,
        rounded up) at the last accrual. Raises KeyError for an unlisted asset (the contract returns 0)."""
        return ray_mul_up(self.scaled_debt.get((asset, account), 0), self.assets[asset].state.borrow_index_ray)

    def account_values(self, account: str) -> AccountValues:
        """Collateral rounded down, debt rounded up; a price is read only for an asset that counts."""
        adjusted = capacity = debt = 0
        for asset, listed in self.assets.items():
            cfg, s = listed.config, listed.state
            sc = self._collateral_scaled(asset, account)
            sd = self.scaled_debt.get((asset, account), 0)
            if sc == 0 and sd == 0:
                continue
            price = self._price_wad(asset)
            unit = 10**s.decimals
            if sc:
                value = mul_div_down(ray_mul_down(sc, s.supply_index_ray), price, unit)
                adjusted += bps_mul_down(value, cfg.liquidation_threshold_bps)
                capacity += bps_mul_down(value, cfg.ltv_bps)
            if sd:
                debt += mul_div_up(ray_mul_up(sd, s.borrow_index_ray), price, unit)
        return AccountValues(adjusted, capacity, debt)

    def liquidation_values(self, account: str) -> tuple[int, int]:
        """``LendingPool._liquidationValues``: (adjusted collateral, debt) in USD WAD as ``account_values``,
        except that a debt-only asset whose price the router rejects counts as zero (SPEC §3.6, unpriceable
        assets). Raises the router's price errors of a collateral asset (listing order): anyone can force some
        rejections (a spot breaker tripped by a swap), which must not zero a borrower's collateral."""
        adjusted = debt = 0
        for asset, listed in self.assets.items():
            sc = self._collateral_scaled(asset, account)
            sd = self.scaled_debt.get((asset, account), 0)
            if sc == 0 and sd == 0:
                continue
            try:
                price = self._price_wad(asset)
            except errors.PoolError:
                if sc:
                    raise
                continue
            s, unit = listed.state, 10**listed.state.decimals
            if sc:
                value = mul_div_down(ray_mul_down(sc, s.supply_index_ray), price, unit)
                adjusted += bps_mul_down(value, listed.config.liquidation_threshold_bps)
            if sd:
                debt += mul_div_up(ray_mul_up(sd, s.borrow_index_ray), price, unit)
        return adjusted, debt

    def lendable(self, asset: str) -> int:
        """``LendingPool._lendable``: the pool's cash of ``asset`` minus its reserves (0 if reserves exceed it):
        what borrowers and withdrawing suppliers may take (SPEC §3.5)."""
        cash, reserves = self.ledger.balance(asset, POOL), self.assets[asset].state.reserves
        return cash - reserves if cash > reserves else 0

    def health_factor(self, account: str) -> int:
        """``LendingPool.healthFactor``: ``account``'s health factor in WAD (UINT256_MAX without debt), at the last
        accrual. Raises the router's price errors of the assets the account holds."""
        return self.account_values(account).health_factor_wad

    def accounts(self) -> set[str]:
        """Every account that ever held a supply or debt position (zero balances included); a model-side view with no
        contract counterpart. Raises nothing."""
        return {a for (_, a) in self.scaled_supply} | {a for (_, a) in self.scaled_debt}

    # ---------------------------------------------------------------- internals

    def _listed(self, asset: str) -> ListedAsset:
        try:
            return self.assets[asset]
        except KeyError:
            raise errors.AssetNotListed(asset) from None

    @staticmethod
    def _nonzero(account: str) -> None:
        if not account or account == "0x" + "0" * 40:
            raise errors.ZeroAddress()

    @staticmethod
    def _add(book: dict[tuple[str, str], int], asset: str, account: str, amount: int) -> None:
        book[(asset, account)] = book.get((asset, account), 0) + amount

    def _accrue(self, asset: str, now: int) -> None:
        """``LendingPool._accrue`` of one asset at ``now`` (prices are then validated at ``now`` too)."""
        self.oracle_now = now
        listed = self.assets[asset]
        accrue(listed.state, listed.rate, listed.config.reserve_factor_bps, now)

    def _used_assets(self, account: str) -> list[str]:
        """The assets ``account`` uses, in listing order: those it consented to as collateral or owes (the bits of
        ``LendingPool._accountAssets``)."""
        return [a for a in self.assets
                if (account, a) in self.collateral_use or self.scaled_debt.get((a, account), 0)]

    def _accrue_account(self, account: str, now: int) -> None:
        """``LendingPool._accrueAccount``: accrues every asset ``account`` uses, in listing order."""
        self.oracle_now = now
        for asset in self._used_assets(account):
            self._accrue(asset, now)

    def _accrue_all(self, now: int) -> None:
        self.oracle_now = now
        for asset in self.assets:
            self._accrue(asset, now)

    def _clear_consent(self, account: str, asset: str) -> None:
        """``LendingPool._clearConsent``: ``account``'s scaled supply of ``asset`` reached 0 (withdrawn or seized
        whole), so its consent to the asset as collateral goes (SPEC §3.5): a third party's later supply is then not
        collateral. The contract's ``UseAsCollateralSet(false)`` event has no model counterpart."""
        self.collateral_use.discard((account, asset))

    def _has_debt(self, account: str) -> bool:
        return any(self.scaled_debt.get((a, account), 0) for a in self.assets)

    def _collateral_scaled(self, asset: str, account: str) -> int:
        """``_collateralScaled``: the scaled supply if the asset is collateral and the account consented, else 0."""
        if not self.assets[asset].config.collateral_enabled or (account, asset) not in self.collateral_use:
            return 0
        return self.scaled_supply.get((asset, account), 0)

    def _has_collateral(self, account: str, skip: str = "") -> bool:
        """``_hasCollateral``: a consented collateral-enabled supply of ``account`` in an asset other than ``skip``."""
        return any(self._collateral_scaled(a, account) for a in self.assets if a != skip)

    def _write_off_bad_debt(self, account: str) -> None:
        for asset, listed in self.assets.items():
            scaled = self.scaled_debt.get((asset, account), 0)
            if scaled == 0:
                continue
            s = listed.state
            amount = ray_mul_up(scaled, s.borrow_index_ray)
            self.scaled_debt[(asset, account)] = 0
            s.total_scaled_debt -= scaled
            from_reserves = min(s.reserves, amount)
            s.reserves -= from_reserves
            from_suppliers = amount - from_reserves
            if from_suppliers and s.total_scaled_supply:
                delta = mul_div_up(from_suppliers, RAY, s.total_scaled_supply)
                # Never zero: the index divides later amounts (same floor as the contract).
                s.supply_index_ray = s.supply_index_ray - delta if s.supply_index_ray > delta else 1
            s.bad_debt += amount
            self.bad_debt_events.append(BadDebt(account, asset, amount, from_reserves, from_suppliers))

    def _price_wad(self, asset: str) -> int:
        """``priceRouter.priceWad(asset)`` at ``oracle_now`` (policy, fallback and sequencer included)."""
        return self.price_wad(asset, self.oracle_now)

    def price_wad(self, asset: str, now: int) -> int:
        """``priceRouter.priceWad(asset)`` at block time ``now`` (seconds), as the pool and the contracts built on it
        (Looper, LeveragedToken) read it: USD per whole token in WAD, under the asset's oracle policy, fallback feed
        and sequencer feed. Raises the router's errors in its order: FeedNotSet, the sequencer's (FeedReverted,
        SequencerDown, InvalidRound, GracePeriodNotOver), then the feed's (FeedReverted, InvalidPrice, PriceOverflow,
        InvalidRound, StalePrice, PriceOutOfBounds, PriceJump; the fallback's price instead when it is set and
        accepted)."""
        return router_price_wad(asset, self.primary_feed(asset, now), self.oracle_policies.get(asset),
                                self.fallback_feeds.get(asset), self.sequencer_feed, now)

    def primary_feed(self, asset: str, now: int) -> Feed | None:
        """The round ``asset``'s primary feed answers at ``now`` (seconds): a ``PairPriceFeed``'s computed then,
        from the pair's reserves of that moment (a swap earlier in the transaction moves it: P-FLASH-05), else the
        stored feed (None when unset). Raises nothing."""
        pair_feed = self.pair_feeds.get(asset)
        if pair_feed is None:
            return self.feeds.get(asset)
        return live_round(pair_feed, self.feeds[pair_feed.quote], now)

    # ---------------------------------------------------------------- flash loans and delegation
    # Twin of the contract's appended section (docs/SPEC.md §8): same checks, same order, same errors.

    flash_loan_fee_bps: int = 0
    """Fee of a flash loan in bps of the amount, rounded up, added to the asset's reserves."""
    authorizations: set[tuple[str, str]] = field(default_factory=set)
    """(account, operator): the operator may borrow and withdraw for the account."""
    flash_loan_active: bool = False

    @reverts_atomically
    def set_flash_loan_fee(self, fee_bps: int) -> None:
        """``LendingPool.setFlashLoanFee``: the flash-loan fee in bps of the amount. Raises FlashLoanFeeTooHigh above
        ``MAX_FLASH_LOAN_FEE_BPS`` (1,000 bps)."""
        if fee_bps > MAX_FLASH_LOAN_FEE_BPS:
            raise errors.FlashLoanFeeTooHigh(fee_bps)
        self.flash_loan_fee_bps = fee_bps

    def flash_loan_fee(self, amount: int) -> int:
        """The fee of a flash loan of ``amount`` token units: ``amount × flashLoanFeeBps / BPS`` rounded up
        (``bpsMulUp``, as ``LendingPool.flashLoan``). Raises nothing."""
        return bps_mul_up(amount, self.flash_loan_fee_bps)

    @reverts_atomically
    def flash_loan(self, sender: str, receiver: str, asset: str, amount: int, callback, now: int) -> int:
        """Send ``amount`` to ``receiver``, run ``callback(initiator, asset, amount, fee)`` (the receiver's
        ``onFlashLoan``; it must return True, the magic value), then pull ``amount + fee``. Returns the fee."""
        if self.flash_loan_active:
            raise errors.FlashLoanReentrancy()
        if amount == 0:
            raise errors.ZeroAmount()
        self._nonzero(receiver)
        self._listed(asset)
        if self.borrow_paused:
            raise errors.BorrowPaused()
        if amount > self.ledger.balance(asset, POOL):
            raise errors.InsufficientLiquidity(asset)
        fee = self.flash_loan_fee(amount)
        self.flash_loan_active = True
        self.assets[asset].state.reserves = to_uint128(self.assets[asset].state.reserves + fee)
        self.ledger.transfer(asset, POOL, receiver, amount)
        if callback(sender, asset, amount, fee) is not True:
            raise errors.FlashLoanCallbackFailed()
        self.ledger.transfer_from(asset, POOL, receiver, POOL, amount + fee)
        self.flash_loan_active = False
        return fee

    def set_authorization(self, account: str, operator: str, authorized: bool) -> None:
        """``LendingPool.setAuthorization``: ``operator`` may (``authorized``) or may no longer borrow and withdraw
        for ``account`` (the caller on chain). Raises ZeroAddress for a zero operator."""
        self._nonzero(operator)
        if authorized:
            self.authorizations.add((account, operator))
        else:
            self.authorizations.discard((account, operator))

    @reverts_atomically
    def accrue_all(self, now: int) -> None:
        """``LendingPool.accrueAll``: accrues interest on every listed asset up to ``now`` (seconds), so the views
        read current balances. Raises ValueError if ``now`` is before an asset's last update (the chain cannot go
        back)."""
        self._accrue_all(now)

    def _require_authorized(self, sender: str, on_behalf: str) -> None:
        """``LendingPool._requireSenderAuthorized``: the sender is ``on_behalf`` or its operator, else Unauthorized."""
        if not self._is_authorized(sender, on_behalf):
            raise errors.Unauthorized(sender, on_behalf)

    def _is_authorized(self, sender: str, on_behalf: str) -> bool:
        """``_isSenderAuthorized``."""
        return sender == on_behalf or (on_behalf, sender) in self.authorizations


MAX_FLASH_LOAN_FEE_BPS = 1_000
"""``LendingPool.MAX_FLASH_LOAN_FEE_BPS`` (10%)."""
MAX_ASSETS = 128
"""``LendingPool.MAX_ASSETS``: one bit per asset in each account's bitmap."""
