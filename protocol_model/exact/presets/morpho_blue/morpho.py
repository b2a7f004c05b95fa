"""Exact twin of Morpho Blue's ``src/Morpho.sol`` (npm ``@morpho-org/morpho-blue`` 1.0.0).

Every entry point mirrors the contract's external function of the same name (snake_case): the same checks in
the same order with the same revert strings (``errors_lib``), the same roundings (``shares_math_lib``,
``math_lib``), Solidity 0.8's checked arithmetic (``Panic(0x11)``) and ``toUint128`` casts, the same order of
state writes and token transfers. A reverting call leaves the twin and its token ledger untouched
(``reverts_atomically``). ``sender`` is ``msg.sender``, ``now`` is ``block.timestamp`` (seconds).

Not modelled: ``flashLoan``, the ``data`` callbacks of supply/repay/supplyCollateral/liquidate (always empty
here), ``setAuthorizationWithSig`` (EIP-712 signatures) and events. Tokens are ``ERC20Mock``s in the shared
:class:`~protocol_model.exact.ledger.Ledger`: a failing ``transfer``/``transferFrom`` surfaces as
``TRANSFER_REVERTED``/``TRANSFER_FROM_REVERTED``, as through ``SafeTransferLib``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.morpho_blue import errors_lib as E
from protocol_model.exact.presets.morpho_blue.constants_lib import (
    LIQUIDATION_CURSOR,
    MAX_FEE,
    MAX_LIQUIDATION_INCENTIVE_FACTOR,
    ORACLE_PRICE_SCALE,
    UINT128_MAX,
    WAD,
)
from protocol_model.exact.presets.morpho_blue.errors_lib import Panic, require
from protocol_model.exact.presets.morpho_blue.irm_mock import Irm
from protocol_model.exact.presets.morpho_blue.market_params_lib import Market, MarketParams, Position, market_id
from protocol_model.exact.presets.morpho_blue.math_lib import (
    checked,
    mul_div_down,
    mul_div_up,
    w_div_down,
    w_div_up,
    w_mul_down,
    w_taylor_compounded,
)
from protocol_model.exact.presets.morpho_blue.oracle_mock import OracleMock
from protocol_model.exact.presets.morpho_blue.shares_math_lib import (
    to_assets_down,
    to_assets_up,
    to_shares_down,
    to_shares_up,
)
from protocol_model.exact.presets.morpho_blue.utils_lib import exactly_one_zero, min_, to_uint128, zero_floor_sub

ZERO_ADDRESS = "0x" + "0" * 40


def add128(a: int, b: int) -> int:
    """``a += b.toUint128()`` on a uint128 field: ``MAX_UINT128_EXCEEDED`` for ``b``, then ``Panic(0x11)`` on
    overflow."""
    b = to_uint128(b)
    if a + b > UINT128_MAX:
        raise Panic(Panic.ARITHMETIC)
    return a + b


def sub128(a: int, b: int) -> int:
    """``a -= b.toUint128()`` on a uint128 field: ``MAX_UINT128_EXCEEDED`` for ``b``, then ``Panic(0x11)`` on
    underflow."""
    return checked(a - to_uint128(b))


def liquidation_incentive_factor(lltv: int) -> int:
    """LIF (WAD) = min(MAX_LIQUIDATION_INCENTIVE_FACTOR, WAD.wDivDown(WAD − LIQUIDATION_CURSOR.wMulDown(WAD − lltv))),
    as computed inside ``Morpho.liquidate``: 1.15 below LLTV ≈ 0.5, e.g. 1.0438 at LLTV 0.86."""
    return min_(MAX_LIQUIDATION_INCENTIVE_FACTOR, w_div_down(WAD, WAD - w_mul_down(LIQUIDATION_CURSOR, WAD - lltv)))


@dataclass
class Morpho:
    """Morpho Blue's singleton contract at ``address`` in ``ledger``'s token world.

    ``irms`` maps an IRM address to its twin (the code at that address; the zero address means no interest and
    needs none) and ``oracles`` an oracle address to its :class:`OracleMock`. Storage mirrors the contract's:
    ``market`` and ``id_to_market_params`` by market id (32 bytes), ``position`` by (id, user), the enabled
    IRMs and LLTVs, and ``is_authorized`` as the set of (authorizer, authorized) pairs."""

    ledger: Ledger
    address: str
    owner: str
    irms: dict[str, Irm] = field(default_factory=dict)
    oracles: dict[str, OracleMock] = field(default_factory=dict)
    fee_recipient: str = ZERO_ADDRESS
    market: dict[bytes, Market] = field(default_factory=dict)
    position: dict[tuple[bytes, str], Position] = field(default_factory=dict)
    is_irm_enabled: set[str] = field(default_factory=set)
    is_lltv_enabled: set[int] = field(default_factory=set)
    is_authorized: set[tuple[str, str]] = field(default_factory=set)
    id_to_market_params: dict[bytes, MarketParams] = field(default_factory=dict)

    journal_links: ClassVar[tuple[str, ...]] = ("ledger", "oracles")
    """A revert restores the token ledger and the oracles too (the IRMs the package ships are stateless)."""

    # ------------------------------------------------------------------ reads

    def market_of(self, mid: bytes) -> Market:
        """``market(id)`` (an all-zero market when not created). The returned object is the live state."""
        found = self.market.get(mid)
        if found is None:
            found = self.market[mid] = Market()
        return found

    def position_of(self, mid: bytes, user: str) -> Position:
        """``position(id, user)`` (zeros when never touched). The returned object is the live state."""
        found = self.position.get((mid, user))
        if found is None:
            found = self.position[(mid, user)] = Position()
        return found

    def _created(self, params: MarketParams) -> tuple[bytes, Market]:
        mid = market_id(params)
        m = self.market_of(mid)
        require(m.last_update != 0, E.MARKET_NOT_CREATED)
        return mid, m

    def _open(self, params: MarketParams, assets: int, shares: int, nonzero: str, now: int,
              acting: tuple[str, str] | None = None) -> tuple[bytes, Market]:
        """The checks supply, withdraw, borrow and repay open with, in the contract's order: market created,
        exactly one of assets and shares, ``nonzero`` (onBehalf or receiver) not the zero address, the sender
        authorized for onBehalf (``acting`` = (sender, onBehalf); withdraw and borrow only); then the accrual."""
        mid, m = self._created(params)
        require(exactly_one_zero(assets, shares), E.INCONSISTENT_INPUT)
        require(nonzero != ZERO_ADDRESS, E.ZERO_ADDRESS)
        if acting is not None:
            require(self._authorized(*acting), E.UNAUTHORIZED)
        self._accrue_interest(params, mid, now)
        return mid, m

    def _authorized(self, sender: str, on_behalf: str) -> bool:
        return sender == on_behalf or (on_behalf, sender) in self.is_authorized

    def _only_owner(self, sender: str) -> None:
        require(sender == self.owner, E.NOT_OWNER)

    # ------------------------------------------------------------------ owner functions

    @reverts_atomically
    def set_owner(self, sender: str, new_owner: str) -> None:
        """``setOwner``. Raises NOT_OWNER, ALREADY_SET."""
        self._only_owner(sender)
        require(new_owner != self.owner, E.ALREADY_SET)
        self.owner = new_owner

    @reverts_atomically
    def enable_irm(self, sender: str, irm: str) -> None:
        """``enableIrm``. Raises NOT_OWNER, ALREADY_SET."""
        self._only_owner(sender)
        require(irm not in self.is_irm_enabled, E.ALREADY_SET)
        self.is_irm_enabled.add(irm)

    @reverts_atomically
    def enable_lltv(self, sender: str, lltv: int) -> None:
        """``enableLltv`` (WAD). Raises NOT_OWNER, ALREADY_SET, MAX_LLTV_EXCEEDED (lltv >= 1)."""
        self._only_owner(sender)
        require(lltv not in self.is_lltv_enabled, E.ALREADY_SET)
        require(lltv < WAD, E.MAX_LLTV_EXCEEDED)
        self.is_lltv_enabled.add(lltv)

    @reverts_atomically
    def set_fee(self, sender: str, params: MarketParams, new_fee: int, now: int) -> None:
        """``setFee`` (WAD share of interest): accrues at the old fee first. Raises NOT_OWNER, MARKET_NOT_CREATED,
        ALREADY_SET, MAX_FEE_EXCEEDED (> 25%)."""
        self._only_owner(sender)
        mid, m = self._created(params)
        require(new_fee != m.fee, E.ALREADY_SET)
        require(new_fee <= MAX_FEE, E.MAX_FEE_EXCEEDED)
        self._accrue_interest(params, mid, now)
        m.fee = new_fee

    @reverts_atomically
    def set_fee_recipient(self, sender: str, new_fee_recipient: str) -> None:
        """``setFeeRecipient``. Raises NOT_OWNER, ALREADY_SET."""
        self._only_owner(sender)
        require(new_fee_recipient != self.fee_recipient, E.ALREADY_SET)
        self.fee_recipient = new_fee_recipient

    # ------------------------------------------------------------------ market creation

    @reverts_atomically
    def create_market(self, sender: str, params: MarketParams, now: int) -> bytes:
        """``createMarket`` (anyone): returns the market id. Raises IRM_NOT_ENABLED, LLTV_NOT_ENABLED,
        MARKET_ALREADY_CREATED."""
        mid = market_id(params)
        require(params.irm in self.is_irm_enabled, E.IRM_NOT_ENABLED)
        require(params.lltv in self.is_lltv_enabled, E.LLTV_NOT_ENABLED)
        m = self.market_of(mid)
        require(m.last_update == 0, E.MARKET_ALREADY_CREATED)
        m.last_update = now
        self.id_to_market_params[mid] = params
        if params.irm != ZERO_ADDRESS:
            self._irm(params.irm).borrow_rate(params, m)  # initialises a stateful IRM
        return mid

    # ------------------------------------------------------------------ supply management

    @reverts_atomically
    def supply(self, sender: str, params: MarketParams, assets: int, shares: int, on_behalf: str,
               now: int) -> tuple[int, int]:
        """``supply`` by ``assets`` (shares rounded down) or by ``shares`` (assets rounded up); returns
        (assets, shares). Raises MARKET_NOT_CREATED, INCONSISTENT_INPUT, ZERO_ADDRESS, TRANSFER_FROM_REVERTED."""
        mid, m = self._open(params, assets, shares, on_behalf, now)
        if assets > 0:
            shares = to_shares_down(assets, m.total_supply_assets, m.total_supply_shares)
        else:
            assets = to_assets_up(shares, m.total_supply_assets, m.total_supply_shares)
        pos = self.position_of(mid, on_behalf)
        pos.supply_shares = checked(pos.supply_shares + shares)
        m.total_supply_shares = add128(m.total_supply_shares, shares)
        m.total_supply_assets = add128(m.total_supply_assets, assets)
        self._safe_transfer_from(params.loan_token, sender, assets)
        return assets, shares

    @reverts_atomically
    def withdraw(self, sender: str, params: MarketParams, assets: int, shares: int, on_behalf: str,
                 receiver: str, now: int) -> tuple[int, int]:
        """``withdraw`` by ``assets`` (shares rounded up) or by ``shares`` (assets rounded down); returns
        (assets, shares). Raises MARKET_NOT_CREATED, INCONSISTENT_INPUT, ZERO_ADDRESS, UNAUTHORIZED, Panic(0x11)
        (more shares than held), INSUFFICIENT_LIQUIDITY."""
        mid, m = self._open(params, assets, shares, receiver, now, (sender, on_behalf))
        if assets > 0:
            shares = to_shares_up(assets, m.total_supply_assets, m.total_supply_shares)
        else:
            assets = to_assets_down(shares, m.total_supply_assets, m.total_supply_shares)
        pos = self.position_of(mid, on_behalf)
        pos.supply_shares = checked(pos.supply_shares - shares)
        m.total_supply_shares = sub128(m.total_supply_shares, shares)
        m.total_supply_assets = sub128(m.total_supply_assets, assets)
        require(m.total_borrow_assets <= m.total_supply_assets, E.INSUFFICIENT_LIQUIDITY)
        self._safe_transfer(params.loan_token, receiver, assets)
        return assets, shares

    # ------------------------------------------------------------------ borrow management

    @reverts_atomically
    def borrow(self, sender: str, params: MarketParams, assets: int, shares: int, on_behalf: str,
               receiver: str, now: int) -> tuple[int, int]:
        """``borrow`` by ``assets`` (shares rounded up) or by ``shares`` (assets rounded down); returns
        (assets, shares). Raises MARKET_NOT_CREATED, INCONSISTENT_INPUT, ZERO_ADDRESS, UNAUTHORIZED,
        INSUFFICIENT_COLLATERAL, INSUFFICIENT_LIQUIDITY."""
        mid, m = self._open(params, assets, shares, receiver, now, (sender, on_behalf))
        if assets > 0:
            shares = to_shares_up(assets, m.total_borrow_assets, m.total_borrow_shares)
        else:
            assets = to_assets_down(shares, m.total_borrow_assets, m.total_borrow_shares)
        pos = self.position_of(mid, on_behalf)
        pos.borrow_shares = add128(pos.borrow_shares, shares)
        m.total_borrow_shares = add128(m.total_borrow_shares, shares)
        m.total_borrow_assets = add128(m.total_borrow_assets, assets)
        require(self._is_healthy(params, mid, on_behalf), E.INSUFFICIENT_COLLATERAL)
        require(m.total_borrow_assets <= m.total_supply_assets, E.INSUFFICIENT_LIQUIDITY)
        self._safe_transfer(params.loan_token, receiver, assets)
        return assets, shares

    @reverts_atomically
    def repay(self, sender: str, params: MarketParams, assets: int, shares: int, on_behalf: str,
              now: int) -> tuple[int, int]:
        """``repay`` by ``assets`` (shares rounded down) or by ``shares`` (assets rounded up) for anyone; returns
        (assets, shares). Raises MARKET_NOT_CREATED, INCONSISTENT_INPUT, ZERO_ADDRESS, Panic(0x11) (more shares
        than owed), TRANSFER_FROM_REVERTED."""
        mid, m = self._open(params, assets, shares, on_behalf, now)
        if assets > 0:
            shares = to_shares_down(assets, m.total_borrow_assets, m.total_borrow_shares)
        else:
            assets = to_assets_up(shares, m.total_borrow_assets, m.total_borrow_shares)
        pos = self.position_of(mid, on_behalf)
        pos.borrow_shares = sub128(pos.borrow_shares, shares)
        m.total_borrow_shares = sub128(m.total_borrow_shares, shares)
        m.total_borrow_assets = to_uint128(zero_floor_sub(m.total_borrow_assets, assets))
        self._safe_transfer_from(params.loan_token, sender, assets)
        return assets, shares

    # ------------------------------------------------------------------ collateral management

    @reverts_atomically
    def supply_collateral(self, sender: str, params: MarketParams, assets: int, on_behalf: str, now: int) -> None:
        """``supplyCollateral`` (no interest accrual, as the contract). Raises MARKET_NOT_CREATED, ZERO_ASSETS,
        ZERO_ADDRESS, TRANSFER_FROM_REVERTED."""
        mid, _ = self._created(params)
        require(assets != 0, E.ZERO_ASSETS)
        require(on_behalf != ZERO_ADDRESS, E.ZERO_ADDRESS)
        pos = self.position_of(mid, on_behalf)
        pos.collateral = add128(pos.collateral, assets)
        self._safe_transfer_from(params.collateral_token, sender, assets)

    @reverts_atomically
    def withdraw_collateral(self, sender: str, params: MarketParams, assets: int, on_behalf: str, receiver: str,
                            now: int) -> None:
        """``withdrawCollateral``. Raises MARKET_NOT_CREATED, ZERO_ASSETS, ZERO_ADDRESS, UNAUTHORIZED,
        Panic(0x11) (more than deposited), INSUFFICIENT_COLLATERAL."""
        mid, _ = self._created(params)
        require(assets != 0, E.ZERO_ASSETS)
        require(receiver != ZERO_ADDRESS, E.ZERO_ADDRESS)
        require(self._authorized(sender, on_behalf), E.UNAUTHORIZED)
        self._accrue_interest(params, mid, now)
        pos = self.position_of(mid, on_behalf)
        pos.collateral = sub128(pos.collateral, assets)
        require(self._is_healthy(params, mid, on_behalf), E.INSUFFICIENT_COLLATERAL)
        self._safe_transfer(params.collateral_token, receiver, assets)

    # ------------------------------------------------------------------ liquidation

    @reverts_atomically
    def liquidate(self, sender: str, params: MarketParams, borrower: str, seized_assets: int, repaid_shares: int,
                  now: int) -> tuple[int, int]:
        """``liquidate`` an unhealthy ``borrower`` by ``seized_assets`` (collateral units; the repaid shares are
        rounded up) or by ``repaid_shares`` (the seized collateral is rounded down), with the incentive factor
        :func:`liquidation_incentive_factor`. When the borrower's collateral reaches 0 the remaining debt is bad
        debt, written off against the suppliers (``totalSupplyAssets``). Returns (seized assets, repaid assets).
        Raises MARKET_NOT_CREATED, INCONSISTENT_INPUT, HEALTHY_POSITION, Panic(0x11) (more than the position
        holds), Panic(0x12) (price 0), TRANSFER_REVERTED, TRANSFER_FROM_REVERTED."""
        mid, m = self._created(params)
        require(exactly_one_zero(seized_assets, repaid_shares), E.INCONSISTENT_INPUT)
        self._accrue_interest(params, mid, now)
        price = self._oracle(params.oracle).price
        require(not self._is_healthy_at(params, mid, borrower, price), E.HEALTHY_POSITION)
        lif = liquidation_incentive_factor(params.lltv)
        if seized_assets > 0:
            quoted = mul_div_up(seized_assets, price, ORACLE_PRICE_SCALE)
            repaid_shares = to_shares_up(w_div_up(quoted, lif), m.total_borrow_assets, m.total_borrow_shares)
        else:
            seized_assets = mul_div_down(
                w_mul_down(to_assets_down(repaid_shares, m.total_borrow_assets, m.total_borrow_shares), lif),
                ORACLE_PRICE_SCALE, price)
        repaid_assets = to_assets_up(repaid_shares, m.total_borrow_assets, m.total_borrow_shares)
        pos = self.position_of(mid, borrower)
        pos.borrow_shares = sub128(pos.borrow_shares, repaid_shares)
        m.total_borrow_shares = sub128(m.total_borrow_shares, repaid_shares)
        m.total_borrow_assets = to_uint128(zero_floor_sub(m.total_borrow_assets, repaid_assets))
        pos.collateral = sub128(pos.collateral, seized_assets)
        if pos.collateral == 0:
            bad_debt_shares = pos.borrow_shares
            bad_debt_assets = min_(m.total_borrow_assets,
                                   to_assets_up(bad_debt_shares, m.total_borrow_assets, m.total_borrow_shares))
            m.total_borrow_assets = sub128(m.total_borrow_assets, bad_debt_assets)
            m.total_supply_assets = sub128(m.total_supply_assets, bad_debt_assets)
            m.total_borrow_shares = sub128(m.total_borrow_shares, bad_debt_shares)
            pos.borrow_shares = 0
        self._safe_transfer(params.collateral_token, sender, seized_assets)
        self._safe_transfer_from(params.loan_token, sender, repaid_assets)
        return seized_assets, repaid_assets

    # ------------------------------------------------------------------ authorization

    @reverts_atomically
    def set_authorization(self, sender: str, authorized: str, new_is_authorized: bool) -> None:
        """``setAuthorization``: let ``authorized`` manage ``sender``'s positions (withdraw, borrow,
        withdrawCollateral on its behalf). Raises ALREADY_SET."""
        key = (sender, authorized)
        require(new_is_authorized != (key in self.is_authorized), E.ALREADY_SET)
        if new_is_authorized:
            self.is_authorized.add(key)
        else:
            self.is_authorized.discard(key)

    # ------------------------------------------------------------------ interest

    @reverts_atomically
    def accrue_interest(self, sender: str, params: MarketParams, now: int) -> None:
        """``accrueInterest`` (anyone). Raises MARKET_NOT_CREATED."""
        mid, _ = self._created(params)
        self._accrue_interest(params, mid, now)

    def _accrue_interest(self, params: MarketParams, mid: bytes, now: int) -> None:
        """``_accrueInterest``: interest = totalBorrowAssets.wMulDown(rate.wTaylorCompounded(elapsed)) added to
        both totals; the fee's part is minted as supply shares to the fee recipient, priced on the supply total
        net of that fee amount."""
        m = self.market[mid]
        elapsed = checked(now - m.last_update)
        if elapsed == 0:
            return
        if params.irm != ZERO_ADDRESS:
            rate = self._irm(params.irm).borrow_rate(params, Market(*m.as_tuple()))
            interest = w_mul_down(m.total_borrow_assets, w_taylor_compounded(rate, elapsed))
            m.total_borrow_assets = add128(m.total_borrow_assets, interest)
            m.total_supply_assets = add128(m.total_supply_assets, interest)
            if m.fee != 0:
                fee_amount = w_mul_down(interest, m.fee)
                fee_shares = to_shares_down(fee_amount, checked(m.total_supply_assets - fee_amount),
                                            m.total_supply_shares)
                pos = self.position_of(mid, self.fee_recipient)
                pos.supply_shares = checked(pos.supply_shares + fee_shares)
                m.total_supply_shares = add128(m.total_supply_shares, fee_shares)
        m.last_update = now

    # ------------------------------------------------------------------ health

    def _is_healthy(self, params: MarketParams, mid: bytes, borrower: str) -> bool:
        """``_isHealthy(marketParams, id, borrower)``: true without borrow shares, else at the oracle's price."""
        if self.position_of(mid, borrower).borrow_shares == 0:
            return True
        return self._is_healthy_at(params, mid, borrower, self._oracle(params.oracle).price)

    def _is_healthy_at(self, params: MarketParams, mid: bytes, borrower: str, price: int) -> bool:
        """``_isHealthy(..., collateralPrice)``: collateral × price / 1e36 × LLTV (down) >= debt (up)."""
        m, pos = self.market[mid], self.position_of(mid, borrower)
        borrowed = to_assets_up(pos.borrow_shares, m.total_borrow_assets, m.total_borrow_shares)
        max_borrow = w_mul_down(mul_div_down(pos.collateral, price, ORACLE_PRICE_SCALE), params.lltv)
        return max_borrow >= borrowed

    def is_healthy(self, params: MarketParams, borrower: str) -> bool:
        """Whether ``borrower``'s position is healthy at the stored state (no accrual): the contract's check."""
        return self._is_healthy(params, market_id(params), borrower)

    # ------------------------------------------------------------------ external contracts

    def _irm(self, address: str) -> Irm:
        try:
            return self.irms[address]
        except KeyError:
            raise ValueError(f"no IRM twin at {address}: register it in Morpho.irms") from None

    def _oracle(self, address: str) -> OracleMock:
        try:
            return self.oracles[address]
        except KeyError:
            raise ValueError(f"no oracle twin at {address}: register it in Morpho.oracles") from None

    def _safe_transfer(self, token: str, to: str, value: int) -> None:
        """``SafeTransferLib.safeTransfer`` of an ERC20Mock: ``TRANSFER_REVERTED`` when Morpho holds too little."""
        require(self.ledger.balance(token, self.address) >= value, E.TRANSFER_REVERTED)
        self.ledger.transfer(token, self.address, to, value)

    def _safe_transfer_from(self, token: str, src: str, value: int) -> None:
        """``SafeTransferLib.safeTransferFrom`` of an ERC20Mock (allowance checked first, then balance):
        ``TRANSFER_FROM_REVERTED`` when either is short."""
        allowed = self.ledger.allowances.get((token, src, self.address), 0)
        require(allowed >= value and self.ledger.balance(token, src) >= value, E.TRANSFER_FROM_REVERTED)
        self.ledger.transfer_from(token, self.address, src, self.address, value)
