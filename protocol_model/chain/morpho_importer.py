"""Chain -> Morpho Blue twin: read deployed Morpho Blue markets (npm ``@morpho-org/morpho-blue`` 1.0.0, or the
live singleton) into the exact preset (``protocol_model/exact/presets/morpho_blue``), predict what a price move
does, and compare the prediction with the chain.

``import_morpho`` takes Morpho's address and the market ids (or finds every market from ``CreateMarket`` logs)
and reads, at the head block: the owner and fee recipient, each market's parameters (``idToMarketParams``), its
state (``market(id)``: totals, last update, fee), its oracle's price and its IRM, and every open position
(``position(id, user)``) of the accounts enumerated from ``Supply``, ``Borrow`` and ``SupplyCollateral`` logs
(``onBehalf``) plus the fee recipient (its fee shares come without an event), in chunks
(:func:`protocol_model.chain.importer.log_addresses`); then every account's and Morpho's balance of each token
and every account's allowance to Morpho.

The IRM needs a twin: the zero address (no interest) and the package's ``IrmMock`` (recognised by its code)
have one; any other IRM (mainnet's AdaptiveCurveIrm) must be given as ``irms={address: twin}``. The oracle is
read as its current ``price()`` (an ``OracleMock`` twin holding it).

``predict_morpho_price_move`` sets new oracle prices on a copy and runs a keeper: who becomes liquidatable, and
for each ``liquidate`` the repaid assets and shares, the seized collateral and the bad debt realised (assets
and shares written off, borne by the suppliers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_utils import keccak, to_checksum_address

from protocol_model.chain.importer import log_addresses
from protocol_model.chain.morpho_blue import artifacts
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.morpho_blue.constants_lib import ORACLE_PRICE_SCALE
from protocol_model.exact.presets.morpho_blue.irm_mock import Irm, IrmMock
from protocol_model.exact.presets.morpho_blue.market_params_lib import Market, MarketParams, Position, market_id
from protocol_model.exact.presets.morpho_blue.math_lib import mul_div_down, mul_div_up, w_div_up, w_mul_down
from protocol_model.exact.presets.morpho_blue.morpho import ZERO_ADDRESS, Morpho, liquidation_incentive_factor
from protocol_model.exact.presets.morpho_blue.oracle_mock import OracleMock
from protocol_model.exact.presets.morpho_blue.shares_math_lib import to_assets_down, to_shares_up
from protocol_model.world.morpho_blue_world import MorphoAddresses, Observation, observe_state


def handle(name: str, address: str) -> Any:
    """An ape handle of the Morpho Blue build's contract ``name`` (``Morpho``, ``OracleMock``, ``ERC20Mock``,
    ``IrmMock``: their ABIs) at ``address``."""
    from ape.contracts import ContractInstance
    from ethpm_types import ContractType

    return ContractInstance(address, ContractType.model_validate({"contractName": name,
                                                                  "abi": artifacts()[name]["abi"]}))


EVENTS = {
    "CreateMarket": "CreateMarket(bytes32,(address,address,address,address,uint256))",
    "Supply": "Supply(bytes32,address,address,uint256,uint256)",
    "Borrow": "Borrow(bytes32,address,address,address,uint256,uint256)",
    "SupplyCollateral": "SupplyCollateral(bytes32,address,address,uint256)",
    "Liquidate": "Liquidate(bytes32,address,address,uint256,uint256,uint256,uint256,uint256)",
}
"""Signatures of Morpho Blue 1.0.0's events (``EventsLib``; solc 0.8.19 leaves library events out of the ABI)."""


def event_topic0(name: str) -> str:
    """Topic 0 of Morpho's event ``name`` (a key of ``EVENTS``)."""
    return "0x" + keccak(text=EVENTS[name]).hex().removeprefix("0x")


@cache
def runtime_code(name: str) -> bytes:
    """The runtime code of the Morpho Blue build's contract ``name`` (``IrmMock``, ``OracleMock``): what its
    creation code returns (an ``eth_call`` with no ``to``; the mocks take no constructor arguments)."""
    from ape import chain

    return bytes(chain.provider.web3.eth.call({"data": "0x" + artifacts()[name]["bytecode"]}))


@dataclass
class ImportedMorpho:
    """The Morpho Blue twin loaded from chain: ``morpho`` at the chain's addresses, markets by name
    (``<collateral>_<loan>`` by ERC-20 symbols) with their params and ids, and the named accounts."""

    morpho: Morpho
    addresses: MorphoAddresses
    params: dict[str, MarketParams]
    ids: dict[str, bytes]
    block_number: int
    block_timestamp: int

    @property
    def account_names(self) -> list[str]:
        """Every account found (``owner`` excluded), in order of first appearance."""
        return [n for n in self.addresses.accounts if n != "owner"]

    def observe(self) -> Observation:
        """The state observables (``observe_state``: market states, positions, token balances; the importer
        reads no authorizations, so the configuration ones are left out, as ``chain_world`` leaves them)."""
        return observe_state(self.morpho, self.params, self.addresses)


def import_morpho(morpho_address: str, market_ids: Sequence[bytes | str] | None = None, *,
                  labels: dict[str, str] | None = None, extra_accounts: Sequence[str] = (), from_block: int = 0,
                  block_number: int | None = None, irms: dict[str, Irm] | None = None,
                  unknown_irm: Callable[[str], Irm] | None = None) -> ImportedMorpho:
    """Read Morpho Blue at ``morpho_address`` (markets ``market_ids``, default: every created market) into the
    twin. ``labels`` maps addresses to account or token names (a token's default: its ERC-20 symbol, else its
address; the package's ERC20Mock has no symbol); ``extra_accounts`` (e.g. a liquidator) are read too;
    ``from_block`` bounds the log scan; ``unknown_irm(address)`` stands in for an IRM without a twin (default:
    ValueError). Raises ValueError for an IRM without a twin or an unknown market id."""
    from ape import chain

    head = chain.blocks.head if block_number is None else chain.blocks[block_number]
    labels = {to_checksum_address(k): v for k, v in (labels or {}).items()}
    m = handle("Morpho", morpho_address)
    address = str(m.address)
    if market_ids is None:
        created = {event_topic0("CreateMarket"): 1}
        market_ids = _topics(address, created, from_block, head.number)
    ids = [bytes.fromhex(i.removeprefix("0x")) if isinstance(i, str) else bytes(i) for i in market_ids]
    morpho = Morpho(Ledger(), address, str(m.owner()), fee_recipient=str(m.feeRecipient()))
    params: dict[str, MarketParams] = {}
    symbols: dict[str, str] = {}

    def symbol(token: str) -> str:
        if token not in symbols:
            name = labels.get(token) or (str(handle("ERC20Mock", token).symbol()) if _has_symbol(token) else token)
            symbols[token] = name if name not in symbols.values() else f"{name}_{token[2:8]}"
        return symbols[token]

    for mid in ids:
        raw = list(m.idToMarketParams(mid))
        p = MarketParams(str(raw[0]), str(raw[1]), str(raw[2]), str(raw[3]), int(raw[4]))
        if market_id(p) != mid:
            raise ValueError(f"market 0x{mid.hex()} is not created on Morpho at {address}")
        name = f"{symbol(p.collateral_token)}_{symbol(p.loan_token)}"
        name = name if name not in params else f"{name}_{p.lltv}"
        params[name] = p
        state = Market(*(int(v) for v in m.market(mid)))
        morpho.market[mid] = state
        morpho.id_to_market_params[mid] = p
        morpho.is_lltv_enabled.add(p.lltv)
        morpho.is_irm_enabled.add(p.irm)
        morpho.oracles[p.oracle] = OracleMock(int(handle("OracleMock", p.oracle).price()))
        if p.irm != ZERO_ADDRESS and p.irm not in morpho.irms:
            morpho.irms[p.irm] = _irm_twin(p.irm, irms or {}, unknown_irm)

    topics = {event_topic0("Supply"): 3, event_topic0("Borrow"): 2, event_topic0("SupplyCollateral"): 3}
    found = log_addresses(address, topics, from_block, head.number)
    found = list(dict.fromkeys([*found, morpho.fee_recipient, *(to_checksum_address(a) for a in extra_accounts)]))
    accounts = {labels.get(a, a): a for a in found if a != ZERO_ADDRESS}
    tokens = {symbol(t): t for p in params.values() for t in (p.loan_token, p.collateral_token)}
    for who in accounts.values():
        for mid in ids:
            pos = Position(*(int(v) for v in m.position(mid, who)))
            if pos.as_tuple() != (0, 0, 0):
                morpho.position[(mid, who)] = pos
    for token in tokens.values():
        erc20 = handle("ERC20Mock", token)
        for who in [*accounts.values(), address]:
            if bal := int(erc20.balanceOf(who)):
                morpho.ledger.mint(token, who, bal)
        for who in accounts.values():
            morpho.ledger.approve(token, who, address, int(erc20.allowance(who, address)))
    first_irm = next((p.irm for p in params.values()), ZERO_ADDRESS)
    addresses = MorphoAddresses(address, morpho.owner, first_irm, tokens, {n: p.oracle for n, p in params.items()},
                                {"owner": morpho.owner, **accounts})
    return ImportedMorpho(morpho, addresses, params, {n: market_id(p) for n, p in params.items()}, head.number,
                          head.timestamp)


def _topics(emitter: str, topics: dict[str, int], from_block: int, to_block: int) -> list[bytes]:
    """Indexed 32-byte topic values (e.g. market ids) in order of first appearance."""
    from ape import chain

    from protocol_model.chain.importer import LOG_CHUNK_BLOCKS

    web3, seen, start = chain.provider.web3, dict[bytes, None](), from_block
    while start <= to_block:
        end = min(start + LOG_CHUNK_BLOCKS - 1, to_block)
        for log in web3.eth.get_logs({"address": emitter, "fromBlock": start, "toBlock": end,
                                      "topics": [list(topics)]}):
            seen.setdefault(bytes(log["topics"][next(iter(topics.values()))]), None)
        start = end + 1
    return list(seen)


def _has_symbol(token: str) -> bool:
    try:
        handle("ERC20Mock", token).symbol()
    except Exception:  # noqa: BLE001 - a token without symbol() is named by its address
        return False
    return True


def _irm_twin(irm: str, given: dict[str, Irm], unknown: Callable[[str], Irm] | None) -> Irm:
    from ape import chain

    if irm in given:
        return given[irm]
    if bytes(chain.provider.web3.eth.get_code(irm)) == runtime_code("IrmMock"):
        return IrmMock()
    if unknown is not None:
        return unknown(irm)
    raise ValueError(f"no twin for the IRM at {irm} (only the package's IrmMock is recognised; "
                     f"pass irms={{address: twin}})")


@dataclass(frozen=True)
class MorphoLiquidation:
    """One ``liquidate`` the keeper makes, with the figures of Morpho's ``Liquidate`` event: when, on which
    market and borrower, the call's arguments (``seized_assets`` or ``repaid_shares``), and the outcome (repaid
    assets and shares, seized collateral, bad debt assets and shares written off)."""

    time: int
    market: str
    borrower: str
    seized_arg: int
    repaid_shares_arg: int
    repaid_assets: int
    repaid_shares: int
    seized_assets: int
    bad_debt_assets: int
    bad_debt_shares: int


@dataclass
class MorphoPrediction:
    """What a price move does, computed on a copy of the imported twin."""

    prices: dict[str, int]
    """New oracle prices (1e36 scale), by market."""
    price_times: list[int]
    liquidatable: list[tuple[str, str]]
    """(market, account) unhealthy after the move (interest accrued to the liquidation time)."""
    liquidations: list[MorphoLiquidation]
    model: ImportedMorpho
    """The twin after the move and every liquidation: what the chain must equal afterwards."""

    @property
    def bad_debt_assets(self) -> dict[str, int]:
        """Bad debt realised per market (loan-token units), socialised on the suppliers."""
        out: dict[str, int] = {}
        for liq in self.liquidations:
            out[liq.market] = out.get(liq.market, 0) + liq.bad_debt_assets
        return out


def _unhealthy(morpho: Morpho, keeper: str, p: MarketParams, borrower: str, now: int) -> Morpho | None:
    """A copy accrued to ``now`` when ``borrower`` is liquidatable there, else None."""
    mid = market_id(p)
    if morpho.position_of(mid, borrower).borrow_shares == 0:
        return None
    trial = copy.deepcopy(morpho)
    trial.accrue_interest(keeper, p, now)
    return None if trial.is_healthy(p, borrower) else trial


def predict_morpho_price_move(imported: ImportedMorpho, prices: dict[str, int], keeper: str,
                              start: int) -> MorphoPrediction:
    """Oracles publish ``prices`` (by market) at ``start``, ``start + 1``, ...; then ``keeper`` (an account
    name) liquidates, one call a second, every unhealthy position (markets in order, accounts in order): by
    all its borrow shares when the collateral covers them with the incentive (the borrower keeps the rest), else
    by all its collateral (the remaining debt is bad debt, written off)."""
    after = copy.deepcopy(imported)
    morpho, now, times = after.morpho, start, []
    for market, price in prices.items():
        morpho.oracles[after.params[market].oracle].set_price(price)
        times.append(now)
        now += 1
    who = after.addresses.accounts[keeper]
    borrowers = [a for a in after.account_names if a != keeper]
    first = [(mk, b) for mk, p in after.params.items() for b in borrowers
             if _unhealthy(morpho, who, p, after.addresses.accounts[b], now)]
    liquidations = []
    for market, name in first:
        p, borrower = after.params[market], after.addresses.accounts[name]
        trial = _unhealthy(morpho, who, p, borrower, now)
        if trial is None:
            continue
        mid = market_id(p)
        accrued, pos = copy.deepcopy(trial.market[mid]), trial.position_of(mid, borrower)
        price, lif = trial.oracles[p.oracle].price, liquidation_incentive_factor(p.lltv)
        owed = to_assets_down(pos.borrow_shares, accrued.total_borrow_assets, accrued.total_borrow_shares)
        by_shares = mul_div_down(w_mul_down(owed, lif), ORACLE_PRICE_SCALE, price) <= pos.collateral
        seized_arg, shares_arg = (0, pos.borrow_shares) if by_shares else (pos.collateral, 0)
        shares_before = pos.borrow_shares
        repaid_shares = shares_arg or to_shares_up(w_div_up(mul_div_up(seized_arg, price, ORACLE_PRICE_SCALE), lif),
                                                   accrued.total_borrow_assets, accrued.total_borrow_shares)
        seized, repaid = morpho.liquidate(who, p, borrower, seized_arg, shares_arg, now)
        bad_shares = shares_before - repaid_shares if morpho.position_of(mid, borrower).collateral == 0 else 0
        bad_assets = accrued.total_supply_assets - morpho.market[mid].total_supply_assets
        liquidations.append(MorphoLiquidation(now, market, name, seized_arg, shares_arg, repaid, repaid_shares, seized,
                                              bad_assets, bad_shares))
        now += 1
    return MorphoPrediction(dict(prices), times, first, liquidations, after)


def chain_world(driver: Any, imported: ImportedMorpho) -> Any:
    """The imported deployment as a :class:`~protocol_model.chain.morpho_blue.MorphoChainWorld` on ``driver``'s
    chain: it reads the same observables from the chain (``observe``) as ``imported.observe`` from the twin."""
    from protocol_model.chain.morpho_blue import MorphoChainWorld

    a = imported.addresses
    tokens = {t: handle("ERC20Mock", t) for t in a.tokens.values()}
    return MorphoChainWorld(driver, a, handle("Morpho", a.morpho), tokens,
                            {n: handle("OracleMock", o) for n, o in a.oracles.items()}, {},
                            {n: p.as_tuple() for n, p in imported.params.items()}, dict(imported.ids), None)


def make_prices_settable(imported: ImportedMorpho) -> None:
    """On an anvil fork: every market's oracle becomes the package's ``OracleMock`` answering its price of now
    (``anvil_setCode`` with OracleMock's runtime code, then its one storage slot, ``price``, set), so the twin is
    unchanged and a prediction's prices can be published with ``setPrice``. A live oracle (Chainlink-based)
    cannot be moved otherwise."""
    from ape import chain

    make = chain.provider.make_request
    for p in imported.params.values():
        price = imported.morpho.oracles[p.oracle].price
        make("anvil_setCode", [p.oracle, "0x" + runtime_code("OracleMock").hex()])
        make("anvil_setStorageAt", [p.oracle, "0x" + "0" * 64, "0x" + price.to_bytes(32, "big").hex()])
