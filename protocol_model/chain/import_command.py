"""``protocol-model import``: a deployed lending protocol read from any JSON-RPC node into its exact twin, its
book summarised, a price move predicted, and its positions written as a lab book file.

Three deployments are read, each by its library importer: ``generic`` (this project's LendingPool:
:func:`protocol_model.chain.importer.import_pool`), ``aave-v3`` (an Aave V3 Pool:
:func:`protocol_model.chain.aave_v3.importer.import_aave`) and ``morpho-blue`` (the Morpho singleton and its
markets: :func:`protocol_model.chain.morpho_importer.import_morpho`). The prediction is the library's
(``predict_price_move``, ``predict_aave_price_move``, ``predict_morpho_price_move``) on a copy of the twin:
the moved prices are published one second after the imported block, one a second, then a keeper liquidates one
call a second. Nothing is ever sent to the node: every read is a call (``eth_call``, ``eth_getLogs``), the
prediction runs in the twin only, and ``--block`` reads through a local anvil forking the node at that block.

The keeper of a prediction is an account of the chain (``keeper=ADDRESS``: its balances and allowances are read
with the rest) or, by default, a liquidator that exists in the twin only with ``KEEPER_FUNDS`` units of every
asset approved to the protocol (unlimited capital: the protocol's rules alone decide the sizes).
"""

from __future__ import annotations

import copy
import re
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_FLOOR, Context, Decimal, Inexact, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from eth_utils import is_address, to_checksum_address

from protocol_model.exact.decimal_context import EXACT
from protocol_model.scenario.base import ScenarioError

PRESETS = ("generic", "aave-v3", "morpho-blue")
"""The deployments ``import`` reads (the ``rules:`` names of the protocol files)."""
KEEPER = "keeper"
"""The keeper's account name in every prediction."""
TWIN_KEEPER_ADDRESS = to_checksum_address("0x" + "00" * 19 + "ee")
"""Where the twin-only keeper sits (Morpho's twin names accounts by address); never used on chain."""
KEEPER_FUNDS = 10**40
"""Units of every asset the twin-only keeper holds and approves (far above any real debt)."""
UINT256_MAX = 2**256 - 1
WAD = 10**18
HF_BUCKETS = (Decimal("1"), Decimal("1.05"), Decimal("1.1"), Decimal("1.25"), Decimal("1.5"), Decimal("2"))
"""Upper bounds (exclusive) of the health-factor distribution's buckets; the last bucket is >= 2."""


class IrmWithoutTwin:
    """An interest rate model this project has no twin of (mainnet's AdaptiveCurveIrm): the import and the
    summary at the imported block need no rate; anything that accrues interest raises ScenarioError naming it."""

    def __init__(self, address: str):
        self.address = address

    def borrow_rate(self, params: Any, market: Any) -> int:
        """Raises ScenarioError: the rate of an IRM without a twin cannot be computed exactly."""
        raise ScenarioError(f"--move: the Morpho market's IRM at {self.address} has no twin in this project (only "
                            "the package's IrmMock and the zero IRM): interest after the imported block cannot be "
                            "predicted exactly")


# --------------------------------------------------------------------------------------------- options

@dataclass(frozen=True)
class Move:
    """One ``--move``: ``key`` (an asset, or a Morpho market) to ``value``: a price (USD per whole token; for
    Morpho, loan tokens per whole collateral token) or, when ``relative``, a fractional change (``-30%`` ->
    -0.3)."""

    key: str
    value: Decimal
    relative: bool
    text: str

    def new_price(self, old: int, scale: Decimal) -> int:
        """The published price in the oracle's integer units: ``value × scale`` (floor), or for a relative move
        ``old × (1 + value)`` (floor). Raises ScenarioError for a price <= 0."""
        raw = (EXACT.multiply(Decimal(old), EXACT.add(Decimal(1), self.value)) if self.relative
               else EXACT.multiply(self.value, scale))  # exact, then floored: no 28-digit rounding first
        price = int(raw.to_integral_value(ROUND_FLOOR))
        if price <= 0:
            raise ScenarioError(f"--move {self.text}: the new price must be > 0 (got {price} oracle units)")
        return price


_MOVE = re.compile(r"^(?P<key>[^=\s]+)=(?P<value>[+-]?[0-9]*\.?[0-9]+)(?P<pct>%?)$")


def parse_move(text: str) -> Move:
    """``ASSET=PRICE`` (a decimal price > 0) or ``ASSET=-30%`` (a change > -100 %). Raises ScenarioError naming
    the option and the rule."""
    m = _MOVE.match(text.strip())
    if not m:
        raise ScenarioError(f"--move {text!r}: expected ASSET=PRICE (e.g. WETH=1500) or ASSET=CHANGE% "
                            "(e.g. WETH=-30%)")
    try:
        value = Decimal(m["value"])
    except InvalidOperation:
        raise ScenarioError(f"--move {text!r}: not a number: {m['value']!r}") from None
    if m["pct"]:
        if value <= -100:
            raise ScenarioError(f"--move {text!r}: a change must be above -100%")
        return Move(m["key"], value / 100, True, text)
    if value <= 0:
        raise ScenarioError(f"--move {text!r}: a price must be > 0")
    return Move(m["key"], value, False, text)


def check_address(option: str, text: str) -> str:
    """``text`` as a checksum address. Raises ScenarioError naming ``option`` for anything else."""
    if not is_address(text) or not text.startswith("0x"):
        raise ScenarioError(f"{option} {text!r}: not an address (0x followed by 40 hex digits)")
    return to_checksum_address(text)


def parse_pairs(option: str, texts: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict. Raises ScenarioError naming ``option`` for a text without ``=``."""
    out = {}
    for t in texts:
        key, sep, value = t.partition("=")
        if not sep or not key or not value:
            raise ScenarioError(f"{option} {t!r}: expected KEY=VALUE")
        out[key] = value
    return out


def redacted(url: str) -> str:
    """``scheme://host:port`` of an RPC URL: its path and query (where providers put API keys) left out."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}" if parts.hostname else "?"


def check_rpc(url: str, block: int | None) -> int:
    """Ask the node at ``url`` for its head block (one ``eth_blockNumber``, 10 s timeout) before anything else.
    Returns the head. Raises ScenarioError naming ``--rpc`` (node unreachable, not JSON-RPC) or ``--block``
    (negative, or above the head)."""
    import requests

    from protocol_model.chain.state import rpc

    if urlsplit(url).scheme not in ("http", "https"):
        raise ScenarioError(f"--rpc {redacted(url)}: not an http(s) URL")
    try:
        head = int(str(rpc(url, "eth_blockNumber")), 16)
    except (requests.RequestException, RuntimeError, ValueError) as err:
        raise ScenarioError(f"--rpc {redacted(url)}: no JSON-RPC node answers there ({type(err).__name__}); "
                            "nothing was read or written") from None
    if block is not None and not 0 <= block <= head:
        raise ScenarioError(f"--block {block}: must be between 0 and the node's head block {head}")
    return head


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def connected(url: str, block: int | None) -> Iterator[Any]:
    """ape connected to the node at ``url`` (at its head), or with ``block`` to a local anvil forking it at that
    block (stopped on exit); yields this project's ape ``Project`` (the generic pool's ABIs). Raises ScenarioError
    naming ``--block`` when the fork cannot start."""
    from ape import networks
    from ape.logging import LogLevel, logger

    from protocol_model.chain.state import AnvilProcess
    from protocol_model.chain.story_chain import anvil_on_path, package_project

    previous = logger.level
    logger.set_level(LogLevel.ERROR)  # no per-call lines: the command prints its own summary
    project = package_project()
    fork = None
    if block is not None:
        anvil_on_path()
        try:
            fork = AnvilProcess.forking(url, block, _free_port()).start()
        except RuntimeError as err:
            raise ScenarioError(f"--block {block}: cannot fork the node at that block: {err}") from None
    try:
        with networks.parse_network_choice(fork.url if fork else url, disconnect_after=True):
            yield project
    finally:
        logger.set_level(previous)
        if fork is not None:
            fork.stop()


# --------------------------------------------------------------------------------------------- what is shown

def tokens(units: int, decimals: int | None) -> Decimal:
    """Token units as whole tokens (exact); the units themselves when the decimals are unknown."""
    return Decimal(units) if decimals is None else EXACT.scaleb(Decimal(units), -decimals)


def _wad(value: int) -> Decimal:
    """A WAD integer (health factor) as an exact decimal (never Python's 28-digit default context)."""
    return tokens(value, 18)


def _divide(value: int, unit: int | Decimal) -> Decimal:
    """``value / unit`` (a price or value in its oracle's units -> whole units): exact when the quotient terminates
    (a power-of-ten unit, as every oracle here), else to 60 significant digits, rounded down."""
    try:
        return EXACT.divide(Decimal(value), Decimal(unit))
    except Inexact:
        return Context(prec=60, rounding=ROUND_DOWN).divide(Decimal(value), Decimal(unit))


def _value(held: dict[str, int], decimals: dict[str, int | None], price: dict[str, Decimal]) -> Decimal:
    """The USD value of token units held, exact (``EXACT``: every digit of a whale's balance is kept)."""
    total = Decimal(0)
    for a, units in held.items():
        total = EXACT.add(total, EXACT.multiply(tokens(units, decimals[a]), price[a]))
    return total


@dataclass(frozen=True)
class AssetRow:
    """One reserve (generic, Aave V3) or market (Morpho Blue) at the imported block: its price (USD per whole
    token; Morpho: loan tokens per whole collateral token), what is supplied and borrowed (units of ``symbol``,
    the asset or the loan token), and its liquidation terms as text."""

    name: str
    address: str
    symbol: str
    price: Decimal
    supplied: int
    borrowed: int
    terms: str


@dataclass(frozen=True)
class PositionRow:
    """One indebted account (Morpho: one account in one market) at the imported block: collateral counted by the
    protocol and debt by asset (token units), their values in ``unit`` (USD, or a Morpho market's loan token),
    the health factor (None when the protocol computes none; Morpho: collateral value × LLTV / debt, a WAD rounded
    down, so it is below 1 exactly when Morpho's ``_isHealthy`` is false) and whether a liquidation would pass now."""

    account: str
    market: str
    """The Morpho market ('' for a pool-wide account)."""
    unit: str
    collateral: dict[str, int]
    """Asset -> token units counted as collateral (Aave: collateral flag set; generic: enabled and consented)."""
    debt: dict[str, int]
    collateral_value: Decimal
    debt_value: Decimal
    health_factor: Decimal | None
    liquidatable: bool


@dataclass(frozen=True)
class LiquidationRow:
    """One predicted liquidation, in token units: ``repaid`` (of ``debt``), ``seized`` from the borrower (of
    ``collateral``, the protocol fee included), ``protocol_fee`` (of ``collateral``), ``bad_debt`` written off (of
    ``debt``; Aave V3 1.19.3 writes none off)."""

    time: int
    borrower: str
    market: str
    collateral: str
    debt: str
    health_factor: Decimal | None
    repaid: int
    seized: int
    protocol_fee: int
    bad_debt: int


@dataclass
class PredictionView:
    """A price move's prediction as shown: the prices published (oracle units, by asset or market), who is
    liquidatable right after, each liquidation, debt left on accounts with no collateral that the protocol does
    not write off (``account/asset`` -> units; Aave V3), borrowers the keeper could not liquidate and why, and the
    library's own prediction object (``raw``)."""

    published: dict[str, int]
    liquidatable: list[str]
    liquidations: list[LiquidationRow]
    debt_left: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    raw: Any = None


@dataclass
class ImportView:
    """A deployment as imported: where and when it was read, its assets or markets, the number of accounts found,
    every indebted position, token decimals by asset name (None: the token answers no ``decimals()`` and none was
    given), notes on what the figures leave out, the twin (``imported``) and the prediction, if a move was given."""

    preset: str
    address: str
    block_number: int
    block_timestamp: int
    assets: list[AssetRow]
    accounts: int
    positions: list[PositionRow]
    decimals: dict[str, int | None]
    imported: Any
    notes: list[str] = field(default_factory=list)
    prediction: PredictionView | None = None


@dataclass(frozen=True)
class ImportOptions:
    """What to read: the deployment's ``address``, the log scan's first block, Morpho market ids (None: every
    created market), labels (address -> name), the keeper's address (None: a keeper in the twin only), Aave's
    lens, token decimals given for tokens without ``decimals()``, and the block read when it is a local fork's
    (``--block``: the Aave lens may then be deployed on that fork, never on the node)."""

    address: str
    from_block: int = 0
    markets: tuple[str, ...] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    keeper: str | None = None
    lens: str | None = None
    decimals: dict[str, int] = field(default_factory=dict)
    fork_block: int | None = None

    def all_labels(self) -> dict[str, str]:
        """The labels with the keeper's address named ``keeper``."""
        return {**self.labels, **({self.keeper: KEEPER} if self.keeper else {})}


def _pct(bps: int) -> str:
    return f"{Decimal(bps) / 100:g}%"


def _unknown(move: Move, what: str, known: Sequence[str]) -> ScenarioError:
    return ScenarioError(f"--move {move.text}: unknown {what} '{move.key}' (known: {list(known)})")


# --------------------------------------------------------------------------------------------- generic pool

def import_generic(project: Any, opts: ImportOptions) -> ImportView:
    """The generic LendingPool at ``opts.address`` imported, its positions at the imported block."""
    from protocol_model.chain.importer import import_pool
    from protocol_model.exact.lending.lending_pool import POOL
    from protocol_model.exact.math_lib import ray_mul_down, ray_mul_up
    from protocol_model.world.keeper import accrued, health_factor_at

    imported = import_pool(project, opts.address, labels=opts.all_labels(), from_block=opts.from_block,
                           extra_accounts=[opts.keeper] if opts.keeper else ())
    pool = imported.pool
    if not opts.keeper:
        for a in imported.asset_names:
            pool.ledger.mint(a, KEEPER, KEEPER_FUNDS)
            pool.ledger.approve(a, KEEPER, POOL, KEEPER_FUNDS)
    now = imported.block_timestamp
    view = accrued(pool, now)
    decimals: dict[str, int | None] = {a: view.assets[a].state.decimals for a in imported.asset_names}
    feeds = view.feeds
    price = {a: EXACT.scaleb(Decimal(feeds[a].answer), -feeds[a].decimals) if a in feeds else Decimal(0)
             for a in imported.asset_names}
    assets = []
    for a in imported.asset_names:
        c, s = view.assets[a].config, view.assets[a].state
        assets.append(AssetRow(a, imported.asset_address[a], a, price[a],
                               ray_mul_down(s.total_scaled_supply, s.supply_index_ray),
                               ray_mul_up(s.total_scaled_debt, s.borrow_index_ray),
                               f"LTV {_pct(c.ltv_bps)}, threshold {_pct(c.liquidation_threshold_bps)}, bonus "
                               f"{_pct(c.liquidation_bonus_bps)}, protocol fee {_pct(c.liquidation_protocol_fee_bps)}"
                               f"{'' if c.collateral_enabled else ', not collateral'}"))
    positions = []
    for acct in imported.account_names:
        debt = {a: d for a in imported.asset_names if (d := view.debt_balance(a, acct))}
        if not debt or acct == KEEPER:
            continue
        coll = {a: b for a in imported.asset_names if view.assets[a].config.collateral_enabled
                and (acct, a) in view.collateral_use and (b := view.supply_balance(a, acct))}
        hf = health_factor_at(view, acct)
        positions.append(PositionRow(
            acct, "", "USD", coll, debt, _value(coll, decimals, price), _value(debt, decimals, price),
            None if hf is None else _wad(hf), hf is not None and hf < WAD))
    return ImportView("generic", opts.address, imported.block_number, now, assets,
                      len([a for a in imported.account_names if a != KEEPER]), positions, decimals, imported)


def predict_generic(view: ImportView, moves: Sequence[Move]) -> PredictionView:
    """``predict_price_move`` with the moves as feed answers (the feed's decimals), from the block after."""
    from protocol_model.chain.importer import predict_price_move

    imported = view.imported
    answers = {}
    for m in moves:
        if m.key not in imported.asset_names:
            raise _unknown(m, "asset", imported.asset_names)
        feed = imported.pool.feeds[m.key]
        answers[m.key] = m.new_price(feed.answer, Decimal(10) ** feed.decimals)
    p = predict_price_move(imported, answers, KEEPER, view.block_timestamp + 1)
    rows = [LiquidationRow(q.time, q.action.borrower, "", q.action.collateral, q.action.debt,
                           _wad(q.health_factor_wad), q.amounts.repaid, q.amounts.seized,
                           q.amounts.protocol_fee, sum(b.amount for b in q.bad_debt)) for q in p.liquidations]
    return PredictionView(dict(answers), list(p.liquidatable), rows, skipped=dict(p.skipped), raw=p)


# --------------------------------------------------------------------------------------------- Aave V3

def _aave_base_unit(pool_address: str) -> int:
    """``AaveOracle.BASE_CURRENCY_UNIT()`` of the pool's oracle (1e8 for USD on Ethereum)."""
    from protocol_model.chain.aave_v3.deploy import ape_instance

    provider = ape_instance("PoolAddressesProvider", ape_instance("Pool", pool_address).ADDRESSES_PROVIDER())
    return int(ape_instance("AaveOracle", provider.getPriceOracle()).BASE_CURRENCY_UNIT())


def _fork_lens(project: Any) -> str:
    """Deploy this project's ``AaveV3Lens`` on the local fork (anvil's first dev account); returns its address."""
    from ape import accounts

    from protocol_model.chain.driver import GAS_LIMIT

    return str(accounts.test_accounts[0].deploy(project.AaveV3Lens, gas=GAS_LIMIT).address)


def import_aave_v3(project: Any, opts: ImportOptions) -> ImportView:
    """The Aave V3 Pool at ``opts.address`` imported, its positions at the imported block. Positions are read through
    ``opts.lens``, or on a local fork (``opts.fork_block``) through an ``AaveV3Lens`` deployed there (100 accounts a
    call; the fork's next block holds only the lens, the twin is read at ``fork_block``); else one call per account
    and reserve. The allowances to the pool are read only when the keeper is an account of the chain."""
    from protocol_model.chain.aave_v3.importer import import_aave, liquidatable_accounts
    from protocol_model.world.aave_v3 import TREASURY

    lens = opts.lens or (_fork_lens(project) if opts.fork_block is not None else None)
    imported = import_aave(opts.address, labels=opts.all_labels(), from_block=opts.from_block,
                           extra_accounts=[opts.keeper] if opts.keeper else (), project=project, lens=lens,
                           allowances=bool(opts.keeper), block_number=opts.fork_block)
    pool = imported.pool
    if not opts.keeper:
        for a in imported.asset_names:
            pool.ledger.mint(a, KEEPER, KEEPER_FUNDS)
            pool.ledger.approve(a, KEEPER, pool.pool_address, KEEPER_FUNDS)
    base = _aave_base_unit(opts.address)
    now = imported.block_timestamp
    pool.at(now)
    dec: dict[str, int | None] = {a: pool.reserves[a].decimals for a in imported.asset_names}
    assets = [AssetRow(a, imported.asset_address[a], a, _divide(pool.prices[a], base), pool.a_token_total_supply(a),
                       pool.variable_debt_total_supply(a),
                       f"LTV {_pct(r.ltv)}, threshold {_pct(r.liquidation_threshold)}, bonus "
                       f"{_pct(r.liquidation_bonus - 10_000)}, protocol fee {_pct(r.liquidation_protocol_fee)}"
                       f"{f', eMode {r.emode_category}' if r.emode_category else ''}")
              for a in imported.asset_names for r in [pool.reserves[a]]]
    borrowers = [a for a in imported.account_names if a not in (KEEPER, TREASURY)]
    unhealthy = set(liquidatable_accounts(pool, borrowers, now))
    positions = []
    for acct in borrowers:
        debt = {a: d for a in imported.asset_names if (d := pool.variable_debt_balance(a, acct))}
        if not debt:
            continue
        config = pool.user_config(acct)
        coll = {a: b for a in imported.asset_names
                if pool.reserves[a].id in config.collateral and (b := pool.a_token_balance(a, acct))}
        data = pool.get_user_account_data(acct)
        positions.append(PositionRow(acct, "", "USD", coll, debt, _divide(data.total_collateral_base, base),
                                     _divide(data.total_debt_base, base), _wad(data.health_factor),
                                     acct in unhealthy))
    notes = ["Aave V3 1.19.3 writes off no bad debt: debt left without collateral stays on the books"]
    return ImportView("aave-v3", opts.address, imported.block_number, now, assets, len(borrowers), positions,
                      dec, imported, notes)


def predict_aave(view: ImportView, moves: Sequence[Move]) -> PredictionView:
    """``predict_aave_price_move`` with the moves as AaveOracle prices (base currency units), from the block
    after."""
    from protocol_model.chain.aave_v3.importer import predict_aave_price_move

    imported = view.imported
    base = Decimal(_aave_base_unit(view.address))
    prices = {}
    for m in moves:
        if m.key not in imported.asset_names:
            raise _unknown(m, "reserve", imported.asset_names)
        prices[m.key] = m.new_price(imported.pool.prices[m.key], base)
    try:
        p = predict_aave_price_move(imported, prices, KEEPER, view.block_timestamp + 1)
    except ValueError as err:
        raise ScenarioError(f"--move: {err}") from None
    rows = [LiquidationRow(q.time, q.borrower, "", q.collateral, q.debt, _wad(q.health_factor_wad),
                           q.amounts.debt, q.amounts.collateral + q.amounts.protocol_fee, q.amounts.protocol_fee, 0)
            for q in p.liquidations]
    return PredictionView(dict(prices), list(p.liquidatable), rows,
                          {f"{u}/{a}": v for (u, a), v in p.debt_left_uncollateralised.items()}, raw=p)


# --------------------------------------------------------------------------------------------- Morpho Blue

def _token_decimals(address: str, name: str, given: dict[str, int]) -> int | None:
    """A token's ``decimals()``, else the ``--decimals`` given for its name, else None."""
    from protocol_model.chain.aave_v3.deploy import ape_instance

    if name in given:
        return given[name]
    try:
        return int(ape_instance("IERC20Detailed", address).decimals())
    except Exception:  # noqa: BLE001 - a token without decimals() (Morpho's ERC20Mock)
        return None


def _morpho_accrued(imported: Any, now: int) -> tuple[Any, list[str]]:
    """A copy of the Morpho twin with every market accrued to ``now``; a market whose IRM has no twin stays at its
    last update (noted)."""
    morpho, notes = copy.deepcopy(imported.morpho), []
    for name, p in imported.params.items():
        try:
            morpho.accrue_interest(TWIN_KEEPER_ADDRESS, p, now)
        except ScenarioError:
            notes.append(f"{name}: interest since the market's last update is not included (its IRM has no twin)")
    return morpho, notes


def import_morpho_blue(project: Any, opts: ImportOptions) -> ImportView:
    """Morpho Blue at ``opts.address`` imported (markets ``opts.markets``, default every created market), its
    positions at the imported block (interest accrued to it where the IRM has a twin). Values are in each
    market's loan token."""
    from protocol_model.chain.morpho_importer import import_morpho
    from protocol_model.exact.presets.morpho_blue.constants_lib import ORACLE_PRICE_SCALE
    from protocol_model.exact.presets.morpho_blue.morpho import liquidation_incentive_factor
    from protocol_model.exact.presets.morpho_blue.shares_math_lib import to_assets_up

    del project
    imported = import_morpho(opts.address, list(opts.markets) if opts.markets else None, labels=opts.all_labels(),
                             extra_accounts=[opts.keeper] if opts.keeper else (), from_block=opts.from_block,
                             unknown_irm=IrmWithoutTwin)
    a = imported.addresses
    if not opts.keeper:
        a.accounts[KEEPER] = TWIN_KEEPER_ADDRESS
        for token in a.tokens.values():
            imported.morpho.ledger.mint(token, TWIN_KEEPER_ADDRESS, KEEPER_FUNDS)
            imported.morpho.ledger.approve(token, TWIN_KEEPER_ADDRESS, a.morpho, KEEPER_FUNDS)
    now = imported.block_timestamp
    decimals = {n: _token_decimals(t, n, opts.decimals) for n, t in a.tokens.items()}
    symbol = {t: n for n, t in a.tokens.items()}
    morpho, notes = _morpho_accrued(imported, now)
    assets, positions = [], []
    for name, p in imported.params.items():
        mid, coll, loan = imported.ids[name], symbol[p.collateral_token], symbol[p.loan_token]
        m, price = morpho.market[mid], morpho.oracles[p.oracle].price
        scale = ORACLE_PRICE_SCALE * Decimal(10) ** ((decimals[loan] or 0) - (decimals[coll] or 0))
        assets.append(AssetRow(name, "0x" + mid.hex(), loan, _divide(price, scale), m.total_supply_assets,
                               m.total_borrow_assets, f"LLTV {_pct(p.lltv // 10**14)}, LIF "
                               f"{Decimal(liquidation_incentive_factor(p.lltv)) / WAD:.4f}, fee "
                               f"{_pct(m.fee // 10**14)}"))
        for acct, who in a.accounts.items():
            pos = morpho.position.get((mid, who))
            if acct in (KEEPER, "owner") or pos is None or pos.borrow_shares == 0:
                continue
            owed = to_assets_up(pos.borrow_shares, m.total_borrow_assets, m.total_borrow_shares)
            value = pos.collateral * price // ORACLE_PRICE_SCALE
            positions.append(PositionRow(
                acct, name, loan, {coll: pos.collateral} if pos.collateral else {}, {loan: owed},
                tokens(value, decimals[loan]), tokens(owed, decimals[loan]),
                _wad(value * p.lltv // owed), not morpho.is_healthy(p, who)))
    accounts = len([n for n in a.accounts if n not in (KEEPER, "owner")])
    return ImportView("morpho-blue", opts.address, imported.block_number, now, assets, accounts, positions,
                      dict(decimals), imported, notes)


def predict_morpho(view: ImportView, moves: Sequence[Move]) -> PredictionView:
    """``predict_morpho_price_move`` with the moves as oracle prices (1e36 scale, by market), from the block
    after. An absolute price needs both tokens' decimals."""
    from protocol_model.chain.morpho_importer import predict_morpho_price_move
    from protocol_model.exact.presets.morpho_blue.constants_lib import ORACLE_PRICE_SCALE

    imported = view.imported
    symbol = {t: n for n, t in imported.addresses.tokens.items()}
    prices = {}
    for m in moves:
        p = imported.params.get(m.key)
        if p is None:
            raise _unknown(m, "market", list(imported.params))
        loan, coll = view.decimals[symbol[p.loan_token]], view.decimals[symbol[p.collateral_token]]
        if not m.relative and (loan is None or coll is None):
            raise ScenarioError(f"--move {m.text}: a token of market {m.key} answers no decimals(): give "
                                f"--decimals TOKEN=N, or a relative move ({m.key}=-25%)")
        scale = ORACLE_PRICE_SCALE * Decimal(10) ** ((loan or 0) - (coll or 0))
        prices[m.key] = m.new_price(imported.morpho.oracles[p.oracle].price, scale)
    p = predict_morpho_price_move(imported, prices, KEEPER, view.block_timestamp + 1)
    tokens_of = {n: (symbol[q.collateral_token], symbol[q.loan_token]) for n, q in imported.params.items()}
    rows = [LiquidationRow(q.time, q.borrower, q.market, *tokens_of[q.market], None, q.repaid_assets,
                           q.seized_assets, 0, q.bad_debt_assets) for q in p.liquidations]
    return PredictionView(dict(prices), [f"{b} ({mk})" for mk, b in p.liquidatable], rows, raw=p)


IMPORTERS = {"generic": (import_generic, predict_generic), "aave-v3": (import_aave_v3, predict_aave),
             "morpho-blue": (import_morpho_blue, predict_morpho)}
"""Preset -> (import, predict)."""


def run_import(project: Any, preset: str, opts: ImportOptions, moves: Sequence[Move]) -> ImportView:
    """Import ``preset``'s deployment (ape connected), then predict ``moves`` if any. Raises ScenarioError naming
    ``--address`` when nothing is deployed there or it does not read as ``preset``, and the option at fault for a
    bad move."""
    from ape import chain

    if not bytes(chain.provider.web3.eth.get_code(opts.address)):
        raise ScenarioError(f"--address {opts.address}: no contract there (at block {chain.blocks.head.number})")
    read, predict = IMPORTERS[preset]
    try:
        view = read(project, opts)
    except ScenarioError:
        raise
    except Exception as err:  # noqa: BLE001 - any failed read means the address is not this preset's deployment
        raise ScenarioError(f"--address {opts.address}: not readable as a {preset} deployment "
                            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})") from None
    if moves:
        view.prediction = predict(view, moves)
    return view
