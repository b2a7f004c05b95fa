"""Aave V3's ``Errors`` library: every revert is ``require(cond, Errors.X)`` with a numeric string code, so a
revert on chain reads as the code (``"26"``) and the twin raises :class:`AaveError` with the same code."""

from __future__ import annotations

from protocol_model.exact.errors import PoolError

INVALID_MINT_AMOUNT = "24"
INVALID_BURN_AMOUNT = "25"
INVALID_AMOUNT = "26"
RESERVE_INACTIVE = "27"
RESERVE_FROZEN = "28"
RESERVE_PAUSED = "29"
BORROWING_NOT_ENABLED = "30"
STABLE_BORROWING_NOT_ENABLED = "31"
NOT_ENOUGH_AVAILABLE_USER_BALANCE = "32"
INVALID_INTEREST_RATE_MODE_SELECTED = "33"
COLLATERAL_BALANCE_IS_ZERO = "34"
HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD = "35"
COLLATERAL_CANNOT_COVER_NEW_BORROW = "36"
NO_DEBT_OF_SELECTED_TYPE = "39"
NO_EXPLICIT_AMOUNT_TO_REPAY_ON_BEHALF = "40"
UNDERLYING_BALANCE_ZERO = "43"
HEALTH_FACTOR_NOT_BELOW_THRESHOLD = "45"
COLLATERAL_CANNOT_BE_LIQUIDATED = "46"
SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER = "47"
BORROW_CAP_EXCEEDED = "50"
SUPPLY_CAP_EXCEEDED = "51"
DEBT_CEILING_EXCEEDED = "53"
LTV_VALIDATION_FAILED = "57"
INCONSISTENT_EMODE_CATEGORY = "58"
ASSET_NOT_BORROWABLE_IN_ISOLATION = "60"
USER_IN_ISOLATION_MODE_OR_LTV_ZERO = "62"
SILOED_BORROWING_VIOLATION = "89"

EMPTY_REVERT = "EmptyRevert"
"""WadRayMath's overflow check reverts with no data (``revert(0, 0)``)."""
ARITHMETIC_OVERFLOW = "Panic(0x11)"
"""A checked subtraction below zero (e.g. burning more scaled tokens than a balance holds) or a checked sum or
product above 2**256 − 1 (e.g. a cap check on ``type(uint256).max``)."""
SAFE_CAST_128 = "SafeCast: value doesn't fit in 128 bits"
"""OpenZeppelin ``SafeCast.toUint128``'s revert string (the isolation-mode debt of a huge borrow)."""


class AaveError(PoolError):
    """A revert of the Aave V3 contracts; ``code`` is the ``Errors`` library string the chain reports."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def name(self) -> str:
        """The revert's name as the chain decodes it: the ``Error(string)`` reason, i.e. the numeric code."""
        return self.code


def require(condition: bool, code: str) -> None:
    """Solidity's ``require(condition, code)``. Raises :class:`AaveError` (``code``) when false."""
    if not condition:
        raise AaveError(code)


def checked(value: int) -> int:
    """Solidity 0.8 checked uint256 arithmetic: ``value`` when 0 ≤ value ≤ 2**256 − 1, else ``Panic(0x11)``."""
    require(0 <= value < 2**256, ARITHMETIC_OVERFLOW)
    return value


def to_uint128(value: int) -> int:
    """``SafeCast.toUint128``: ``value``, or the revert string ``SAFE_CAST_128`` above 2**128 − 1."""
    require(value < 2**128, SAFE_CAST_128)
    return value


ERROR_NAMES: dict[str, str] = {code: name for name, code in dict(globals()).items()
                               if name.isupper() and isinstance(code, str) and code.isdigit()}
"""Each numeric code the twin raises -> its constant's name in Aave's ``Errors`` library (``"36"`` ->
``COLLATERAL_CANNOT_COVER_NEW_BORROW``)."""
ERROR_CODES: dict[str, str] = {name: code for code, name in ERROR_NAMES.items()}
"""The reverse of ``ERROR_NAMES``: an ``Errors`` constant's name -> its numeric code."""


def describe(outcome: str) -> str:
    """An outcome for people: a numeric code followed by its ``Errors`` name
    (``36 COLLATERAL_CANNOT_COVER_NEW_BORROW``); anything else (``ok``, ``Panic(0x11)``, an ERC20 error name,
    a code the twin never raises) as it is."""
    name = ERROR_NAMES.get(outcome)
    return f"{outcome} {name}" if name else outcome
