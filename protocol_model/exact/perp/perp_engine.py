"""The perpetual margin engine in exact integers: twin of contracts/perp/PerpEngine.sol.

Same checks in the same order, same rounding, same error names; a failing call leaves the state as it
was (a revert). Balances are signed WAD quote units (1 settlement token = 1 quote unit), sizes signed WAD
base units. Formulas: docs/perp_margin.md. Every int256 operation the contract checks is checked here too
(``i256``: ``Panic(0x11)`` outside int256), every uint256 sum and product too (``checked_add``/``checked_mul``), and
caller-controlled amounts enter int256 through ``to_int256`` (``SafeCastOverflowedUintToInt``), as on chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import (
    BPS,
    WAD,
    bps_mul_down,
    bps_mul_up,
    checked_add,
    checked_mul,
    mul_div_down,
    mul_div_up,
)
from protocol_model.exact.math_lib import checked_int256 as i256
from protocol_model.exact.oracle.oracle_policy import router_price_wad
from protocol_model.exact.oracle.price_router import Feed, price_wad
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.params import MarketParams
from protocol_model.exact.perp.perp_math import abs_int256, ceil_div, floor_div, to_int256, trunc_div
from protocol_model.exact.perp.perp_state import (
    BankruptcyEvent,
    FundingEvent,
    LiquidationEvent,
    Margin,
    Market,
    Position,
)

ENGINE = "engine"
"""The engine's name in the token ledger."""


@dataclass
class PerpEngine:
    """Exact twin of ``PerpEngine.sol`` (docs/perp_margin.md): markets on a router index price, cross and isolated
    margin buckets, trades within a price band, capped premium funding driven by a fresh mark, partial and full
    liquidations at the index, and bankruptcy paid by the insurance fund then socialised to the opposite side.

    Balances, the insurance fund and unsocialised loss are signed WAD quote units (``unit_scale`` per token unit of
    the settlement token), sizes signed WAD base units, market ids list indices, times seconds. Every entry point
    decorated with ``reverts_atomically`` raises the contract's error and leaves the engine and its ``ledger``
    unchanged. Construction raises InvalidDecimals when ``collateral_decimals`` exceeds 18 (the constructor's check);
    roles are not modelled."""
    collateral: str
    """Name of the settlement token in the ledger."""
    collateral_decimals: int
    markets: list[Market] = field(default_factory=list)
    feeds: dict[str, Feed] = field(default_factory=dict)
    cross_balance_wad: dict[str, int] = field(default_factory=dict)
    isolated_balance_wad: dict[tuple[str, int], int] = field(default_factory=dict)
    positions: dict[tuple[str, int], Position] = field(default_factory=dict)
    insurance_fund_wad: int = 0
    unsocialized_loss_wad: int = 0
    ledger: Ledger = field(default_factory=Ledger)
    events: list = field(default_factory=list)

    journal_links: ClassVar[tuple[str, ...]] = ("ledger",)
    """A revert restores the engine and the token ledger (protocol_model.exact.journal)."""

    def __post_init__(self) -> None:
        if self.collateral_decimals > 18:
            raise errors.InvalidDecimals(self.collateral_decimals)

    @property
    def unit_scale(self) -> int:
        """``PerpEngine.unitScale``: 10^(18 − collateral decimals), WAD quote units per token unit. Raises nothing."""
        return 10 ** (18 - self.collateral_decimals)

    # ------------------------------------------------------------------ configuration

    @reverts_atomically
    def list_market(self, index_asset: str, params: MarketParams, now: int) -> int:
        """``PerpEngine.listMarket``: lists a market on ``index_asset``'s price, the mark starting at the index and both
        funding clocks at ``now`` (seconds); returns the new market id.

        Raises, in order: the ``MarketParams.validate`` errors (MarginRatiosInvalid, BpsOutOfRange,
        ZeroFundingPeriod, ZeroMarkMaxAge), then the ``index_price`` errors at ``now``. The
        contract's ZeroAddress check has no model counterpart."""
        params.validate()
        index = self.index_price(index_asset, now)
        self.markets.append(Market(index_asset, params, index, now, now))
        return len(self.markets) - 1

    @reverts_atomically
    def set_market_params(self, market: int, params: MarketParams, now: int) -> None:
        """``PerpEngine.setMarketParams``: accrues funding of ``market`` to ``now`` under the old parameters, then
        replaces them. Raises, in order: MarketNotListed, the ``MarketParams.validate`` errors (MarginRatiosInvalid,
        BpsOutOfRange, ZeroFundingPeriod, ZeroMarkMaxAge), then the price errors of the index read by accrual."""
        self._require_listed(market)
        params.validate()
        self._accrue(market, now)
        self.markets[market].params = params

    def set_feed(self, asset: str, feed: Feed) -> None:
        """The price feed of ``asset`` (the router's feed read by ``priceRouter.priceWad``). Not journaled; raises
        nothing."""
        self.feeds[asset] = feed

    def index_price(self, asset: str, now: int | None = None) -> int:
        """The index price of ``asset`` in WAD (USD per whole base unit): ``priceRouter.priceWad(asset)`` at block
        time ``now`` (seconds) for a feed without policy, every check the router makes included. Raises, in order:
        FeedNotSet, FeedReverted, InvalidPrice, PriceOverflow, InvalidRound (updatedAt zero or in the future, an
        incomplete round), StalePrice (older than the router's default maximum age). Without ``now`` only FeedNotSet,
        InvalidPrice and PriceOverflow are checked (the reading of a heartbeating feed, for tests and tools); every
        entry point and margin view passes its ``now``."""
        feed = self.feeds.get(asset)
        if now is None:
            return price_wad(asset, feed)
        return router_price_wad(asset, feed, None, None, None, now)

    # ------------------------------------------------------------------ collateral

    @reverts_atomically
    def deposit(self, account: str, amount: int) -> None:
        """``PerpEngine.deposit``: ``amount`` settlement-token units from ``account`` credited to its cross balance
        as ``amount × unit_scale`` WAD; reads no price. Raises, in order: ZeroAmount, Panic(0x11) (``MathOverflow``:
        the product above uint256), SafeCastOverflowedUintToInt (the product at or above 2^255), Panic(0x11) (the
        balance beyond int256), then the ERC-20 errors of the transfer in (ERC20InsufficientAllowance,
        ERC20InsufficientBalance)."""
        if amount == 0:
            raise errors.ZeroAmount()
        wad = to_int256(checked_mul(amount, self.unit_scale))
        self.cross_balance_wad[account] = i256(self.cross_balance_wad.get(account, 0) + wad)
        self.ledger.transfer_from(self.collateral, ENGINE, account, ENGINE, amount)

    @reverts_atomically
    def fund_insurance(self, account: str, amount: int) -> None:
        """``PerpEngine.fundInsurance``: ``amount`` settlement-token units from ``account`` added to the insurance
        fund as ``amount × unit_scale`` WAD. Raises, in order: ZeroAmount, Panic(0x11) (``MathOverflow``: the product
        or the fund above uint256), then the ERC-20 errors of the transfer in (ERC20InsufficientAllowance,
        ERC20InsufficientBalance)."""
        if amount == 0:
            raise errors.ZeroAmount()
        self.insurance_fund_wad = checked_add(self.insurance_fund_wad, checked_mul(amount, self.unit_scale))
        self.ledger.transfer_from(self.collateral, ENGINE, account, ENGINE, amount)

    @reverts_atomically
    def withdraw(self, account: str, amount: int, now: int) -> None:
        """Twin of ``PerpEngine.withdraw``: accrues only the cross positions' markets; the cross bucket must keep
        equity ≥ initial margin. Raises, in order: ``ZeroAmount``, price errors, Panic(0x11) (``MathOverflow``:
        ``amount × unit_scale`` above uint256), ``SafeCastOverflowedUintToInt`` (the product at or above 2^255),
        ``InsufficientBalance``, ``InsufficientMargin``."""
        if amount == 0:
            raise errors.ZeroAmount()
        self._accrue_bucket(account, False, 0, now)
        wad = to_int256(checked_mul(amount, self.unit_scale))
        if self.cross_balance_wad.get(account, 0) < wad:
            raise errors.InsufficientBalance()
        self.cross_balance_wad[account] -= wad
        mg = self.margin(account, False, 0, now)
        if mg.equity_wad < mg.initial_wad:
            raise errors.InsufficientMargin(account)
        self.ledger.transfer(self.collateral, ENGINE, account, amount)

    @reverts_atomically
    def set_margin_mode(self, account: str, market: int, isolated: bool) -> None:
        """``PerpEngine.setMarginMode``: ``account``'s position in ``market`` uses isolated (True) or cross (False)
        margin. Raises, in order: MarketNotListed, PositionOpen (the position has a nonzero size)."""
        self._require_listed(market)
        p = self.position(account, market)
        if p.size_wad != 0:
            raise errors.PositionOpen()
        self.positions.setdefault((account, market), p).isolated = isolated

    @reverts_atomically
    def transfer_margin(self, account: str, market: int, amount_wad: int, now: int) -> None:
        """``PerpEngine.transferMargin``: moves ``amount_wad`` (signed WAD quote) from the cross balance to ``market``'s
        isolated balance (positive) or back (negative); the bucket it leaves is accrued first and must keep equity at or
        above its initial margin.

        Raises, in order: ZeroAmount, MarketNotListed, the price errors of the source bucket's markets, Panic(0x11)
        (|amount_wad| of -2^255; a balance beyond int256), InsufficientBalance, InsufficientMargin."""
        if amount_wad == 0:
            raise errors.ZeroAmount()
        self._require_listed(market)
        from_cross = amount_wad > 0
        self._accrue_bucket(account, not from_cross, market, now)
        source = self.cross_balance_wad.get(account, 0) if from_cross else self.isolated(account, market)
        if source < abs_int256(amount_wad):
            raise errors.InsufficientBalance()
        self.cross_balance_wad[account] = i256(self.cross_balance_wad.get(account, 0) - amount_wad)
        self.isolated_balance_wad[(account, market)] = i256(self.isolated(account, market) + amount_wad)
        mg = self.margin(account, not from_cross, market, now)
        if mg.equity_wad < mg.initial_wad:
            raise errors.InsufficientMargin(account)

    # ------------------------------------------------------------------ trading

    @reverts_atomically
    def trade(self, market: int, buyer: str, seller: str, size_wad: int, price: int, now: int) -> None:
        """Twin of ``PerpEngine.trade``: accrues ``market`` and the markets of the buyer's and seller's buckets (no
        other market's price is read), checks the band, fills both sides, charges fees, sets the mark and its
        time, then checks margins. Errors in the order of docs/perp_margin.md; ``size_wad`` at or above 2^255 raises
        SafeCastOverflowedUintToInt right after ZeroAmount, an int256 product or sum out of range Panic(0x11)."""
        if size_wad == 0 or price == 0:
            raise errors.ZeroAmount()
        size = to_int256(size_wad)
        if not buyer or not seller:
            raise errors.ZeroAddress()
        self._require_listed(market)
        if buyer == seller:
            raise errors.SelfTrade()
        self._accrue(market, now)
        self._accrue_bucket(buyer, self.position(buyer, market).isolated, market, now)
        self._accrue_bucket(seller, self.position(seller, market).isolated, market, now)
        m = self.markets[market]
        index = self.index_price(m.index_asset, now)
        band = bps_mul_down(index, m.params.price_band_bps)
        if checked_add(price, band) < index or price > index + band:
            raise errors.PriceOutsideBand(price, index)
        fee = bps_mul_up(mul_div_up(size_wad, price, WAD), m.params.trade_fee_bps)
        buyer_up = self.fill(buyer, market, size, price)
        self._charge_fee(buyer, market, fee)
        seller_up = self.fill(seller, market, -size, price)
        self._charge_fee(seller, market, fee)
        m.mark_price_wad = price
        m.mark_time = now
        self.check_margin(buyer, market, buyer_up, now)
        self.check_margin(seller, market, seller_up, now)

    # ------------------------------------------------------------------ funding

    def _accrue_bucket(self, account: str, iso: bool, market: int, now: int) -> None:
        """Twin of ``_accrueBucket``: accrue the markets a margin check of this bucket reads (``market`` for an
        isolated bucket; every market of a cross position, in id order, for the cross bucket)."""
        if iso:
            self._accrue(market, now)
            return
        for j in range(len(self.markets)):
            p = self.position(account, j)
            if p.size_wad != 0 and not p.isolated:
                self._accrue(j, now)

    @staticmethod
    def fresh_seconds(m: Market, now: int) -> int:
        """Seconds of (last_funding_time, now] while the mark was fresh (≤ mark_max_age after its trade)."""
        end = min(now, m.mark_time + m.params.mark_max_age_seconds)
        return max(end - m.last_funding_time, 0)

    @staticmethod
    def funding_step(m: Market, index: int, fresh: int) -> tuple[int, int, int]:
        """(premium, rate, index step) for ``fresh`` seconds at ``index``, all WAD: rate = clamp((mark −
        index)/index toward zero, ±cap); step = sign·⌊|rate|·fresh·index / (WAD·period)⌋. Twin of ``_fundingStep``."""
        premium = trunc_div((m.mark_price_wad - index) * WAD, index)
        cap = m.params.max_funding_rate_bps * WAD // BPS
        rate = max(-cap, min(cap, premium))
        magnitude = mul_div_down(abs(rate) * fresh, index, WAD * m.params.funding_period_seconds)
        return premium, rate, magnitude if rate >= 0 else -magnitude

    def _accrue(self, market: int, now: int) -> None:
        m = self.markets[market]
        if now == m.last_funding_time:
            return
        if now < m.last_funding_time:
            raise ValueError(f"time went backwards: {m.last_funding_time} -> {now}")
        fresh = self.fresh_seconds(m, now)
        m.last_funding_time = now
        if m.long_oi_wad == 0 or fresh == 0:
            return
        premium, rate, delta = self.funding_step(m, self.index_price(m.index_asset, now), fresh)
        m.cum_long_wad = i256(m.cum_long_wad + delta)
        m.cum_short_wad = i256(m.cum_short_wad + delta)
        self.events.append(FundingEvent(market, premium, rate, delta))

    def side_index_now(self, m: Market, size: int, price: int, now: int) -> int:
        """The funding index of ``size``'s side as of ``now``, pending funding included (twin of ``_sideIndexNow``)."""
        idx = self.side_index(m, size)
        if m.long_oi_wad == 0:
            return idx
        fresh = self.fresh_seconds(m, now)
        return idx if fresh == 0 else i256(idx + self.funding_step(m, price, fresh)[2])

    # ------------------------------------------------------------------ positions and buckets

    def position(self, account: str, market: int) -> Position:
        """``PerpEngine.getPosition``: ``account``'s position in ``market`` (a fresh empty ``Position``, not stored,
        when it has none). Raises nothing."""
        return self.positions.get((account, market)) or Position()

    def isolated(self, account: str, market: int) -> int:
        """``PerpEngine.isolatedBalanceWad(account, market)``: the isolated balance, signed WAD quote (0 if none).
        Raises nothing."""
        return self.isolated_balance_wad.get((account, market), 0)

    def balance(self, account: str, iso: bool, market: int) -> int:
        """``PerpEngine._balance``: the balance of ``account``'s isolated bucket of ``market`` (``iso``) or of its
        cross bucket (``market`` ignored), signed WAD quote. Raises nothing."""
        return self.isolated(account, market) if iso else self.cross_balance_wad.get(account, 0)

    def add_balance(self, account: str, iso: bool, market: int, delta: int) -> None:
        """``PerpEngine._addBalance``: adds signed ``delta`` (WAD quote) to the isolated bucket of ``market``
        (``iso``) or to the cross bucket. Not journaled on its own (a building block of the entry points); raises
        ``MathOverflow`` (Panic(0x11)) when the balance would leave int256."""
        if iso:
            self.isolated_balance_wad[(account, market)] = i256(self.isolated(account, market) + delta)
        else:
            self.cross_balance_wad[account] = i256(self.cross_balance_wad.get(account, 0) + delta)

    @staticmethod
    def side_index(m: Market, size: int) -> int:
        """``PerpEngine._sideIndex``: the cumulative funding index (WAD quote per whole unit of size) of ``size``'s
        side, ``cum_long_wad`` for a long, ``cum_short_wad`` for a short, 0 for no size. Raises nothing."""
        return m.cum_long_wad if size > 0 else (m.cum_short_wad if size < 0 else 0)

    def _settle_funding(self, account: str, market: int) -> None:
        p = self.position(account, market)
        if p.size_wad == 0:
            return
        idx = self.side_index(self.markets[market], p.size_wad)
        owed = ceil_div(i256(p.size_wad * i256(idx - p.funding_snapshot_wad)), WAD)
        self.add_balance(account, p.isolated, market, -owed)
        p.funding_snapshot_wad = idx

    def fill(self, account: str, market: int, delta: int, price: int) -> bool:
        """Add ``delta`` at ``price``, realising the PnL of any reduced part; True if the risk grew. Raises
        ``MathOverflow`` (Panic(0x11)) where the contract's checked int256/uint256 arithmetic would."""
        self._settle_funding(account, market)
        p = self.positions.setdefault((account, market), self.position(account, market))
        m = self.markets[market]
        s, s2 = p.size_wad, i256(p.size_wad + delta)
        if s == 0 or (s > 0) == (delta > 0):
            p.open_notional_wad = i256(p.open_notional_wad + ceil_div(i256(delta * price), WAD))
        elif abs_int256(delta) <= abs_int256(s):
            kept = 0 if s2 == 0 else ceil_div(i256(p.open_notional_wad * abs_int256(s2)), abs_int256(s))
            realized = i256(floor_div(i256(-delta * price), WAD) - i256(p.open_notional_wad - kept))
            self.add_balance(account, p.isolated, market, realized)
            p.open_notional_wad = kept
        else:
            self.add_balance(account, p.isolated, market,
                             i256(floor_div(i256(s * price), WAD) - p.open_notional_wad))
            p.open_notional_wad = ceil_div(i256(s2 * price), WAD)
        if s > 0:
            m.long_oi_wad -= s
        else:
            m.short_oi_wad -= -s
        if s2 > 0:
            m.long_oi_wad = checked_add(m.long_oi_wad, s2)
        else:
            m.short_oi_wad = checked_add(m.short_oi_wad, i256(-s2))
        p.size_wad = s2
        p.funding_snapshot_wad = self.side_index(m, s2)
        return abs_int256(s2) > abs_int256(s) or (s != 0 and s2 != 0 and (s > 0) != (s2 > 0))

    def _charge_fee(self, account: str, market: int, fee: int) -> None:
        self.add_balance(account, self.position(account, market).isolated, market, -fee)
        self.insurance_fund_wad = checked_add(self.insurance_fund_wad, fee)

    def check_margin(self, account: str, market: int, increased: bool, now: int) -> None:
        """``PerpEngine._checkMargin``: the bucket holding ``account``'s ``market`` position must have equity at or
        above the initial margin if its risk ``increased``, else the maintenance margin. Raises the price errors of
        the bucket's markets, then InsufficientMargin."""
        mg = self.margin(account, self.position(account, market).isolated, market, now)
        if mg.equity_wad < (mg.initial_wad if increased else mg.maintenance_wad):
            raise errors.InsufficientMargin(account)

    def has_positions(self, account: str, iso: bool, market: int) -> bool:
        """``PerpEngine._hasPositions``: whether the isolated bucket of ``market`` (``iso``) holds a position, or the
        cross bucket holds any position in any market. Raises nothing."""
        if iso:
            return self.position(account, market).size_wad != 0
        return any(self.position(account, j).size_wad != 0 and not self.position(account, j).isolated
                   for j in range(len(self.markets)))

    def margin(self, account: str, iso: bool, market: int, now: int) -> Margin:
        """Equity and initial/maintenance requirement (WAD quote) of the cross bucket (iso False, ``market``
        ignored) or market ``market``'s isolated bucket as of ``now``, funding not yet accrued included. Reads only
        the prices of the bucket's positions (price errors otherwise). Twin of ``crossMargin``/``isolatedMargin``."""
        equity, im, mm = self.balance(account, iso, market), 0, 0
        ids = ([market] if self.position(account, market).isolated else []) if iso else [
            j for j in range(len(self.markets)) if not self.position(account, j).isolated]
        for j in ids:
            p, m = self.position(account, j), self.markets[j]
            s = p.size_wad
            if s == 0:
                continue
            price = self.index_price(m.index_asset, now)
            owed = ceil_div(i256(s * i256(self.side_index_now(m, s, price, now) - p.funding_snapshot_wad)), WAD)
            equity = i256(equity + i256(i256(floor_div(i256(s * price), WAD) - p.open_notional_wad) - owed))
            notional = mul_div_up(abs_int256(s), price, WAD)
            im = checked_add(im, bps_mul_up(notional, m.params.initial_margin_bps))
            mm = checked_add(mm, bps_mul_up(notional, m.params.maintenance_margin_bps))
        return Margin(equity, im, mm)

    def _require_listed(self, market: int) -> None:
        if not 0 <= market < len(self.markets):
            raise errors.MarketNotListed(market)

    @reverts_atomically
    def liquidate(self, liquidator: str, account: str, market: int, now: int) -> None:
        """Twin of ``PerpEngine.liquidate``: the liquidator takes over the closed part of the position at the index
        price. A bucket left with no position and a negative balance is bankrupt (``_bankrupt``, settled after the
        account's fill and before the liquidator's, so a liquidator on the winning side pays its share of the
        socialised charge instead of netting its position away from it).

        Raises ``MarketNotListed``, ``SelfTrade``, ``NoPosition``, ``NotLiquidatable`` and the margin check's errors.
        """
        self._require_listed(market)
        if account == liquidator:
            raise errors.SelfTrade()
        p = self.position(account, market)
        if p.size_wad == 0:
            raise errors.NoPosition()
        iso, was_long = p.isolated, p.size_wad > 0
        self._accrue(market, now)
        self._accrue_bucket(account, iso, market, now)
        self._accrue_bucket(liquidator, self.position(liquidator, market).isolated, market, now)
        m = self.markets[market]
        mg = self.margin(account, iso, market, now)
        if mg.equity_wad >= mg.maintenance_wad:
            raise errors.NotLiquidatable()
        price = self.index_price(m.index_asset, now)
        abs_size = abs_int256(p.size_wad)
        if mg.equity_wad < bps_mul_down(mg.maintenance_wad, m.params.full_liquidation_bps):
            close_abs = abs_size
        else:
            close_abs = min(bps_mul_up(abs_size, m.params.close_factor_bps), abs_size)
        closed = close_abs if was_long else -close_abs
        self.fill(account, market, -closed, price)
        bal = self.balance(account, iso, market)
        penalty = min(bps_mul_up(mul_div_up(close_abs, price, WAD), m.params.liquidation_penalty_bps), max(bal, 0))
        self.add_balance(account, iso, market, -penalty)
        reward = bps_mul_down(penalty, m.params.liquidator_share_bps)
        self.cross_balance_wad[liquidator] = i256(self.cross_balance_wad.get(liquidator, 0) + reward)
        self.insurance_fund_wad = checked_add(self.insurance_fund_wad, penalty - reward)
        self.events.append(LiquidationEvent(market, account, liquidator, closed, price, penalty, reward))
        # bankruptcy before the liquidator's fill: a liquidator on the winning side cannot net its position away
        # from the socialised charge (it pays its share when its fill settles funding)
        if not self.has_positions(account, iso, market) and self.balance(account, iso, market) < 0:
            self._bankrupt(account, iso, market, was_long)
        liquidator_up = self.fill(liquidator, market, closed, price)
        self.check_margin(liquidator, market, liquidator_up, now)

    def _bankrupt(self, account: str, iso: bool, market: int, was_long: bool) -> None:
        """``PerpEngine._bankrupt``: the bucket's negative balance is reset to zero; the insurance fund pays what it
        can, the rest is charged to the opposite side's open positions pro rata to size through its funding index
        (ceil), or recorded as unsocialised loss when that side is empty. Raises ``MathOverflow`` (Panic(0x11)) and
        ``SafeCastOverflowedUintToInt`` where the contract's checked arithmetic and SafeCast would."""
        m = self.markets[market]
        shortfall = abs_int256(self.balance(account, iso, market))
        self.add_balance(account, iso, market, shortfall)
        from_insurance = min(self.insurance_fund_wad, shortfall)
        self.insurance_fund_wad -= from_insurance
        rest, socialized = shortfall - from_insurance, 0
        if rest > 0:
            winners_oi = m.short_oi_wad if was_long else m.long_oi_wad
            if winners_oi > 0:
                charge = to_int256(mul_div_up(rest, WAD, winners_oi))
                if was_long:
                    m.cum_short_wad = i256(m.cum_short_wad - charge)
                else:
                    m.cum_long_wad = i256(m.cum_long_wad + charge)
                socialized = rest
            else:
                self.unsocialized_loss_wad = checked_add(self.unsocialized_loss_wad, rest)
        self.events.append(BankruptcyEvent(market, account, shortfall, from_insurance, socialized, rest - socialized))
