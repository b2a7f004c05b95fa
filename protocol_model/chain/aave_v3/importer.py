"""Chain -> Aave V3 twin: read a deployed Aave V3 pool (npm ``@aave/core-v3`` 1.19.3, or a live deployment of
the same version) into the exact preset (``protocol_model/exact/presets/aave_v3``), predict what a price move
does, and compare the prediction with the chain.

``import_aave`` takes the Pool's address and reads, at the head block: every reserve (``getReservesList``; its
ERC-20 symbol and decimals, the configuration bitmap unpacked, indexes, rates, last update, accrued-to-treasury,
isolation-mode debt, the interest rate strategy's parameters, the aToken's and variable debt token's scaled
totals and the underlying the aToken holds), every price (``AaveOracle.getAssetPrice``), the eMode categories in
use, and every account's position: collateral flags and borrowing bits (``getUserConfiguration``), eMode, scaled
aToken and variable-debt balances, wallet balances and allowances to the pool. The pool keeps no account list:
accounts are enumerated from the Pool's ``Supply`` and ``Borrow`` logs (``onBehalfOf``) and every aToken's
``Transfer`` logs (the recipient: the treasury's minted fees, aTokens received on liquidation or by transfer),
in chunks (:func:`protocol_model.chain.importer.log_addresses`).

``predict_aave_price_move`` publishes new prices on a copy of the twin and runs a keeper: who becomes
liquidatable, each ``liquidationCall``'s collateral seized, debt repaid and protocol fee, and the debt left on
accounts with no collateral. Aave V3 1.19.3 writes off no bad debt (the deficit accounting came in 3.3): that
debt stays on the books, and the prediction says so (``bad_debt_written_off`` is always 0).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from protocol_model.chain.aave_v3.deploy import ZERO, ape_instance
from protocol_model.chain.importer import Imported, event_topic, log_addresses
from protocol_model.exact.errors import PoolError
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.aave_v3.liquidation_logic import LiquidationAmounts
from protocol_model.exact.presets.aave_v3.params import RateStrategyParams
from protocol_model.exact.presets.aave_v3.pool import Pool
from protocol_model.exact.presets.aave_v3.state import (
    EModeCategory,
    ReserveData,
    ScaledBalanceToken,
    UserConfiguration,
)
from protocol_model.world.aave_v3 import MAX, RESERVE_FIELDS, TREASURY, aave_snapshot

WAD = 10**18


def _bits(word: int, start: int, width: int) -> int:
    return (word >> start) & ((1 << width) - 1)


OTHER_CONFIGURATION_BITS = (1 << 63) | (((1 << 36) - 1) << 176) | (((1 << 4) - 1) << 252)
"""The bitmap's bits the twin does not read: flash loans enabled, the unbacked mint cap, the unused top bits."""


def reserve_from_bitmap(asset: str, reserve_id: int, word: int, strategy: RateStrategyParams) -> ReserveData:
    """A ``ReserveData`` with the configuration unpacked from ``ReserveConfiguration``'s bitmap (1.19.3 layout:
    LTV 0-15, threshold 16-31, bonus 32-47, decimals 48-55, active 56, frozen 57, borrowing 58, stable 59, paused
    60, borrowable in isolation 61, siloed 62, reserve factor 64-79, borrow cap 80-115, supply cap 116-151,
    protocol fee 152-167, eMode 168-175, debt ceiling 212-251). Raises ValueError for stable-rate borrowing
    enabled (not modelled)."""
    if _bits(word, 59, 1):
        raise ValueError(f"reserve {asset}: stable-rate borrowing is enabled (the twin models variable debt only)")
    return ReserveData(
        asset=asset, id=reserve_id, decimals=_bits(word, 48, 8), ltv=_bits(word, 0, 16),
        liquidation_threshold=_bits(word, 16, 16), liquidation_bonus=_bits(word, 32, 16),
        reserve_factor=_bits(word, 64, 16), liquidation_protocol_fee=_bits(word, 152, 16),
        supply_cap=_bits(word, 116, 36), borrow_cap=_bits(word, 80, 36), debt_ceiling=_bits(word, 212, 40),
        borrowable_in_isolation=bool(_bits(word, 61, 1)), borrowing_enabled=bool(_bits(word, 58, 1)),
        emode_category=_bits(word, 168, 8), strategy=strategy, a_token=ScaledBalanceToken(f"a{asset}"),
        variable_debt_token=ScaledBalanceToken(f"vd{asset}"), active=bool(_bits(word, 56, 1)),
        frozen=bool(_bits(word, 57, 1)), paused=bool(_bits(word, 60, 1)), siloed_borrowing=bool(_bits(word, 62, 1)),
        other_configuration=word & OTHER_CONFIGURATION_BITS)


def strategy_params(strategy: Any) -> RateStrategyParams:
    """``DefaultReserveInterestRateStrategy``'s constructor arguments read back from its getters (the base
    stable rate offset is ``getBaseStableBorrowRate() − getVariableRateSlope1()``)."""
    slope1 = int(strategy.getVariableRateSlope1())
    return RateStrategyParams(
        optimal_usage_ratio=int(strategy.OPTIMAL_USAGE_RATIO()),
        base_variable_borrow_rate=int(strategy.getBaseVariableBorrowRate()), variable_rate_slope1=slope1,
        variable_rate_slope2=int(strategy.getVariableRateSlope2()),
        stable_rate_slope1=int(strategy.getStableRateSlope1()), stable_rate_slope2=int(strategy.getStableRateSlope2()),
        base_stable_rate_offset=int(strategy.getBaseStableBorrowRate()) - slope1,
        stable_rate_excess_offset=int(strategy.getStableRateExcessOffset()),
        optimal_stable_to_total_debt_ratio=int(strategy.OPTIMAL_STABLE_TO_TOTAL_DEBT_RATIO()))


@dataclass
class ImportedAave(Imported):
    """The Aave V3 twin loaded from chain, with the names used for reserves (ERC-20 symbols) and accounts, and
    the addresses behind them. ``account_names`` holds every account found (the treasury, named ``treasury``,
    last)."""

    pool: Pool
    sources: dict[str, str] = field(default_factory=dict)
    """Asset -> the price source (aggregator) AaveOracle reads."""
    pool_address: str = ""

    def snapshot(self, now: int | None = None) -> list[int]:
        """Every observable in ``AaveV3Lens.snapshot``'s order (reserves, then each account of
        ``account_names``) at block time ``now`` (default: the imported block's)."""
        return aave_snapshot(self.pool, self.block_timestamp if now is None else now, self.account_names)


def import_aave(pool_address: str, *, labels: dict[str, str] | None = None, extra_accounts: Sequence[str] = (),
                from_block: int = 0, block_number: int | None = None, project: Any = None, lens: str | None = None,
                allowances: bool = True) -> ImportedAave:
    """Read the Aave V3 pool at ``pool_address`` (at the head block, or ``block_number`` for the account scan and
    the block's time) into the twin. ``labels`` maps addresses to account names (default: the checksum
    address); ``extra_accounts`` (e.g. a liquidator) are read too; ``from_block`` bounds the log scan (the
    deployment block is enough). With ``lens`` (the address of this project's ``AaveV3Lens``, and ``project``
    for its ABI) the positions are read in batches of ``LENS_BATCH`` accounts per call (a live pool has tens of
    thousands); ``allowances=False`` skips the allowances to the pool (one call per account and reserve; the
    twin then holds none). Raises ValueError for a reserve the twin does not model (stable-rate debt)."""
    from ape import chain

    head = chain.blocks.head if block_number is None else chain.blocks[block_number]
    labels = {to_checksum_address(k): v for k, v in (labels or {}).items()}
    pool = ape_instance("Pool", pool_address)
    provider = ape_instance("PoolAddressesProvider", pool.ADDRESSES_PROVIDER())
    oracle = ape_instance("AaveOracle", provider.getPriceOracle())
    ledger = Ledger()
    model = Pool(ledger=ledger, treasury=TREASURY)
    asset_address: dict[str, str] = {}
    a_tokens: dict[str, Any] = {}
    v_tokens: dict[str, Any] = {}
    treasury = ZERO
    for address in pool.getReservesList():
        token = ape_instance("IERC20Detailed", address)
        name = str(token.symbol())
        if name in asset_address:
            name = f"{name}_{address[2:8]}"
        asset_address[name] = str(address)
        d = pool.getReserveData(address)
        r = reserve_from_bitmap(name, int(d.id), int(d.configuration[0]),
                                strategy_params(ape_instance("DefaultReserveInterestRateStrategy",
                                                             d.interestRateStrategyAddress)))
        (r.liquidity_index, r.current_liquidity_rate, r.variable_borrow_index, r.current_variable_borrow_rate,
         r.current_stable_borrow_rate, r.last_update_timestamp, r.accrued_to_treasury, r.unbacked,
         r.isolation_mode_total_debt) = (int(d.liquidityIndex), int(d.currentLiquidityRate),
                                         int(d.variableBorrowIndex), int(d.currentVariableBorrowRate),
                                         int(d.currentStableBorrowRate), int(d.lastUpdateTimestamp),
                                         int(d.accruedToTreasury), int(d.unbacked), int(d.isolationModeTotalDebt))
        if int(ape_instance("StableDebtToken", d.stableDebtTokenAddress).totalSupply()):
            raise ValueError(f"reserve {name}: stable-rate debt outstanding (the twin models variable debt only)")
        a_tokens[name] = ape_instance("AToken", d.aTokenAddress)
        v_tokens[name] = ape_instance("VariableDebtToken", d.variableDebtTokenAddress)
        r.a_token.total = int(a_tokens[name].scaledTotalSupply())
        r.variable_debt_token.total = int(v_tokens[name].scaledTotalSupply())
        treasury = str(a_tokens[name].RESERVE_TREASURY_ADDRESS())
        model.reserves[name] = r
        model.reserves_list.append(name)
        model.prices[name] = int(oracle.getAssetPrice(address))
        ledger.mint(name, r.a_token.address, int(token.balanceOf(d.aTokenAddress)))
    model.reserves_list.sort(key=lambda n: model.reserves[n].id)

    topics = {event_topic(_event_abi("Pool", "Supply")): 2, event_topic(_event_abi("Pool", "Borrow")): 2}
    found = log_addresses(str(pool.address), topics, from_block, head.number)
    transfers = {event_topic(_event_abi("AToken", "Transfer")): 2}
    found += log_addresses([str(t.address) for t in a_tokens.values()], transfers, from_block, head.number)
    addresses = list(dict.fromkeys([*found, *(to_checksum_address(a) for a in extra_accounts)]))
    addresses = [a for a in addresses if a not in (ZERO, treasury)] + [treasury]
    account_address = {(TREASURY if a == treasury else labels.get(a, a)): a for a in addresses}
    by_address = {v: k for k, v in asset_address.items()}
    names = list(asset_address)
    reads = _positions_by_lens(project, lens, pool, asset_address, list(account_address.values())) if lens else \
        (_position_by_calls(pool, a_tokens, v_tokens, asset_address, address) for address in account_address.values())
    for acct, (bitmap, emode, rows) in zip(account_address, reads, strict=True):
        model.users_config[acct] = UserConfiguration(
            borrowing={i for i in range(128) if _bits(bitmap, 2 * i, 1)},
            collateral={i for i in range(128) if _bits(bitmap, 2 * i + 1, 1)})
        if emode:
            model.users_emode[acct] = emode
        for name, (sc, sd, bal) in zip(names, rows, strict=True):
            r = model.reserves[name]
            if sc:
                r.a_token.balances[acct] = sc
            if sd:
                r.variable_debt_token.balances[acct] = sd
            if bal:
                ledger.mint(name, acct, bal)
    if allowances:
        for acct, address in account_address.items():
            for name, token_address in asset_address.items():
                token = ape_instance("IERC20Detailed", token_address)
                ledger.approve(name, acct, model.pool_address, int(token.allowance(address, pool.address)))
    for cat in sorted(({r.emode_category for r in model.reserves.values()} | set(model.users_emode.values())) - {0}):
        e = pool.getEModeCategoryData(cat)
        source = str(e[3])
        model.emode_categories[cat] = EModeCategory(int(e[0]), int(e[1]), int(e[2]),
                                                    None if int(source, 16) == 0 else by_address[source])
    sources = {n: str(oracle.getSourceOfAsset(a)) for n, a in asset_address.items()}
    return ImportedAave(model, model.reserves_list[:], list(account_address), asset_address, account_address,
                        head.number, head.timestamp, sources, str(pool.address))


LENS_BATCH = 100
"""Accounts per ``AaveV3Lens.snapshot`` call when positions are read through the lens."""
Position = tuple[int, int, list[tuple[int, int, int]]]
"""An account's configuration bitmap, eMode, and per reserve (scaled aToken, scaled variable debt, wallet)."""


def _position_by_calls(pool: Any, a_tokens: dict[str, Any], v_tokens: dict[str, Any], asset_address: dict[str, str],
                       address: str) -> Position:
    rows = [(int(a_tokens[n].scaledBalanceOf(address)), int(v_tokens[n].scaledBalanceOf(address)),
             int(ape_instance("IERC20Detailed", t).balanceOf(address))) for n, t in asset_address.items()]
    return int(pool.getUserConfiguration(address)[0]), int(pool.getUserEMode(address)), rows


def _positions_by_lens(project: Any, lens: str, pool: Any, asset_address: dict[str, str],
                       addresses: list[str]) -> list[Position]:
    """Positions from ``AaveV3Lens.snapshot`` (per account: 8 account fields, then 5 per reserve), in batches."""
    handle, assets, out = project.AaveV3Lens.at(lens), list(asset_address.values()), []
    per_user = 8 + 5 * len(assets)
    for i in range(0, len(addresses), LENS_BATCH):
        batch = addresses[i:i + LENS_BATCH]
        words = [int(w) for w in handle.snapshot(pool.address, assets, batch)][len(RESERVE_FIELDS) * len(assets):]
        for u in range(len(batch)):
            w = words[u * per_user:(u + 1) * per_user]
            out.append((w[6], w[7], [(w[8 + 5 * k], w[10 + 5 * k], w[12 + 5 * k]) for k in range(len(assets))]))
    return out


def _event_abi(contract: str, name: str) -> dict:
    from protocol_model.chain.aave_v3.artifacts import artifact

    return next(e for e in artifact(contract)["abi"] if e.get("type") == "event" and e.get("name") == name)


@dataclass(frozen=True)
class AaveLiquidation:
    """One ``liquidationCall`` the keeper makes: when (block time), by whom, on whom, which collateral and debt
    reserve, the borrower's health factor before it (WAD), and the amounts (collateral to the liquidator, debt
    repaid, protocol fee to the treasury; collateral units for both collateral figures)."""

    time: int
    keeper: str
    borrower: str
    collateral: str
    debt: str
    health_factor_wad: int
    amounts: LiquidationAmounts


@dataclass
class AavePrediction:
    """What a price move does, computed on a copy of the imported twin."""

    prices: dict[str, int]
    """New AaveOracle prices (base currency, 8 decimals), by asset."""
    price_times: list[int]
    liquidatable: list[str]
    """Accounts below HF 1 right after the move (before any liquidation)."""
    liquidations: list[AaveLiquidation]
    debt_left_uncollateralised: dict[tuple[str, str], int]
    """(account, asset) -> debt still owed by an account with no collateral left, at the last block of the move:
    Aave 1.19.3 keeps it on the books (no write-off), where it keeps accruing interest."""
    model: ImportedAave
    """The twin after the move and every liquidation: what the chain must equal afterwards."""
    bad_debt_written_off: int = 0
    """Always 0: this version writes off no bad debt."""


def _value(pool: Pool, asset: str, amount: int) -> int:
    """``amount`` of ``asset`` in the base currency (8 decimals), floor."""
    return amount * pool.prices[asset] // 10 ** pool.reserves[asset].decimals


def _largest(pool: Pool, user: str, assets: Sequence[str], balance: Any) -> str | None:
    values = [(_value(pool, a, balance(a, user)), -i, a) for i, a in enumerate(assets) if balance(a, user) > 0]
    return max(values)[2] if values else None


def keeper_choice(pool: Pool, user: str) -> tuple[str, str] | None:
    """The keeper's (collateral, debt) reserves for ``user`` at ``pool.now``: the debt with the largest base-
    currency value and the enabled collateral with the largest value (ties: listing order); None without
    either."""
    config = pool.user_config(user)
    collaterals = [a for a in pool.reserves_list if pool.reserves[a].id in config.collateral]
    debt = _largest(pool, user, pool.reserves_list, pool.variable_debt_balance)
    collateral = _largest(pool, user, collaterals, pool.a_token_balance)
    return None if debt is None or collateral is None else (collateral, debt)


def liquidatable_accounts(pool: Pool, accounts: Sequence[str], now: int) -> list[str]:
    """The accounts with debt whose health factor is below 1 at block time ``now``."""
    pool.at(now)
    out = []
    for a in accounts:
        d = pool.get_user_account_data(a)
        if d.total_debt_base > 0 and d.health_factor < WAD:
            out.append(a)
    return out


def predict_aave_price_move(imported: ImportedAave, prices: dict[str, int], keeper: str, start: int,
                            max_liquidations: int = 50) -> AavePrediction:
    """Prices ``prices`` are published at ``start``, ``start + 1``, ...; then ``keeper`` calls
    ``liquidationCall(collateral, debt, user, type(uint256).max, false)`` (the pool caps it by the close factor
    and the collateral), one call a second, on the first liquidatable account (``account_names`` order, the
    treasury and the keeper excluded) that still has collateral, until none is left."""
    after = copy.deepcopy(imported)
    pool, now, times = after.pool, start, []
    for asset, price in prices.items():
        pool.set_price(asset, price)
        times.append(now)
        now += 1
    borrowers = [a for a in after.account_names if a not in (keeper, TREASURY)]
    first = liquidatable_accounts(pool, borrowers, now)
    liquidations: list[AaveLiquidation] = []
    while len(liquidations) < max_liquidations:
        todo = [(a, c) for a in liquidatable_accounts(pool, borrowers, now) if (c := keeper_choice(pool, a))]
        if not todo:
            break
        user, (collateral, debt) = todo[0]
        hf = pool.get_user_account_data(user).health_factor
        try:
            amounts = pool.liquidation_call(keeper, collateral, debt, user, MAX, False, now)
        except PoolError as err:
            raise ValueError(f"the keeper's liquidation of {user} ({collateral}/{debt}) reverts: {err.name}") from None
        liquidations.append(AaveLiquidation(now, keeper, user, collateral, debt, hf, amounts))
        now += 1
    pool.at(now - 1)  # the last block the move mined (its last liquidation or price update)
    left = {(u, a): pool.variable_debt_balance(a, u) for u in borrowers for a in pool.reserves_list
            if pool.variable_debt_balance(a, u) and keeper_choice(pool, u) is None}
    return AavePrediction(dict(prices), times, first, liquidations, left, after)


def make_prices_settable(project: Any, imported: ImportedAave) -> None:
    """On an anvil fork: give every reserve a price source anyone can move, answering its price of now (the
    project's ``LatestAnswerAggregator``, 8 decimals), so the twin is unchanged and a prediction's prices can be
    published on chain with ``setAnswer``. The provider's ACL admin is impersonated (and funded for gas), made
    pool admin if it is not, and calls ``AaveOracle.setAssetSources``; ``imported.sources`` is updated. A live
    deployment's Chainlink feeds cannot be moved otherwise."""
    from ape import accounts, chain

    from protocol_model.chain.driver import GAS_LIMIT
    from protocol_model.chain.record import signer_for

    gas = {"gas": GAS_LIMIT}  # ape's estimate at the pending block can fall short on a fork (as AnvilApeDriver)
    pool = ape_instance("Pool", imported.pool_address)
    provider = ape_instance("PoolAddressesProvider", pool.ADDRESSES_PROVIDER())
    acl = ape_instance("ACLManager", provider.getACLManager())
    oracle = ape_instance("AaveOracle", provider.getPriceOracle())
    admin_address = str(provider.getACLAdmin())
    chain.provider.make_request("anvil_setBalance", [admin_address, hex(10**20)])
    admin = signer_for(admin_address)
    if not acl.isPoolAdmin(admin_address):
        acl.addPoolAdmin(admin_address, sender=admin, **gas)
    deployer = accounts.test_accounts[0]
    assets, feeds = [], []
    for name in imported.asset_names:
        feed = deployer.deploy(project.LatestAnswerAggregator, 8, imported.pool.prices[name], f"{name} / USD", **gas)
        assets.append(imported.asset_address[name])
        feeds.append(feed.address)
        imported.sources[name] = str(feed.address)
    oracle.setAssetSources(assets, feeds, sender=admin, **gas)
