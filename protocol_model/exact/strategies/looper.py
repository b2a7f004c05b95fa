"""``contracts/strategies/Looper.sol`` in Python integers: open a leveraged position (iterative or with a pool
flash loan) and unwind it, against the exact pool (``pool.py``) and Uniswap V2 pairs (``amm.py``).

Same checks in the same order, same rounding, same errors; each entry point is one transaction: on any
revert the pool, every pair and the shared token ledger are restored together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from protocol_model.exact import errors
from protocol_model.exact.amm.uniswap_v2_pair import V2Pair, get_amount_in, get_amount_out
from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.math_lib import BPS, UINT256_MAX, bps_mul_down, bps_mul_up, mul_div_down, mul_div_up

LOOPER = "looper"
"""The Looper's name in the ledger (and as the pool's authorized operator)."""
MAX_ROUNDS = 20
MAX_LEVERAGE_BPS = 1_000_000
ROUNDING_MARGIN = 4
"""Debt units kept below the computed capacity each round (``Looper.ROUNDING_MARGIN``)."""
MAX_SLIPPAGE_BPS = 59
"""Largest ``max_slippage_bps`` accepted (``Looper.MAX_SLIPPAGE_BPS``): ⌊t*⌋ of the pair's 0.3% fee, the tolerance
below which no sandwich pays (docs/SPEC.md §9 S2, ``sandwich.sandwich_bound_bps``)."""


@dataclass(frozen=True)
class Opened:
    """What ``Looper.openIterative`` / ``Looper.openWithFlashLoan`` return (event ``LoopOpened``): collateral
    supplied and debt taken for the user, in token units, and the rounds run."""
    supplied: int
    """Collateral supplied for the user in total, equity included (token units)."""
    borrowed: int
    """Debt taken in total (token units); with a flash loan: the flash amount plus the fee."""
    rounds: int = 0
    """Rounds actually run (iterative only)."""


@dataclass(frozen=True)
class Unwound:
    """What ``Looper.unwind`` returns (event ``LoopUnwound``): debt repaid (debt-asset units), collateral returned to
    the user and collateral sold on the pair (collateral units)."""
    repaid: int
    returned: int
    """Collateral sent back to the user (token units)."""
    sold: int
    """Collateral sold on the pair to repay the flash loan and its fee."""


def _check_deadline_and_slippage(now: int, deadline: int, max_slippage_bps: int) -> None:
    """``Looper._checkDeadlineAndSlippage``: ``DeadlineExpired`` after ``deadline``, then ``InvalidSlippage``
    above ``MAX_SLIPPAGE_BPS``."""
    if now > deadline:
        raise errors.DeadlineExpired(deadline)
    if max_slippage_bps > MAX_SLIPPAGE_BPS:
        raise errors.InvalidSlippage(max_slippage_bps)


@dataclass
class Looper:
    """Exact twin of ``Looper.sol`` (docs/loops.md): opens a leveraged position on the user's own pool account
    (iteratively, or in one step with a pool flash loan) and unwinds a share of it, trading on the factory's Uniswap
    V2 pairs. The user must first authorize ``LOOPER`` with ``LendingPool.set_authorization``. Amounts are token
    units, slippage and fractions bps, leverage bps of the equity, times seconds; each entry point is one transaction
    (``reverts_atomically``) and raises the contract's errors in its order."""
    pool: LendingPool
    pairs: dict[frozenset[str], V2Pair]
    """The factory's pairs, keyed by their two assets."""

    journal_links: ClassVar[tuple[str, ...]] = ("pool", "pairs")
    """A revert restores the pool, every pair and the token ledger (protocol_model.exact.journal)."""

    # ---------------------------------------------------------------- entry points

    @reverts_atomically
    def open_iterative(self, user: str, collateral: str, debt: str, equity: int, rounds: int,
                       borrow_fraction_bps: int, max_slippage_bps: int, now: int, min_supplied: int = 0,
                       deadline: int = UINT256_MAX) -> Opened:
        """``Looper.openIterative``: supply ``equity`` (collateral units) for ``user``, then up to ``rounds`` rounds
        of borrow → swap (exact input) → supply. Raises ``DeadlineExpired``, ``InvalidSlippage`` (above
        ``MAX_SLIPPAGE_BPS``), ``InvalidRounds``, ``InvalidFraction``, ``NoPair``, pool/pair/token errors,
        ``SlippageExceeded``, then ``InsufficientOutput`` if less than ``min_supplied`` is supplied in total."""
        _check_deadline_and_slippage(now, deadline, max_slippage_bps)
        if rounds == 0 or rounds > MAX_ROUNDS:
            raise errors.InvalidRounds(rounds)
        if borrow_fraction_bps == 0 or borrow_fraction_bps > BPS:
            raise errors.InvalidFraction(borrow_fraction_bps)
        pair = self._pair(collateral, debt)
        ledger = self.pool.ledger
        ledger.transfer_from(collateral, LOOPER, user, LOOPER, equity)
        self._supply(collateral, equity, user, now)
        supplied, borrowed, done = equity, 0, 0
        for _ in range(rounds):
            amount = self._round_borrow(user, debt, borrow_fraction_bps, now)
            if amount == 0:
                break
            self.pool.borrow_on_behalf(LOOPER, debt, amount, user, LOOPER, now)
            out = self._swap_exact_in(pair, debt, amount, collateral, max_slippage_bps, now)
            self._supply(collateral, out, user, now)
            supplied, borrowed, done = supplied + out, borrowed + amount, done + 1
        if supplied < min_supplied:
            raise errors.InsufficientOutput(supplied, min_supplied)
        return Opened(supplied, borrowed, done)

    @reverts_atomically
    def open_with_flash_loan(self, user: str, collateral: str, debt: str, equity: int, leverage_bps: int,
                             max_slippage_bps: int, now: int, max_borrowed: int = UINT256_MAX,
                             deadline: int = UINT256_MAX) -> Opened:
        """``Looper.openWithFlashLoan``: buy ``⌊equity·(L − 1)⌋`` collateral (exact output) with a flash loan of the
        debt asset, supply it with the equity, borrow flash + fee. Raises ``DeadlineExpired``,
        ``InvalidSlippage``, ``InvalidLeverage``, ``NoPair``, pool/pair/token errors, ``SlippageExceeded``,
        then ``ExcessiveDebt`` if the new debt is above ``max_borrowed``."""
        _check_deadline_and_slippage(now, deadline, max_slippage_bps)
        if leverage_bps <= BPS or leverage_bps > MAX_LEVERAGE_BPS:
            raise errors.InvalidLeverage(leverage_bps)
        pair = self._pair(collateral, debt)
        extra = mul_div_down(equity, leverage_bps - BPS, BPS)
        self.pool.ledger.transfer_from(collateral, LOOPER, user, LOOPER, equity)
        supplied = equity + extra
        flash_amount = get_amount_in(extra, *pair.reserves(debt))

        def on_flash_loan(initiator: str, asset: str, amount: int, fee: int) -> bool:
            self._check_slippage(asset, amount, collateral, extra, max_slippage_bps, now)
            self._swap_out(pair, asset, amount, extra, now)
            self._supply(collateral, supplied, user, now)
            self.pool.borrow_on_behalf(LOOPER, asset, amount + fee, user, LOOPER, now)
            self.pool.ledger.approve(asset, LOOPER, POOL, amount + fee)
            return True

        self.pool.flash_loan(LOOPER, LOOPER, debt, flash_amount, on_flash_loan, now)
        borrowed = flash_amount + self.pool.flash_loan_fee(flash_amount)
        if borrowed > max_borrowed:
            raise errors.ExcessiveDebt(borrowed, max_borrowed)
        return Opened(supplied, borrowed)

    @reverts_atomically
    def unwind(self, user: str, collateral: str, debt: str, fraction_bps: int, max_slippage_bps: int,
               now: int, min_returned: int = 0, deadline: int = UINT256_MAX) -> Unwound:
        """``Looper.unwind``: repay ``fraction_bps`` of the debt with a flash loan, withdraw that share of the
        collateral, sell just enough of it (exact output) and return the rest. Raises ``DeadlineExpired``,
        ``InvalidSlippage``, ``InvalidFraction``, ``NoPair``, ``NothingToUnwind``, pool/pair/token errors,
        ``UnwindShortfall``, ``SlippageExceeded``, then ``InsufficientOutput`` below ``min_returned``."""
        _check_deadline_and_slippage(now, deadline, max_slippage_bps)
        if fraction_bps == 0 or fraction_bps > BPS:
            raise errors.InvalidFraction(fraction_bps)
        pair = self._pair(collateral, debt)
        self.pool.accrue_all(now)
        debt_now = self.pool.debt_balance(debt, user)
        repaid = debt_now if fraction_bps == BPS else bps_mul_down(debt_now, fraction_bps)
        if repaid == 0:
            raise errors.NothingToUnwind()
        withdraw_request = (UINT256_MAX if fraction_bps == BPS
                            else bps_mul_down(self.pool.supply_balance(collateral, user), fraction_bps))
        result: dict[str, int] = {}

        def on_flash_loan(initiator: str, asset: str, amount: int, fee: int) -> bool:
            ledger = self.pool.ledger
            ledger.approve(asset, LOOPER, POOL, amount)
            self.pool.repay(LOOPER, asset, amount, user, now)
            withdrawn = self.pool.withdraw_on_behalf(LOOPER, collateral, withdraw_request, user, LOOPER, now)
            amount_in = get_amount_in(amount + fee, *pair.reserves(collateral))
            if amount_in > withdrawn:
                raise errors.UnwindShortfall(amount_in, withdrawn)
            self._check_slippage(collateral, amount_in, asset, amount + fee, max_slippage_bps, now)
            self._swap_out(pair, collateral, amount_in, amount + fee, now)
            result["sold"], result["left"] = amount_in, withdrawn - amount_in
            ledger.approve(asset, LOOPER, POOL, amount + fee)
            return True

        self.pool.flash_loan(LOOPER, LOOPER, debt, repaid, on_flash_loan, now)
        if result["left"] < min_returned:
            raise errors.InsufficientOutput(result["left"], min_returned)
        if result["left"]:
            self.pool.ledger.transfer(collateral, LOOPER, user, result["left"])
        return Unwound(repaid, result["left"], result["sold"])

    # ---------------------------------------------------------------- internals

    def _pair(self, collateral: str, debt: str) -> V2Pair:
        pair = self.pairs.get(frozenset((collateral, debt))) if collateral != debt else None
        if pair is None:
            raise errors.NoPair(collateral, debt)
        return pair

    def _supply(self, asset: str, amount: int, on_behalf: str, now: int) -> None:
        self.pool.ledger.approve(asset, LOOPER, POOL, amount)
        self.pool.supply(LOOPER, asset, amount, on_behalf, now)

    def _price(self, asset: str, now: int) -> int:
        """``pool.priceRouter().priceWad(asset)`` at ``now``: every check of the router (policy, fallback, sequencer,
        staleness), as the contract reads it."""
        return self.pool.price_wad(asset, now)

    def _decimals(self, asset: str) -> int:
        return self.pool.assets[asset].state.decimals

    def _round_borrow(self, user: str, debt: str, fraction_bps: int, now: int) -> int:
        values = self.pool.account_values(user)
        if values.borrow_capacity_wad <= values.debt_wad:
            return 0
        amount = bps_mul_down(mul_div_down(values.borrow_capacity_wad - values.debt_wad, 10 ** self._decimals(debt),
                                           self._price(debt, now)), fraction_bps)
        return amount - ROUNDING_MARGIN if amount > ROUNDING_MARGIN else 0

    def _swap_exact_in(self, pair: V2Pair, token_in: str, amount_in: int, token_out: str, max_slippage_bps: int,
                       now: int) -> int:
        out = get_amount_out(amount_in, *pair.reserves(token_in))
        self._check_slippage(token_in, amount_in, token_out, out, max_slippage_bps, now)
        self._swap_out(pair, token_in, amount_in, out, now)
        return out

    def _swap_out(self, pair: V2Pair, token_in: str, amount_in: int, amount_out: int, now: int) -> None:
        self.pool.ledger.transfer(token_in, LOOPER, pair.address, amount_in)
        zero_in = token_in == pair.token0
        pair.swap(0 if zero_in else amount_out, amount_out if zero_in else 0, LOOPER, now)

    def _check_slippage(self, token_in: str, amount_in: int, token_out: str, amount_out: int,
                        max_slippage_bps: int, now: int) -> None:
        in_unit_value = self._price(token_in, now) * 10 ** self._decimals(token_out)
        out_unit_value = self._price(token_out, now) * 10 ** self._decimals(token_in)
        min_out = bps_mul_up(mul_div_up(amount_in, in_unit_value, out_unit_value), BPS - max_slippage_bps)
        if amount_out < min_out:
            raise errors.SlippageExceeded(amount_out, min_out)
