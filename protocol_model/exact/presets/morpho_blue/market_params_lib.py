"""Morpho Blue's market structs and ids: twin of ``src/libraries/MarketParamsLib.sol`` and of the ``MarketParams``,
``Market`` and ``Position`` structs of ``src/interfaces/IMorpho.sol`` (1.0.0)."""

from __future__ import annotations

from dataclasses import dataclass

MARKET_PARAMS_BYTES_LENGTH = 5 * 32


@dataclass(frozen=True)
class MarketParams:
    """One market's immutable parameters: token, oracle and IRM addresses (checksummed strings; the IRM may be
    the zero address: no interest) and the LLTV (WAD, < 1e18)."""

    loan_token: str
    collateral_token: str
    oracle: str
    irm: str
    lltv: int

    def as_tuple(self) -> tuple[str, str, str, str, int]:
        """The struct as the ABI passes it: ``(loanToken, collateralToken, oracle, irm, lltv)``."""
        return (self.loan_token, self.collateral_token, self.oracle, self.irm, self.lltv)


def market_id(params: MarketParams) -> bytes:
    """``MarketParamsLib.id``: keccak256 of the five 32-byte words of ``params`` (addresses left-padded).

    Needs ``eth-hash`` (installed with the ``chain`` extra); raises ``ModuleNotFoundError`` without it."""
    from eth_hash.auto import keccak  # lazy: the only hash the exact layer needs

    words = [bytes.fromhex(a.removeprefix("0x").rjust(64, "0")) for a in params.as_tuple()[:4]]
    words.append(params.lltv.to_bytes(32, "big"))
    data = b"".join(words)
    assert len(data) == MARKET_PARAMS_BYTES_LENGTH
    return bytes(keccak(data))


@dataclass
class Market:
    """``IMorpho.Market``: totals in loan-token units and shares (uint128 each), ``last_update`` (seconds; 0 =
    not created) and ``fee`` (WAD share of the interest paid to the fee recipient)."""

    total_supply_assets: int = 0
    total_supply_shares: int = 0
    total_borrow_assets: int = 0
    total_borrow_shares: int = 0
    last_update: int = 0
    fee: int = 0

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        """The fields in the order of the ``market(id)`` getter."""
        return (self.total_supply_assets, self.total_supply_shares, self.total_borrow_assets,
                self.total_borrow_shares, self.last_update, self.fee)


@dataclass
class Position:
    """``IMorpho.Position``: supply shares (uint256), borrow shares and collateral (uint128, collateral-token
    units)."""

    supply_shares: int = 0
    borrow_shares: int = 0
    collateral: int = 0

    def as_tuple(self) -> tuple[int, int, int]:
        """The fields in the order of the ``position(id, user)`` getter."""
        return (self.supply_shares, self.borrow_shares, self.collateral)
