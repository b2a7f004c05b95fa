"""Uniswap V2 in Python integers: ``UniswapV2Pair`` (protocol fee off) and the swap helper's math.

The pair on chain is the compiled ``@uniswap/v2-core`` 1.0.1 artifact; this is its exact twin, so a
loop's slippage, a liquidator's sale and a TWAP are the same numbers in the model and on chain.
Token balances live in the shared :class:`~protocol_model.exact.ledger.Ledger` (the pair is an account in
it), so the pair composes with the lending pool's model in one world.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import isqrt
from typing import ClassVar

from protocol_model.exact.errors import PoolError
from protocol_model.exact.journal import reverts_atomically
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import checked_add, checked_mul

FEE_NUMERATOR = 997
"""Input kept after the 0.3% fee, per 1000."""
FEE_DENOMINATOR = 1000
MINIMUM_LIQUIDITY = 1000
"""LP units locked forever at the first mint (sent to the zero address)."""
Q112 = 2**112
UINT112_MAX = 2**112 - 1
UINT256 = 2**256
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class AmmError(PoolError):
    """A revert of the pair or the swap helper; ``name`` is the on-chain revert string or error name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def name(self) -> str:
        """The revert string (``"UniswapV2: K"``) or custom error name (``"SlippageExceeded"``) seen on chain."""
        return self.reason


def safe_mul(x: int, y: int) -> int:
    """``x.mul(y)`` of the pair's SafeMath (solc 0.5.16, ``UniswapV2Pair`` and its ERC-20): the product of two uint256
    values, or ``AmmError("ds-math-mul-overflow")`` when it passes ``2**256 - 1`` (the 0.8 ``Panic(0x11)`` of
    ``checked_mul`` does not apply to the pair)."""
    product = x * y
    if product >= UINT256:
        raise AmmError("ds-math-mul-overflow")
    return product


def safe_add(x: int, y: int) -> int:
    """``x.add(y)`` of the pair's SafeMath: the sum, or ``AmmError("ds-math-add-overflow")`` past ``2**256 - 1``."""
    total = x + y
    if total >= UINT256:
        raise AmmError("ds-math-add-overflow")
    return total


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Output of an exact-input swap after the 0.3% fee, rounded down (token units of the output token).

    Twin of ``UniV2MathLib.getAmountOut`` (contracts/amm/UniV2MathLib.sol), the formula of
    ``UniswapV2Library.getAmountOut``: ``in·997·R_out / (R_in·1000 + in·997)``.
    Raises ``AmmError("InsufficientInputAmount")`` if ``amount_in <= 0`` and
    ``AmmError("InsufficientAmmLiquidity")`` if either reserve is zero; ``MathOverflow`` (``Panic(0x11)``) when an
    intermediate product or sum passes uint256 (Solidity 0.8's checked arithmetic).
    """
    if amount_in <= 0:
        raise AmmError("InsufficientInputAmount")
    if reserve_in <= 0 or reserve_out <= 0:
        raise AmmError("InsufficientAmmLiquidity")
    # Solidity 0.8's checked arithmetic: an intermediate above uint256 reverts Panic(0x11) (MathOverflow)
    with_fee = checked_mul(amount_in, FEE_NUMERATOR)
    return checked_mul(with_fee, reserve_out) // checked_add(checked_mul(reserve_in, FEE_DENOMINATOR), with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """Input needed for an exact output, rounded up by adding one (token units of the input token).

    Twin of ``UniV2MathLib.getAmountIn``, the formula of ``UniswapV2Library.getAmountIn``:
    ``R_in·out·1000 / ((R_out − out)·997) + 1``.
    Raises ``AmmError("InsufficientOutputAmount")`` if ``amount_out <= 0`` and
    ``AmmError("InsufficientAmmLiquidity")`` if ``reserve_in`` is zero or ``reserve_out <= amount_out``;
    ``MathOverflow`` (``Panic(0x11)``) when an intermediate product passes uint256.
    """
    if amount_out <= 0:
        raise AmmError("InsufficientOutputAmount")
    if reserve_in <= 0 or reserve_out <= amount_out:
        raise AmmError("InsufficientAmmLiquidity")
    return (checked_mul(checked_mul(reserve_in, amount_out), FEE_DENOMINATOR)
            // checked_mul(reserve_out - amount_out, FEE_NUMERATOR) + 1)


@dataclass
class V2Pair:
    """One pair's storage, twin of ``UniswapV2Pair`` (v2-core 1.0.1, protocol fee off).

    ``address`` is the pair's name in the ledger; token0 sorts first on chain. Reserves are token units (uint112);
    ``lp`` maps holder → LP units (``balanceOf``), ``total_supply`` is ``totalSupply``. Every mutating method is
    atomic: on a ``PoolError`` the pair and the ledger are restored, as a revert would.
    """

    address: str
    token0: str
    token1: str
    ledger: Ledger
    reserve0: int = 0
    reserve1: int = 0
    block_timestamp_last: int = 0
    """uint32: block time modulo 2**32 of the last reserve update."""
    price0_cumulative_last: int = 0
    """Sum of (reserve1/reserve0 as UQ112x112) × seconds, wrapping at 2**256."""
    price1_cumulative_last: int = 0
    total_supply: int = 0
    lp: dict[str, int] = field(default_factory=dict)

    journal_links: ClassVar[tuple[str, ...]] = ("ledger",)
    """A revert restores the pair and the token ledger (protocol_model.exact.journal)."""

    # ------------------------------------------------------------------ the pair (UniswapV2Pair)

    def reserves(self, token_in: str) -> tuple[int, int]:
        """(reserve of ``token_in``, reserve of the other token), as ``PairSwapper._reserves``.

        Raises ``AmmError("InvalidToken")`` if ``token_in`` is neither token of the pair.
        """
        if token_in == self.token0:
            return self.reserve0, self.reserve1
        if token_in == self.token1:
            return self.reserve1, self.reserve0
        raise AmmError("InvalidToken")

    def _update(self, balance0: int, balance1: int, now: int) -> None:
        if balance0 > UINT112_MAX or balance1 > UINT112_MAX:
            raise AmmError("UniswapV2: OVERFLOW")
        ts = now % 2**32
        elapsed = (ts - self.block_timestamp_last) % 2**32
        if elapsed > 0 and self.reserve0 != 0 and self.reserve1 != 0:
            self.price0_cumulative_last = (self.price0_cumulative_last
                                           + (self.reserve1 * Q112 // self.reserve0) * elapsed) % UINT256
            self.price1_cumulative_last = (self.price1_cumulative_last
                                           + (self.reserve0 * Q112 // self.reserve1) * elapsed) % UINT256
        self.reserve0, self.reserve1, self.block_timestamp_last = balance0, balance1, ts

    def _balances(self) -> tuple[int, int]:
        return self.ledger.balance(self.token0, self.address), self.ledger.balance(self.token1, self.address)

    def _mint_lp(self, to: str, amount: int) -> None:
        self.total_supply = safe_add(self.total_supply, amount)
        self.lp[to] = self.lp.get(to, 0) + amount

    @reverts_atomically
    def mint(self, to: str, now: int) -> int:
        """``UniswapV2Pair.mint``: LP units for the tokens sent to the pair since the last update (rounded down).

        First mint: sqrt(amount0·amount1) − MINIMUM_LIQUIDITY (the minimum locked at the zero address); later:
        min(amount0·supply/reserve0, amount1·supply/reserve1). ``now`` is the block time (seconds).
        Raises ``AmmError("ds-math-mul-overflow")`` if amount0·amount1 (first mint) or an amount·supply passes
        uint256 (a balance far above uint112, checked before it), ``AmmError("ds-math-sub-underflow")`` if the
        first deposit's sqrt is below MINIMUM_LIQUIDITY, ``AmmError("UniswapV2: INSUFFICIENT_LIQUIDITY_MINTED")``
        if no LP unit is minted and ``AmmError("UniswapV2: OVERFLOW")`` if a balance exceeds uint112.
        """
        balance0, balance1 = self._balances()
        amount0, amount1 = balance0 - self.reserve0, balance1 - self.reserve1
        if self.total_supply == 0:
            liquidity = isqrt(safe_mul(amount0, amount1)) - MINIMUM_LIQUIDITY
            if liquidity < 0:
                raise AmmError("ds-math-sub-underflow")  # SafeMath in the 0.5.16 pair
            self._mint_lp(ZERO_ADDRESS, MINIMUM_LIQUIDITY)
        else:
            liquidity = min(safe_mul(amount0, self.total_supply) // self.reserve0,
                            safe_mul(amount1, self.total_supply) // self.reserve1)
        if liquidity <= 0:
            raise AmmError("UniswapV2: INSUFFICIENT_LIQUIDITY_MINTED")
        self._mint_lp(to, liquidity)
        self._update(balance0, balance1, now)
        return liquidity

    @reverts_atomically
    def burn(self, to: str, now: int) -> tuple[int, int]:
        """``UniswapV2Pair.burn``: redeem the LP units sent to the pair, pro rata (rounded down); returns token units.

        Raises ``AmmError("EmptyRevert")`` on a pair with no LP supply (the pair, compiled with solc 0.5.16,
        divides by ``totalSupply``: a division by zero there is an INVALID opcode, a revert with no data),
        ``AmmError("ds-math-mul-overflow")`` if liquidity·balance passes uint256 (a donated balance far above
        uint112), then ``AmmError("UniswapV2: INSUFFICIENT_LIQUIDITY_BURNED")`` if either amount is zero.
        """
        balance0, balance1 = self._balances()
        liquidity = self.lp.get(self.address, 0)
        if self.total_supply == 0:
            raise AmmError("EmptyRevert")
        amount0 = safe_mul(liquidity, balance0) // self.total_supply
        amount1 = safe_mul(liquidity, balance1) // self.total_supply
        if amount0 <= 0 or amount1 <= 0:
            raise AmmError("UniswapV2: INSUFFICIENT_LIQUIDITY_BURNED")
        self.lp[self.address] = 0
        self.total_supply -= liquidity
        self.ledger.transfer(self.token0, self.address, to, amount0)
        self.ledger.transfer(self.token1, self.address, to, amount1)
        self._update(*self._balances(), now)
        return amount0, amount1

    @reverts_atomically
    def swap(self, amount0_out: int, amount1_out: int, to: str, now: int) -> None:
        """``UniswapV2Pair.swap`` (no callback data): send the outputs, then require the fee-adjusted product not
        to fall (the 'K' check: (b0·1000 − in0·3)·(b1·1000 − in1·3) ≥ r0·r1·1000²).

        Raises ``AmmError`` with the pair's revert strings: ``"UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"``,
        ``"UniswapV2: INSUFFICIENT_LIQUIDITY"``, ``"UniswapV2: INVALID_TO"``,
        ``"UniswapV2: INSUFFICIENT_INPUT_AMOUNT"``, ``"ds-math-mul-overflow"`` (a SafeMath product of the K check
        passing uint256: a balance far above uint112), ``"UniswapV2: K"``, ``"UniswapV2: OVERFLOW"``; the ledger's
        ``ERC20InsufficientBalance`` cannot occur (outputs are below the reserves).
        """
        if amount0_out <= 0 and amount1_out <= 0:
            raise AmmError("UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT")
        if amount0_out >= self.reserve0 or amount1_out >= self.reserve1:
            raise AmmError("UniswapV2: INSUFFICIENT_LIQUIDITY")
        if to in (self.token0, self.token1):
            raise AmmError("UniswapV2: INVALID_TO")
        if amount0_out > 0:
            self.ledger.transfer(self.token0, self.address, to, amount0_out)
        if amount1_out > 0:
            self.ledger.transfer(self.token1, self.address, to, amount1_out)
        balance0, balance1 = self._balances()
        in0 = balance0 - (self.reserve0 - amount0_out) if balance0 > self.reserve0 - amount0_out else 0
        in1 = balance1 - (self.reserve1 - amount1_out) if balance1 > self.reserve1 - amount1_out else 0
        if in0 <= 0 and in1 <= 0:
            raise AmmError("UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        adjusted0 = safe_mul(balance0, 1000) - safe_mul(in0, 3)
        adjusted1 = safe_mul(balance1, 1000) - safe_mul(in1, 3)
        if safe_mul(adjusted0, adjusted1) < safe_mul(safe_mul(self.reserve0, self.reserve1), 1000**2):
            raise AmmError("UniswapV2: K")
        self._update(balance0, balance1, now)

    @reverts_atomically
    def skim(self, to: str) -> None:
        """``UniswapV2Pair.skim``: send each token's balance above its reserve (a donation) to ``to``.

        Reserves, timestamp and cumulative prices are untouched; never reverts here (balances are never below
        the reserves)."""
        balance0, balance1 = self._balances()
        self.ledger.transfer(self.token0, self.address, to, balance0 - self.reserve0)
        self.ledger.transfer(self.token1, self.address, to, balance1 - self.reserve1)

    @reverts_atomically
    def sync(self, now: int) -> None:
        """``UniswapV2Pair.sync``: set the reserves to the balances (accruing the cumulative prices up to ``now``).

        Raises ``AmmError("UniswapV2: OVERFLOW")`` if a balance exceeds uint112."""
        self._update(*self._balances(), now)

    def transfer_lp(self, src: str, dst: str, amount: int) -> None:
        """``UniswapV2ERC20.transfer`` sent by ``src``: move ``amount`` LP units to ``dst`` (the pair itself, to burn).

        Raises ``AmmError("ds-math-sub-underflow")`` if ``src`` holds fewer than ``amount`` (SafeMath)."""
        have = self.lp.get(src, 0)
        if have < amount:
            raise AmmError("ds-math-sub-underflow")
        self.lp[src] = have - amount
        self.lp[dst] = self.lp.get(dst, 0) + amount

    @property
    def k_last(self) -> int:
        """``kLast``: always 0 with the protocol fee off (``_mintFee`` zeroes it; the twin's scope)."""
        return 0

    # ---------------------------------------------------------- the helper (contracts/amm/PairSwapper.sol)

    @reverts_atomically
    def swap_exact_in(self, sender: str, token_in: str, amount_in: int, min_out: int, to: str, now: int) -> int:
        """``PairSwapper.swapExactIn``: pull ``amount_in`` from ``sender`` into the pair, send the quote to ``to``.

        Returns the output in token units. Raises ``AmmError("InvalidToken")``, the ``get_amount_out`` errors,
        ``AmmError("SlippageExceeded")`` if the quote is below ``min_out``, ``ERC20InsufficientAllowance`` /
        ``ERC20InsufficientBalance`` from the ledger and the ``swap`` errors.
        """
        reserve_in, reserve_out = self.reserves(token_in)
        out = get_amount_out(amount_in, reserve_in, reserve_out)
        if out < min_out:
            raise AmmError("SlippageExceeded")
        self.ledger.transfer_from(token_in, SWAPPER, sender, self.address, amount_in)
        self.swap(*((0, out) if token_in == self.token0 else (out, 0)), to, now)
        return out

    @reverts_atomically
    def swap_exact_out(self, sender: str, token_in: str, amount_out: int, max_in: int, to: str, now: int) -> int:
        """``PairSwapper.swapExactOut``: pull the quoted input (at most ``max_in``), send ``amount_out`` to ``to``.

        Returns the input in token units. Raises ``AmmError("InvalidToken")``, the ``get_amount_in`` errors,
        ``AmmError("SlippageExceeded")`` if the quote exceeds ``max_in``, ``ERC20InsufficientAllowance`` /
        ``ERC20InsufficientBalance`` from the ledger and the ``swap`` errors.
        """
        reserve_in, reserve_out = self.reserves(token_in)
        amount_in = get_amount_in(amount_out, reserve_in, reserve_out)
        if amount_in > max_in:
            raise AmmError("SlippageExceeded")
        self.ledger.transfer_from(token_in, SWAPPER, sender, self.address, amount_in)
        self.swap(*((0, amount_out) if token_in == self.token0 else (amount_out, 0)), to, now)
        return amount_in

    @reverts_atomically
    def add_liquidity(self, sender: str, amount0: int, amount1: int, to: str, now: int) -> int:
        """``PairSwapper.addLiquidity``: pull both amounts (token units, pair order) into the pair and mint.

        Returns the LP units minted to ``to``. Raises the ledger's ``ERC20InsufficientAllowance`` /
        ``ERC20InsufficientBalance`` and the ``mint`` errors.
        """
        self.ledger.transfer_from(self.token0, SWAPPER, sender, self.address, amount0)
        self.ledger.transfer_from(self.token1, SWAPPER, sender, self.address, amount1)
        return self.mint(to, now)

    @reverts_atomically
    def remove_liquidity(self, sender: str, liquidity: int, to: str, now: int) -> tuple[int, int]:
        """``PairSwapper.removeLiquidity``: pull LP units into the pair and burn them; returns (amount0, amount1).

        Raises ``AmmError("ds-math-sub-underflow")`` if ``sender`` holds fewer than ``liquidity`` LP units (the
        pair's SafeMath ERC-20; LP allowances are not modelled) and the ``burn`` errors.
        """
        self.transfer_lp(sender, self.address, liquidity)
        return self.burn(to, now)

    # ------------------------------------------------------------------ views

    def spot_price_wad(self, token: str, decimals_token: int, decimals_other: int) -> int:
        """Price of one whole ``token`` in whole units of the other token, WAD (rounded down).

        ``R_other·1e18·10^dec_token / (R_token·10^dec_other)``. Raises ``AmmError("InvalidToken")`` for a token
        not in the pair and ``ZeroDivisionError`` if the pair is empty.
        """
        reserve_t, reserve_o = self.reserves(token)
        return reserve_o * 10**18 * 10**decimals_token // (reserve_t * 10**decimals_other)

    def cumulative_prices(self, now: int) -> tuple[int, int]:
        """The cumulative prices a TWAP reader would see at ``now`` (counterfactual, as UniswapV2OracleLibrary).

        Returns (price0Cumulative, price1Cumulative): Σ UQ112x112 price × seconds, wrapping at 2**256.
        """
        p0, p1 = self.price0_cumulative_last, self.price1_cumulative_last
        elapsed = (now % 2**32 - self.block_timestamp_last) % 2**32
        if elapsed and self.reserve0 and self.reserve1:
            p0 = (p0 + (self.reserve1 * Q112 // self.reserve0) * elapsed) % UINT256
            p1 = (p1 + (self.reserve0 * Q112 // self.reserve1) * elapsed) % UINT256
        return p0, p1


SWAPPER = "swapper"
"""The swap helper's name in the ledger: owners approve it, it moves their tokens into the pair."""
