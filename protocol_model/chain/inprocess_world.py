"""Every differential world deployed on the in-process chain (revm) by the same code that deploys it on anvil.

``deploy_in_process(scenario)`` is ``ChainWorld.deploy`` with an ``InProcessChain`` as the driver: the same
contracts from the same compiled artifacts (``.build`` and the Uniswap V2 npm build), in the same order with
the same constructor arguments, and every step kind sent through the same step registry
(``adapter.LENDING_STEPS``: pool, oracle, AMM and loop kinds; a scenario with ``amm_pairs`` brings the
pairs and the Looper). The chain's first funded account deploys; the scenario's accounts, in file order,
are its accounts 1, 2, ... (as on anvil, ``record.scenario_signers``).

The other worlds follow the same rule, each through its own adapter with the chain as driver:
``deploy_perp_in_process`` (``PerpChainWorld``), ``deploy_leveraged_in_process`` (``LevWorld``) and
``deploy_pair_in_process`` (``PairWorld``: a bare Uniswap V2 pair). Worlds built from fixed names take the
names of ``SIGNER_NAMES`` for accounts 1, 2, ... as the test suite's ``signers`` fixture does on anvil.

The lending world ``deploy_in_process`` returns is an ``InProcessWorld``: a ``ChainWorld`` whose ``snapshot`` is
the same full table of fields, read faster, after every step. Every field kept in storage (each asset's state
words and the pool's token balance, each position's scaled supply, scaled debt, token balance and collateral
consent) is read straight
from revm's storage at the slots the compiler's storage layout gives (``inprocess_storage``), on every call. The
fields the contracts compute (prices, supply and debt balances, account values and health factors, the AMM tables)
come from the contracts' own views through ``PoolViewLens.views`` (PoolLens without the stored fields; its runtime
code is put on the chain with ``set_code``) and the AMM lens, read again whenever the chain's ``state_key`` moved
(a mined block, a restore) and otherwise reused: an unchanged state at an unchanged block gives the same views.
The first view read and every ``LENS_CHECK_EVERY``-th one also read everything through PoolLens alone
(``verify_against_lens``) and must be identical, so a wrong slot or view cannot go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils import keccak, to_checksum_address

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import Account, ChainCallFailed
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_abi import Function
from protocol_model.chain.inprocess_storage import Word, WordReads, storage_layouts
from protocol_model.chain.leveraged import LevWorld
from protocol_model.chain.pair_world import PAIR_TOKENS, PairWorld
from protocol_model.chain.perp_adapter import PerpChainWorld
from protocol_model.chain.record import scenario_signers
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.scenario.perp import PerpScenario
from protocol_model.scenario.story import Scenario
from protocol_model.world.model_world import ModelWorld
from protocol_model.world.snapshot import ACCOUNT_FIELDS, Snapshot

ASSET_STATE_MEMBERS = ("totalScaledSupply", "totalScaledDebt", "supplyIndexRay", "borrowIndexRay", "reserves",
                       "badDebt", "lastUpdate")
"""``LendingPool.AssetState`` members behind ASSET_FIELDS[0:7]; ASSET_FIELDS[7] is the token's ``_balances``."""
STORED_ASSET_FIELDS = tuple(range(8))
"""Indices of ASSET_FIELDS read from storage (the rest, price_ok and price_wad, are the router's view)."""
STORED_POSITION_FIELDS = (0, 1, 4, 5)
"""Indices of POSITION_FIELDS read from storage (scaled supply, scaled debt, token balance, collateral consent);
supply and debt balances are the pool's views."""
VIEW_LENS_ADDRESS = to_checksum_address(keccak(text="protocol_model: in-process PoolViewLens")[12:])
"""Where ``InProcessWorld`` puts PoolViewLens's runtime code (``InProcessChain.set_code``)."""
LENS_CHECK_EVERY = 64
"""Every this many view reads (the first included), the whole fast snapshot is also compared with the
lens-only read (``verify_against_lens``): a wrong storage slot or view cannot go unnoticed for long."""

SIGNER_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory")
"""Fixed account names of the worlds built by hand (leveraged tokens, the bare pair) -> accounts 1, 2, ..."""


def named_signers(chain: InProcessChain) -> dict[str, Account]:
    """``SIGNER_NAMES`` -> the chain's funded accounts 1, 2, ... (account 0 deploys)."""
    return dict(zip(SIGNER_NAMES, chain.accounts[1:], strict=False))


class LensMismatch(RuntimeError):
    """The fast read (storage + PoolViewLens) disagrees with the lens-only read: a bug of the reader."""


@dataclass(frozen=True)
class Views:
    """The view-computed fields at one ``state_key``: per asset (price_ok, price_wad), per position
    (supply_balance, debt_balance), per account the five ACCOUNT_FIELDS, and the AMM tables (keyword
    arguments of ``Snapshot``)."""

    key: Any
    prices: tuple[tuple[int, int], ...]
    balances: tuple[tuple[int, int], ...]
    accounts: dict[str, tuple[int, ...]]
    amm: dict[str, Any]


def pool_storage_reads(world: ChainWorld) -> WordReads:
    """Every stored field of the snapshot as one ``WordReads``: per asset (scenario order) the seven state
    members then the pool's token balance, then per (asset, account) position (asset-major) the scaled
    supply, scaled debt, the account's token balance and its collateral consent: bit ``id`` of
    ``_accountAssets[account]``, ``id`` being the asset's place in ``assetList()`` (``usesAsCollateral`` also
    asks that the asset be listed: every scenario asset is, and a listing is never undone). Raises
    ``StorageLayoutError`` when the layout lacks a variable."""
    layouts = storage_layouts()
    pool, token = layouts["LendingPool"], layouts["MockERC20"]
    pool_at = str(world.pool.address)
    names = [a.name for a in world.scenario.assets]
    accounts = [world.address_of(a.name) for a in world.scenario.accounts]
    listed = [to_checksum_address(a) for a in world.driver.view(world.pool, "assetList")]
    reads: list[tuple[str, Word]] = []
    for name in names:
        asset = str(world.tokens[name].address)
        base, struct = pool.mapped("_markets", asset)
        reads += [(pool_at, pool.member(base.slot, struct, m)) for m in ASSET_STATE_MEMBERS]
        reads.append((asset, token.mapped("_balances", pool_at)[0]))
    for name in names:
        asset = str(world.tokens[name].address)
        bit = listed.index(to_checksum_address(asset))
        for acct in accounts:
            reads += [(pool_at, pool.mapped("scaledSupplyOf", asset, acct)[0]),
                      (pool_at, pool.mapped("scaledDebtOf", asset, acct)[0]),
                      (asset, token.mapped("_balances", acct)[0]),
                      (pool_at, replace(pool.mapped("_accountAssets", acct)[0], bit=bit))]
    return WordReads(reads)


@dataclass
class InProcessWorld(ChainWorld):
    """``ChainWorld`` on an ``InProcessChain``: the same deployment and steps, a faster ``snapshot`` (stored
    fields from revm storage on every call, computed fields from the lenses whenever the state changed; see
    the module docstring). ``lens_snapshot`` is ``ChainWorld``'s own read, for comparison."""

    _stored: WordReads | None = field(default=None, init=False, repr=False, compare=False)
    _views: Views | None = field(default=None, init=False, repr=False, compare=False)
    _viewer: tuple[str, bytes, Function] | None = field(default=None, init=False, repr=False, compare=False)
    _view_reads: int = field(default=0, init=False, repr=False, compare=False)

    @property
    def chain(self) -> InProcessChain:
        """The in-process chain driving this world."""
        if not isinstance(self.driver, InProcessChain):
            raise TypeError("InProcessWorld needs an InProcessChain driver")
        return self.driver

    def stored_reads(self) -> WordReads:
        """The storage reads of the stored fields (built once per world: addresses do not move)."""
        if self._stored is None:
            self._stored = pool_storage_reads(self)
        return self._stored

    def stored_values(self) -> list[int]:
        """The stored fields in ``pool_storage_reads`` order, read from revm storage now."""
        return self.stored_reads().read(self.chain.evm)

    def lens_snapshot(self) -> Snapshot:
        """Every field through the lenses alone (``ChainWorld.snapshot``: PoolLens, AmmLens)."""
        return ChainWorld.snapshot(self)

    def snapshot(self) -> Snapshot:
        """Every field of ``ChainWorld.snapshot``, equal to it at every state (see the module docstring).
        Raises ``LensMismatch`` when a periodic check finds the fast read differing from ``lens_snapshot``."""
        viewer = self._view_lens()
        stored = self.stored_values()
        views = self._views
        key = self.chain.state_key()
        if views is None or views.key != key:
            views = self._views = self._read_views(key, viewer)
            self._view_reads += 1
            if (self._view_reads - 1) % LENS_CHECK_EVERY == 0:
                return self.verify_against_lens(self._assemble(stored, views))
        return self._assemble(stored, views)

    def verify_against_lens(self, snapshot: Snapshot | None = None) -> Snapshot:
        """Read everything through ``lens_snapshot`` too and return ``snapshot`` (default: a fresh fast read)
        if it is identical. Raises ``LensMismatch`` naming the first stored read (a wrong storage map) or the
        fields that differ."""
        fast = snapshot if snapshot is not None else self._assemble(self.stored_values(), self._read_views(None))
        full = self.lens_snapshot()
        if fast == full:
            return fast
        expected, stored = stored_fields(full), stored_fields(fast)
        for i, (a, b) in enumerate(zip(expected, stored, strict=True)):
            if a != b:
                raise LensMismatch(f"storage read #{i} ({self.stored_reads().reads[i]}) gives {b}, the lens {a}: "
                                   "the storage map is wrong")
        raise LensMismatch(f"the view lens disagrees with PoolLens: {full.diff(fast)[:5]}")

    def _view_lens(self) -> tuple[str, bytes, Function] | None:
        """(address, calldata, function) of ``PoolViewLens.views`` over this world's assets and accounts, put
        on the chain at first use (``set_code``); None when the build has no PoolViewLens (then the views
        come from ``lens_snapshot``)."""
        if self._viewer is None:
            art = self.chain.project.contracts.get("PoolViewLens")
            if art is None or not art.runtime_hex:
                return None
            self.chain.set_code(VIEW_LENS_ADDRESS, bytes.fromhex(art.runtime_hex))
            fn = art.functions["views"][0]
            tokens = [str(self.tokens[a.name].address) for a in self.scenario.assets]
            accounts = [self.address_of(a.name) for a in self.scenario.accounts]
            self._viewer = (VIEW_LENS_ADDRESS, fn.encode((str(self.pool.address), tokens, accounts)), fn)
        return self._viewer

    def _read_views(self, key: Any, viewer: tuple[str, bytes, Function] | None = None) -> Views:
        names = [a.name for a in self.scenario.assets]
        accts = [a.name for a in self.scenario.accounts]
        viewer = viewer or self._view_lens()
        if viewer is None:  # a build without PoolViewLens: the computed fields from PoolLens
            full = self.lens_snapshot()
            amm = {} if self.amm is None else {"pairs": full.pairs, "holdings": full.holdings,
                                               "decimals": full.decimals, "pair_tokens": full.pair_tokens}
            return Views(key, tuple((full.assets[n][8], full.assets[n][9]) for n in names),
                         tuple((full.positions[(n, a)][2], full.positions[(n, a)][3]) for n in names for a in accts),
                         dict(full.accounts), amm)
        address, data, fn = viewer
        ok, out = self.chain.call_static(address, data)
        if not ok:
            raise ChainCallFailed(f"PoolViewLens.views: {self.chain.project.revert_name(out)}")
        prices, balances, values = fn.decode(out)
        n = len(ACCOUNT_FIELDS)
        return Views(key, tuple(zip(prices[0::2], prices[1::2], strict=True)),
                     tuple(zip(balances[0::2], balances[1::2], strict=True)),
                     {a: tuple(values[j * n:(j + 1) * n]) for j, a in enumerate(accts)},
                     self.amm.snapshot(self) if self.amm is not None else {})

    def _assemble(self, stored: list[int], views: Views) -> Snapshot:
        names = [a.name for a in self.scenario.assets]
        accts = [a.name for a in self.scenario.accounts]
        assets = {n: (*stored[i * 8:(i + 1) * 8], *views.prices[i]) for i, n in enumerate(names)}
        positions = {}
        o, k = 8 * len(names), 0
        for asset in names:
            for acct in accts:
                s, b = stored[o:o + 4], views.balances[k]
                positions[(asset, acct)] = (s[0], s[1], b[0], b[1], s[2], s[3])
                o, k = o + 4, k + 1
        return Snapshot(assets, positions, views.accounts, **views.amm)


def stored_fields(snapshot: Snapshot) -> list[int]:
    """The snapshot's stored fields in ``pool_storage_reads`` order (assets' STORED_ASSET_FIELDS, then each
    position's STORED_POSITION_FIELDS, asset-major), from any snapshot with the scenario's key order."""
    out = [v for row in snapshot.assets.values() for v in row[:len(STORED_ASSET_FIELDS)]]
    for row in snapshot.positions.values():
        out += (row[i] for i in STORED_POSITION_FIELDS)
    return out


def deploy_in_process(scenario: Scenario, chain: InProcessChain | None = None) -> InProcessWorld:
    """Deploy ``scenario`` (a lending story, with oracle policies and AMM pairs if it has them) on ``chain``
    (a fresh ``InProcessChain`` by default) as an ``InProcessWorld`` (a ``ChainWorld``) driven by that chain.
    Raises ``ScenarioError`` when the scenario has more accounts than the chain funds besides the deployer."""
    c = chain or InProcessChain()
    world = InProcessWorld.deploy(scenario, c.project, c.accounts[0], scenario_signers(scenario, c.accounts),
                                  driver=c)
    assert isinstance(world, InProcessWorld)  # noqa: S101 - ChainWorld.deploy builds cls
    return world


def model_stored_fields(model: ModelWorld) -> list[int]:
    """``stored_fields(model.snapshot())`` read straight from the model's pool and token ledger (no views
    computed): the model side of the sampled comparison."""
    p, ledger = model.pool, model.pool.ledger
    out: list[int] = []
    for name in model.asset_names:
        s = p.assets[name].state
        out += (s.total_scaled_supply, s.total_scaled_debt, s.supply_index_ray, s.borrow_index_ray, s.reserves,
                s.bad_debt, s.last_update, ledger.balance(name, POOL))
    supply, debt = p.scaled_supply, p.scaled_debt
    for asset in model.asset_names:
        for acct in model.account_names:
            out += (supply.get((asset, acct), 0), debt.get((asset, acct), 0), ledger.balance(asset, acct),
                    int((acct, asset) in p.collateral_use))
    return out


def deploy_perp_in_process(scenario: PerpScenario, chain: InProcessChain | None = None) -> PerpChainWorld:
    """Deploy the perp ``scenario`` (token, index feeds, router, PerpEngine, lens) on ``chain`` (default: a
    fresh one) as a ``PerpChainWorld`` driven by it. Raises ``ScenarioError`` as ``deploy_in_process``."""
    c = chain or InProcessChain()
    return PerpChainWorld.deploy(scenario, c.project, c.accounts[0], scenario_signers(scenario, c.accounts),
                                 driver=c)


def deploy_leveraged_in_process(chain: InProcessChain | None = None) -> LevWorld:
    """The leveraged-token world (pool, seeded pair, 2x and 3x vaults: ``LevWorld.deploy``'s defaults) on
    ``chain`` (default: a fresh one), its actors named by ``named_signers``."""
    c = chain or InProcessChain()
    return LevWorld.deploy(c.project, c.accounts[0], named_signers(c), driver=c)


def deploy_pair_in_process(actors: tuple[str, ...], start_balance: int,
                           chain: InProcessChain | None = None,
                           pair_tokens: tuple[tuple[str, int], tuple[str, int]] = PAIR_TOKENS) -> PairWorld:
    """A bare Uniswap V2 pair (``PairWorld.deploy``) of ``pair_tokens`` ((name, decimals) twice) on ``chain``
    (default: a fresh one); ``actors`` (names of ``SIGNER_NAMES``) each hold ``start_balance`` units of both
    tokens."""
    c = chain or InProcessChain()
    return PairWorld.deploy(c.project, c.accounts[0], named_signers(c), c, actors, start_balance, pair_tokens)
