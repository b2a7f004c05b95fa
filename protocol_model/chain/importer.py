"""Chain -> model: read a deployed pool into the exact engine, predict a price move, check it on chain.

``import_pool`` reads pool parameters, every listed asset's configuration, rate model, state (indexes,
totals, reserves, bad debt, last accrual), feed and price, and every account's position. The pool
keeps no account list, so accounts are enumerated from its ``Supply`` (onBehalf) and ``Borrow``
(account) events: every position starts with one of them. Token balances and allowances of those
accounts (plus any ``extra_accounts``, e.g. a liquidator) go into the model's ledger.

``predict_price_move`` runs the move and a keeper on a copy of the imported engine: who becomes
liquidatable, what each liquidation repays and seizes, the protocol fee and the bad debt written off.
The caller executes the same calls on chain and compares (tests/fork/test_importer.py).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address

from protocol_model.chain.driver import Contract
from protocol_model.exact.lending.lending_pool import POOL, BadDebt, LendingPool
from protocol_model.exact.lending.liquidation import LiquidationAmounts
from protocol_model.exact.lending.params import AssetConfig, PoolParams, RateParams
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.world.keeper import decide, liquidatable
from protocol_model.world.model_world import Action, ModelWorld
from protocol_model.world.snapshot import Snapshot

# Block span of one eth_getLogs request (public RPC endpoints cap the range).
LOG_CHUNK_BLOCKS = 10_000


@dataclass
class Imported:
    """A twin loaded from chain (``pool``), the names used for its assets and accounts, the addresses behind
    them, and the block it was read at (number, time in seconds)."""

    pool: Any
    asset_names: list[str]
    account_names: list[str]
    asset_address: dict[str, str]
    account_address: dict[str, str]
    block_number: int
    block_timestamp: int


@dataclass
class ImportedPool(Imported):
    """The exact engine loaded from chain, with the names used for assets and accounts."""

    pool: LendingPool

    amm = None
    """Imported pools have no AMM pairs (ModelWorld.snapshot reads this)."""

    @property
    def view_now(self) -> int:
        """Views are read at the imported block's time (ModelWorld.snapshot prices at this time)."""
        return self.block_timestamp

    def snapshot(self) -> Snapshot:
        """Same fields, same order as the lens reads (ModelWorld.snapshot uses pool, names, view_now, amm)."""
        return ModelWorld.snapshot(self)  # type: ignore[arg-type]


def event_topic(abi: Any) -> str:
    """Topic 0 (0x-hex) of an event given as its ABI entry (``{"type": "event", "name", "inputs"}``)."""
    return "0x" + event_abi_to_log_topic(abi).hex().removeprefix("0x")


def _event_topic(contract: Contract, name: str) -> str:
    abi = next(e for e in contract.contract_type.events if e.name == name)
    return event_topic(abi.model_dump(mode="json", by_alias=True))


def log_addresses(emitters: str | list[str], topics: dict[str, int], from_block: int, to_block: int) -> list[str]:
    """The addresses logged by ``emitters`` (one contract address or several) in events whose topic 0 is a key
    of ``topics``, each read from the indexed topic at the position its key maps to; in order of first
    appearance (block, log index). Logs are read in chunks of ``LOG_CHUNK_BLOCKS`` blocks (public RPC
    endpoints cap the range of one ``eth_getLogs``). Needs ape connected to the chain."""
    from ape import chain

    web3 = chain.provider.web3
    seen: dict[str, None] = {}
    start = from_block
    while start <= to_block:
        end = min(start + LOG_CHUNK_BLOCKS - 1, to_block)
        logs = web3.eth.get_logs({"address": emitters, "fromBlock": start, "toBlock": end,
                                  "topics": [list(topics)]})
        for log in sorted(logs, key=lambda x: (x["blockNumber"], x["logIndex"])):
            t0 = "0x" + bytes(log["topics"][0]).hex().removeprefix("0x")
            who = bytes(log["topics"][topics[t0]])[-20:]
            seen.setdefault(to_checksum_address(who), None)
        start = end + 1
    return list(seen)


def position_accounts(pool_contract: Contract, from_block: int, to_block: int) -> list[str]:
    """Every address that ever received a supply or took a borrow, in order of first appearance."""
    topics = {_event_topic(pool_contract, "Supply"): 3, _event_topic(pool_contract, "Borrow"): 2}
    return log_addresses(pool_contract.address, topics, from_block, to_block)


def import_pool(project: Any, pool_address: str, *, labels: dict[str, str] | None = None,
                extra_accounts: Sequence[str] = (), from_block: int = 0, block_number: int | None = None
                ) -> ImportedPool:
    """Read the pool at ``pool_address`` (at the head block) into a LendingPool.

    ``labels`` maps addresses to account names (default: the checksum address); assets are named by
    their ERC-20 symbol. ``from_block`` bounds the event scan (the deployment block is enough).
    """
    from ape import Contract, chain

    head = chain.blocks.head if block_number is None else chain.blocks[block_number]
    labels = {to_checksum_address(k): v for k, v in (labels or {}).items()}
    lp = project.LendingPool.at(pool_address)
    router = project.PriceRouter.at(lp.priceRouter())
    model = LendingPool(params=PoolParams(lp.closeFactorBps(), lp.fullCloseHfWad(), lp.minLeftoverUsdWad()).validate())
    model.set_pause(lp.supplyPaused(), lp.borrowPaused())

    asset_address: dict[str, str] = {}
    for address in lp.assetList():
        token = Contract(address, contract_type=project.MockERC20.contract_type)
        name = token.symbol()
        if name in asset_address:
            name = f"{name}_{address[2:8]}"
        asset_address[name] = address
        cfg = lp.configs(address)
        st = lp.getAssetState(address)
        rm = project.KinkedRateModel.at(st.rateModel)
        rate = RateParams(rm.baseRatePerSecondRay(), rm.slope1PerSecondRay(), rm.slope2PerSecondRay(),
                          rm.optimalUtilizationWad())
        config = AssetConfig(*[cfg[i] for i in range(9)])
        model.list_asset(name, rate, config, st.decimals, now=st.lastUpdate)
        s = model.assets[name].state
        (s.total_scaled_supply, s.total_scaled_debt, s.supply_index_ray, s.borrow_index_ray, s.reserves,
         s.bad_debt) = (st.totalScaledSupply, st.totalScaledDebt, st.supplyIndexRay, st.borrowIndexRay,
                        st.reserves, st.badDebt)
        aggregator, feed_decimals = router.feeds(address)
        if int(aggregator, 16) if isinstance(aggregator, str) else aggregator:
            agg = project.MockAggregator.at(aggregator)  # any AggregatorV3Interface answers this ABI
            round_id, answer, _, updated_at, _ = agg.latestRoundData()
            model.set_feed(name, Feed(answer, feed_decimals, round_id, None if _heartbeats(agg) else updated_at))
        model.ledger.mint(name, POOL, token.balanceOf(lp))

    addresses = position_accounts(lp, from_block, head.number)
    for extra in extra_accounts:
        if to_checksum_address(extra) not in addresses:
            addresses.append(to_checksum_address(extra))
    account_address = {labels.get(a, a): a for a in addresses}
    for acct, address in account_address.items():
        for name, token_address in asset_address.items():
            token = Contract(token_address, contract_type=project.MockERC20.contract_type)
            if sc := lp.scaledSupplyOf(token_address, address):
                model.scaled_supply[(name, acct)] = sc
            if lp.usesAsCollateral(address, token_address):
                model.collateral_use.add((acct, name))
            if sd := lp.scaledDebtOf(token_address, address):
                model.scaled_debt[(name, acct)] = sd
            if bal := token.balanceOf(address):
                model.ledger.mint(name, acct, bal)
            model.ledger.approve(name, acct, POOL, token.allowance(address, lp))
    return ImportedPool(model, list(asset_address), list(account_address), asset_address, account_address,
                        head.number, head.timestamp)


@dataclass(frozen=True)
class PredictedLiquidation:
    """One liquidation the keeper makes in a prediction: when (block time, seconds), the call, the
    borrower's health factor before it (WAD), the amounts repaid / seized / fee, and any bad debt written off."""

    time: int
    action: Action
    health_factor_wad: int
    amounts: LiquidationAmounts
    bad_debt: tuple[BadDebt, ...]


@dataclass
class Prediction:
    """What a price move does, computed on a copy of the imported engine."""

    answers: dict[str, int]
    """Feed answers published, by asset."""
    liquidatable: list[str]
    """Accounts below HF 1 right after the move (before any liquidation)."""
    liquidations: list[PredictedLiquidation]
    skipped: dict[str, str]
    model: ImportedPool
    """The engine after the move and every liquidation: what the chain must equal afterwards."""
    price_times: list[int] = field(default_factory=list)


def predict_price_move(imported: ImportedPool, answers: dict[str, int], keeper: str, start: int,
                       max_liquidations: int = 50) -> Prediction:
    """Feeds publish ``answers`` at ``start``, ``start + 1``, ...; then the keeper liquidates, one call a
    second, each liquidatable account in ``account_names`` order until none is left."""
    after = copy.deepcopy(imported)
    pool, now, price_times = after.pool, start, []
    for asset, answer in answers.items():
        old = pool.feeds[asset]
        # A heartbeating mock (``updated_at`` None) stays one after ``setAnswer``: dated at the reading block.
        pool.set_feed(asset, Feed(answer, old.decimals, old.round_id + 1, None if old.updated_at is None else now))
        price_times.append(now)
        now += 1
    borrowers = [a for a in after.account_names if a != keeper]
    first = liquidatable(pool, borrowers, now)
    liquidations: list[PredictedLiquidation] = []
    skipped: dict[str, str] = {}
    while len(liquidations) < max_liquidations:
        todo = [a for a in liquidatable(pool, borrowers, now) if a not in skipped]
        if not todo:
            break
        decision = decide(pool, keeper, todo[0], now)
        if decision is None or decision.action is None:
            skipped[todo[0]] = decision.reason if decision else "healthy"
            continue
        a = decision.action
        events_before = len(pool.bad_debt_events)
        amounts = pool.liquidate(keeper, a.borrower, a.collateral, a.debt, a.amount, now)
        liquidations.append(PredictedLiquidation(now, a, decision.health_factor_wad, amounts,
                                                 tuple(pool.bad_debt_events[events_before:])))
        now += 1
    return Prediction(dict(answers), first, liquidations, skipped, after, price_times)


def _heartbeats(aggregator: Any) -> bool:
    """True for a ``MockAggregator`` whose latest round is dated at the reading block (its ``heartbeat`` flag):
    the model's feed then has no fixed date (``Feed.updated_at = None``), as on chain. A real aggregator has
    no such function; its call fails and its round keeps the date it was read with."""
    try:
        return bool(aggregator.heartbeat())
    except Exception:  # noqa: BLE001 - any failure means "not a heartbeating mock"
        return False
