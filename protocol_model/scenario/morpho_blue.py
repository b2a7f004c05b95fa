"""The Morpho Blue preset in files: the ``morpho:`` section of a protocol file with ``rules: morpho-blue`` and
the Morpho story file (``kind: morpho_story``, scenarios/presets/morpho/; its schema: morpho_story.py).

A protocol file states the tokens (decimals) and the markets (loan and collateral token, LLTV, IRM, fee and
the oracle's starting price)::

    rules: morpho-blue
    morpho:
      tokens: {USDC: {decimals: 6}, wstETH: {decimals: 18}}
      markets:
        wstETH_USDC: {loan_token: USDC, collateral_token: wstETH, lltv: 86%, irm: IrmMock, fee: 10%,
                      price: "3000"}

A story names its protocol, its accounts and a list of steps, each one call of the real contract (or of a mock
it ships) sent ``wait`` seconds after the previous one, with the outcome it expects (``ok`` or the revert
string). Amounts of tokens are whole tokens (exact decimals), shares are raw integers, prices are loan tokens
per collateral token. Every check is Morpho's own (``MAX_FEE``, ``lltv < 1``) so a file the contract would
refuse is refused here, with the file, field and rule named.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Context, Decimal
from typing import Literal

from pydantic import Field, StrictInt, model_validator

from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.math_lib import BPS, UINT256_MAX
from protocol_model.exact.presets.morpho_blue.constants_lib import MAX_FEE, ORACLE_PRICE_SCALE, WAD
from protocol_model.scenario.base import Strict, to_units
from protocol_model.scenario.units import Bps

MORPHO_VERSION: Literal["1.0.0"] = "1.0.0"
"""The npm ``@morpho-org/morpho-blue`` version the preset mirrors."""
IRMS = ("IrmMock", "none")
"""The IRMs a market may name: the package's ``IrmMock`` (utilization = APR) or none (the zero address)."""
MAX_FEE_BPS = MAX_FEE * BPS // WAD


class MorphoToken(Strict):
    """A token of the Morpho markets (an ``ERC20Mock`` on chain)."""

    decimals: StrictInt = Field(ge=0, le=36)


class MorphoMarketSpec(Strict):
    """One Morpho Blue market: ``MarketParams`` (tokens, IRM, LLTV), its fee and the oracle's first price."""

    loan_token: str
    collateral_token: str
    lltv_bps: Bps = Field(alias="lltv", gt=0, lt=BPS)
    """Liquidation LTV (Morpho: ``lltv < WAD``)."""
    irm: Literal["IrmMock", "none"] = "IrmMock"
    """``IrmMock`` (borrow APR = utilization) or ``none`` (the zero address: no interest)."""
    fee_bps: Bps = Field(0, alias="fee", ge=0, le=MAX_FEE_BPS)
    """Share of the interest minted as supply shares to the fee recipient (Morpho: ``fee <= MAX_FEE`` = 25%)."""
    price: Decimal = Field(gt=0)
    """Oracle price: loan tokens per collateral token (whole tokens)."""

    @property
    def lltv(self) -> int:
        """LLTV in WAD."""
        return self.lltv_bps * WAD // BPS

    @property
    def fee(self) -> int:
        """Fee in WAD."""
        return self.fee_bps * WAD // BPS


def oracle_price(price: Decimal, loan_decimals: int, collateral_decimals: int, what: str = "price") -> int:
    """Whole loan tokens per whole collateral token -> ``IOracle.price()``: loan-token units per collateral-token
    unit × ``ORACLE_PRICE_SCALE`` (1e36). Raises ValueError when finer than that resolution, or when the scaled
    price does not fit the uint256 ``IOracle.price()`` returns."""
    scale = ORACLE_PRICE_SCALE * 10**loan_decimals
    value = EXACT.scaleb(EXACT.multiply(price, scale), -collateral_decimals)  # exact: no silent rounding
    if value != value.to_integral_value():
        raise ValueError(f"{what}: {price} is finer than the oracle's resolution (1e-36 loan units per "
                         f"collateral unit)")
    if value > UINT256_MAX:
        raise ValueError(f"{what}: {price} is above the highest price IOracle.price() can return "
                         f"(2^256 − 1 at the 1e36 scale: {_highest_price(loan_decimals, collateral_decimals)})")
    return int(value)


def _highest_price(loan_decimals: int, collateral_decimals: int) -> str:
    """The highest whole-token price ``oracle_price`` accepts, in scientific notation (for error messages)."""
    highest = EXACT.scaleb(Decimal(UINT256_MAX), collateral_decimals - loan_decimals - 36)
    return f"{Context(prec=7, rounding=ROUND_DOWN).plus(highest):e}"  # rounded down: itself accepted


class MorphoBlueSpec(Strict):
    """The ``morpho:`` section: Morpho Blue 1.0.0's tokens and markets."""

    version: Literal["1.0.0"] = MORPHO_VERSION
    """The npm ``@morpho-org/morpho-blue`` version mirrored (only 1.0.0)."""
    tokens: dict[str, MorphoToken]
    markets: dict[str, MorphoMarketSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _markets_name_tokens(self) -> MorphoBlueSpec:
        for name, m in self.markets.items():
            for field in ("loan_token", "collateral_token"):
                token = getattr(m, field)
                if token not in self.tokens:
                    raise ValueError(f"markets.{name}.{field}: unknown token '{token}' (tokens: {list(self.tokens)})")
            if m.loan_token == m.collateral_token:
                raise ValueError(f"markets.{name}: the loan and collateral tokens are the same ('{m.loan_token}')")
            oracle_price(m.price, self.tokens[m.loan_token].decimals, self.tokens[m.collateral_token].decimals,
                         f"markets.{name}.price")
        return self

    def units(self, token: str, amount: Decimal, what: str) -> int:
        """Whole tokens of ``token`` -> token units (ValueError naming ``what`` when finer than one unit)."""
        return to_units(amount, self.tokens[token].decimals, what)

    def market_price(self, market: str, price: Decimal | None = None, what: str = "price") -> int:
        """``market``'s oracle price (its file price, or ``price``) at 1e36 scale. Raises ValueError naming
        ``what`` as ``oracle_price``."""
        m = self.markets[market]
        return oracle_price(m.price if price is None else price, self.tokens[m.loan_token].decimals,
                            self.tokens[m.collateral_token].decimals, what)
