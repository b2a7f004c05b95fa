"""AMM pairs and the Looper of a scenario on chain (the model side is ``protocol_model/world/amm_world.py``).

Deploys the Uniswap V2 factory from the npm artifacts, one pair per ``amm_pairs`` entry with the deployer's
initial reserves, the swap helper, the Looper and a lens; every account approves the Looper and the helper.
Pair creation times go into ``ChainWorld.listed_at[pair name]`` so the model starts from the same pair state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ape import chain

from protocol_model.chain.uniswap import create_pair, deploy_factory
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.strategies.looper import LOOPER
from protocol_model.scenario.amm import amm_users
from protocol_model.world.amm_world import pair_price_answer
from protocol_model.world.model_world import Action
from protocol_model.world.snapshot import Snapshot

LOOP_GAS_LIMIT = 20_000_000
"""Gas limit of loop transactions on the raw JSON-RPC path (20 iterative rounds stay well below it)."""


@dataclass
class ChainAmm:
    factory: Any
    swapper: Any
    looper: Any
    lens: Any
    pairs: dict[str, Any] = field(default_factory=dict)
    token0: dict[str, str] = field(default_factory=dict)
    """pair name -> the asset name that is the pair's token0 on chain"""
    pair_feeds: dict[str, Any] = field(default_factory=dict)
    """asset -> its PairPriceFeed (pairs with a ``price_feed``)"""

    @classmethod
    def deploy(cls, world) -> ChainAmm:
        scenario, project, d = world.scenario, world.project, world.deployer
        factory = deploy_factory(d)
        amm = cls(factory, d.deploy(project.PairSwapper), d.deploy(project.Looper, world.pool, factory),
                  d.deploy(project.AmmLens))
        for spec in scenario.amm_pairs:
            a, b = spec.assets
            pair = create_pair(factory, world.tokens[a], world.tokens[b], d)
            for asset in spec.assets:
                world.tokens[asset].mint(pair, scenario.asset(asset).units(spec.reserves[asset]), sender=d)
            receipt = pair.mint(d, sender=d)
            world.listed_at[spec.name] = chain.blocks[receipt.block_number].timestamp
            amm.pairs[spec.name] = pair
            amm.token0[spec.name] = a if pair.token0() == world.tokens[a].address else b
        deploy_pair_feeds(world, amm)
        if scenario.pool.flash_loan_fee_bps:
            world.pool.setFlashLoanFee(scenario.pool.flash_loan_fee_bps, sender=d)
        for acct in amm_users(scenario):
            signer = world.signers[acct]
            for token in world.tokens.values():
                token.approve(amm.looper, UINT256_MAX, sender=signer)
                token.approve(amm.swapper, UINT256_MAX, sender=signer)
            for pair in amm.pairs.values():
                pair.approve(amm.swapper, UINT256_MAX, sender=signer)
        return amm

    def call_target(self, world, a: Action) -> tuple[object, str, tuple]:
        """(contract, method, args) of one AMM / loop action, as ChainWorld._call_target."""
        tok, looper = world.tokens, self.looper
        if a.kind == "swap":
            amount = tok[a.asset].balanceOf(world.address_of(a.account)) if a.amount == UINT256_MAX else a.amount
            return self.swapper, "swapExactIn", (self.pairs[a.pair].address, tok[a.asset].address, amount, a.amount2,
                                                 world.address_of(a.account))
        if a.kind == "add_liquidity":
            first = world.scenario.pair(a.pair).assets[0]
            amounts = (a.amount, a.amount2) if self.token0[a.pair] == first else (a.amount2, a.amount)
            return self.swapper, "addLiquidity", (self.pairs[a.pair].address, *amounts, world.address_of(a.account))
        if a.kind == "authorize":
            return world.pool, "setAuthorization", (looper.address, a.enabled)
        if a.kind == "loop_open" and a.mode == "iterative":
            return looper, "openIterative", (tok[a.collateral].address, tok[a.debt].address, a.amount, a.rounds,
                                             a.fraction_bps, a.max_slippage_bps, 0, UINT256_MAX)
        if a.kind == "loop_open":
            return looper, "openWithFlashLoan", (tok[a.collateral].address, tok[a.debt].address, a.amount,
                                                 a.leverage_bps, a.max_slippage_bps, UINT256_MAX, UINT256_MAX)
        if a.kind == "loop_unwind":
            return looper, "unwind", (tok[a.collateral].address, tok[a.debt].address, a.fraction_bps,
                                      a.max_slippage_bps, 0, UINT256_MAX)
        if a.kind == "price_from_pair":
            spec = world.scenario.pair(a.pair)
            other = spec.assets[1] if a.asset == spec.assets[0] else spec.assets[0]
            r0, r1, _ = self.pairs[a.pair].getReserves()
            reserve_asset, reserve_other = (r0, r1) if self.token0[a.pair] == a.asset else (r1, r0)
            answer = pair_price_answer(reserve_asset, reserve_other, world.scenario.asset(a.asset).decimals,
                                       world.scenario.asset(other).decimals, world.feeds[other].latestRoundData()[1])
            return world.feeds[a.asset], "setAnswer", (answer,)
        raise ValueError(f"unknown AMM action {a.kind}")

    def snapshot(self, world) -> dict:
        """``pairs`` and ``holdings`` as the model's AmmWorld.snapshot, read in one lens call."""
        scenario = world.scenario
        names = list(self.pairs)
        holders = [(a.name, LOOPER) for a in scenario.assets]
        holders += [(p, acct.name) for p in names for acct in scenario.accounts]
        tokens = [self.pairs[t].address if t in self.pairs else world.tokens[t].address for t, _ in holders]
        who = [self.looper.address if h == LOOPER else world.address_of(h) for _, h in holders]
        pair_data, balances = self.lens.snapshot([self.pairs[n].address for n in names], tokens, who)
        pairs = {}
        for i, name in enumerate(names):
            r0, r1, ts, p0, p1, supply, b0, b1 = pair_data[i * 8:(i + 1) * 8]
            first = scenario.pair(name).assets[0]
            pairs[name] = ((r0, r1, ts, p0, p1, supply, b0, b1) if self.token0[name] == first
                           else (r1, r0, ts, p1, p0, supply, b1, b0))
        return {"pairs": pairs, "holdings": {key: (bal,) for key, bal in zip(holders, balances, strict=True)}}


def deploy_pair_feeds(world, amm: ChainAmm) -> None:
    """One PairPriceFeed per pair with a ``price_feed``, set as its asset's feed in the router; its
    deployment time (the first TWAP observation) goes into ``listed_at`` for the model. Views depend on
    time, so blocks are mined at every step's time (``time_exact``)."""
    from protocol_model.world.amm_world import pair_feed_key

    scenario, d = world.scenario, world.deployer
    for spec in scenario.amm_pairs:
        f = spec.price_feed
        if f is None:
            continue
        quote = spec.assets[1] if f.asset == spec.assets[0] else spec.assets[0]
        feed = d.deploy(world.project.PairPriceFeed, amm.pairs[spec.name], world.tokens[f.asset],
                        scenario.asset(f.asset).decimals, scenario.asset(quote).decimals, world.feeds[quote],
                        f.mode == "twap", f.window_s)
        world.listed_at[pair_feed_key(spec.name)] = chain.blocks.head.timestamp  # the deployment is the head block
        world.router.setFeed(world.tokens[f.asset], feed, sender=d)
        amm.pair_feeds[f.asset] = feed
        world.time_exact = True


def with_amm(snapshot: Snapshot, amm: ChainAmm | None, world) -> Snapshot:
    """The pool snapshot plus the AMM tables when the world has pairs."""
    if amm is None:
        return snapshot
    return Snapshot(snapshot.assets, snapshot.positions, snapshot.accounts, **amm.snapshot(world))
