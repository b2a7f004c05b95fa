"""AMM pairs and the Looper of a scenario on chain (the model side is ``protocol_model/world/amm_world.py``).

Deploys the Uniswap V2 factory from the npm artifacts, one pair per ``amm_pairs`` entry with the deployer's
initial reserves, the swap helper, the Looper and a lens; every account approves the Looper and the helper.
Pair creation times go into ``ChainWorld.listed_at[pair name]`` so the model starts from the same pair state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from protocol_model.chain.deployment import PoolDeployment
from protocol_model.chain.driver import Call, Contract
from protocol_model.chain.uniswap import create_pair, deploy_factory
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.strategies.looper import LOOPER
from protocol_model.scenario.amm import amm_users
from protocol_model.world.amm_world import pair_price_answer
from protocol_model.world.model_world import Action
from protocol_model.world.snapshot import Snapshot


@dataclass
class ChainAmm:
    """The Uniswap V2 factory and pairs, the swap helper, the Looper and the AMM lens of a deployment."""

    factory: Contract
    swapper: Contract
    looper: Contract
    lens: Contract
    pairs: dict[str, Contract] = field(default_factory=dict)
    token0: dict[str, str] = field(default_factory=dict)
    """pair name -> the asset name that is the pair's token0 on chain"""
    pair_feeds: dict[str, Contract] = field(default_factory=dict)
    """asset -> its PairPriceFeed (pairs with a ``price_feed``)"""

    @classmethod
    def deploy(cls, world: PoolDeployment) -> ChainAmm:
        """Factory, one seeded pair per ``amm_pairs`` entry, pair feeds, swap helper, Looper, lens;
        the flash-loan fee; every AMM user's approvals."""
        scenario, project, d, drv = world.scenario, world.project, world.deployer, world.driver
        factory = deploy_factory(drv, d)
        amm = cls(factory, drv.deploy(project.PairSwapper, sender=d),
                  drv.deploy(project.Looper, world.pool, factory, sender=d), drv.deploy(project.AmmLens, sender=d))
        for spec in scenario.amm_pairs:
            a, b = spec.assets
            pair = create_pair(drv, factory, world.tokens[a], world.tokens[b], d)
            for asset in spec.assets:
                world.tokens[asset].mint(pair, scenario.asset(asset).units(spec.reserves[asset]), sender=d)
            receipt = pair.mint(d, sender=d)
            world.listed_at[spec.name] = drv.block_time(receipt.block_number)
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

    def snapshot(self, world: PoolDeployment) -> dict:
        """``pairs`` and ``holdings`` as the model's AmmWorld.snapshot, read in one lens call."""
        scenario = world.scenario
        names = list(self.pairs)
        holders = [(a.name, LOOPER) for a in scenario.assets]
        holders += [(p, acct.name) for p in names for acct in scenario.accounts]
        tokens = [self.pairs[t].address if t in self.pairs else world.tokens[t].address for t, _ in holders]
        who = [self.looper.address if h == LOOPER else world.address_of(h) for _, h in holders]
        pair_data, balances = world.driver.view(self.lens, "snapshot", [self.pairs[n].address for n in names],
                                                tokens, who)
        pairs = {}
        for i, name in enumerate(names):
            r0, r1, ts, p0, p1, supply, b0, b1 = pair_data[i * 8:(i + 1) * 8]
            first = scenario.pair(name).assets[0]
            pairs[name] = ((r0, r1, ts, p0, p1, supply, b0, b1) if self.token0[name] == first
                           else (r1, r0, ts, p1, p0, supply, b1, b0))
        return {"pairs": pairs, "holdings": {key: (bal,) for key, bal in zip(holders, balances, strict=True)}}


def deploy_pair_feeds(world: PoolDeployment, amm: ChainAmm) -> None:
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
        feed = world.driver.deploy(world.project.PairPriceFeed, amm.pairs[spec.name], world.tokens[f.asset],
                                   scenario.asset(f.asset).decimals, scenario.asset(quote).decimals,
                                   world.feeds[quote], f.mode == "twap", f.window_s,
                                   f.effective_reference_span_s, sender=d)
        world.listed_at[pair_feed_key(spec.name)] = world.driver.now()  # the deployment is the head block
        world.router.setFeed(world.tokens[f.asset], feed, sender=d)
        amm.pair_feeds[f.asset] = feed
        world.time_exact = True


def with_amm(snapshot: Snapshot, amm: ChainAmm | None, world: PoolDeployment) -> Snapshot:
    """The pool snapshot plus the AMM tables when the world has pairs."""
    if amm is None:
        return snapshot
    return Snapshot(snapshot.assets, snapshot.positions, snapshot.accounts, **amm.snapshot(world))


def _amm(world: PoolDeployment) -> ChainAmm:
    if world.amm is None:
        raise ValueError(f"{world.scenario.name}: an AMM step in a scenario without amm_pairs")
    return world.amm


def _swap(w: PoolDeployment, a: Action) -> Call:
    amount = w.driver.view(w.tokens[a.asset], "balanceOf", w.address_of(a.account)) if a.amount == UINT256_MAX \
        else a.amount
    return w.call(a, _amm(w).swapper, "swapExactIn", _amm(w).pairs[a.pair].address, w.token(a.asset), amount,
                  a.amount2, w.address_of(a.account))


def _add_liquidity(w: PoolDeployment, a: Action) -> Call:
    amm, first = _amm(w), w.scenario.pair(a.pair).assets[0]
    amounts = (a.amount, a.amount2) if amm.token0[a.pair] == first else (a.amount2, a.amount)
    return w.call(a, amm.swapper, "addLiquidity", amm.pairs[a.pair].address, *amounts, w.address_of(a.account))


def _loop_open(w: PoolDeployment, a: Action) -> Call:
    looper, coll, debt = _amm(w).looper, w.token(a.collateral), w.token(a.debt)
    if a.mode == "iterative":
        return w.call(a, looper, "openIterative", coll, debt, a.amount, a.rounds, a.fraction_bps, a.max_slippage_bps,
                      0, UINT256_MAX)
    return w.call(a, looper, "openWithFlashLoan", coll, debt, a.amount, a.leverage_bps, a.max_slippage_bps,
                  UINT256_MAX, UINT256_MAX)


def _price_from_pair(w: PoolDeployment, a: Action) -> Call:
    """The asset's feed set to the pair's spot price in the other asset's oracle price."""
    amm, spec = _amm(w), w.scenario.pair(a.pair)
    other = spec.assets[1] if a.asset == spec.assets[0] else spec.assets[0]
    r0, r1, _ = w.driver.view(amm.pairs[a.pair], "getReserves")
    reserve_asset, reserve_other = (r0, r1) if amm.token0[a.pair] == a.asset else (r1, r0)
    answer = pair_price_answer(reserve_asset, reserve_other, w.scenario.asset(a.asset).decimals,
                               w.scenario.asset(other).decimals, w.driver.view(w.feeds[other], "latestRoundData")[1])
    return w.call(a, w.feeds[a.asset], "setAnswer", answer)


AMM_CALLS: dict[str, Callable[[PoolDeployment, Action], Call | None]] = {
    "swap": _swap,
    "add_liquidity": _add_liquidity,
    "authorize": lambda w, a: w.call(a, w.pool, "setAuthorization", _amm(w).looper.address, a.enabled),
    "loop_open": _loop_open,
    "loop_unwind": lambda w, a: w.call(a, _amm(w).looper, "unwind", w.token(a.collateral), w.token(a.debt),
                                       a.fraction_bps, a.max_slippage_bps, 0, UINT256_MAX),
    "price_from_pair": _price_from_pair,
}
"""AMM and loop step kinds (scenario.amm.AMM_KINDS) -> chain call."""
