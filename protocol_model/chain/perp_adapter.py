"""Deploy a perp scenario (token, feeds, router, PerpEngine, PerpLens) and drive it with PerpActions.

``PerpChainWorld`` is the chain twin of ``world.perp_world.PerpModelWorld``; the call each step kind makes is
registered in ``PERP_STEPS`` and sent through the world's ``ChainDriver``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from protocol_model.chain.deployment import Deployment
from protocol_model.chain.driver import Account, Call, ChainDriver, Contract, connect
from protocol_model.chain.steps import StepRegistry, time_only
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.perp import PerpScenario, answer
from protocol_model.world.perp_world import (
    ACCOUNT_FIELDS,
    MARKET_FIELDS,
    POSITION_FIELDS,
    PerpAction,
    PerpModelWorld,
    PerpSnapshot,
    resolve,
)


@dataclass
class PerpChainWorld(Deployment):
    """A perp scenario deployed on a chain: the engine, its collateral token, index feeds and lens."""

    scenario: PerpScenario
    feeds: dict[str, Contract] = field(default_factory=dict)
    index_tokens: dict[str, Contract] = field(default_factory=dict)
    listed_at: list[int] = field(default_factory=list)
    """Block time (seconds) each market was listed, by market id."""
    token: Contract = field(init=False)
    router: Contract = field(init=False)
    engine: Contract = field(init=False)
    lens: Contract = field(init=False)

    @classmethod
    def deploy(cls, scenario: PerpScenario, project: Any, deployer: Account, signers: dict[str, Account],
               driver: ChainDriver | None = None) -> PerpChainWorld:
        """Collateral token, one index token + feed per index, router, engine, lens; every market listed;
        accounts funded and approved. ``driver`` defaults to ``connect(project)``."""
        drv = driver or connect(project)
        w, d = cls(scenario, project, deployer, signers, drv), deployer
        c = scenario.collateral
        w.token = drv.deploy(project.MockERC20, c.name, c.name, c.decimals, sender=d)
        w.router = drv.deploy(project.PriceRouter, d, sender=d)
        for idx in scenario.indexes:
            # The index asset needs only an address the router keys its feed by: a token named after it.
            w.index_tokens[idx.name] = drv.deploy(project.MockERC20, idx.name, idx.name, 18, sender=d)
            w.feeds[idx.name] = drv.deploy(project.MockAggregator, 8, answer(idx.price_usd), f"{idx.name} / USD",
                                           sender=d)
            w.router.setFeed(w.index_tokens[idx.name], w.feeds[idx.name], sender=d)
        w.engine = drv.deploy(project.PerpEngine, d, w.router, w.token, sender=d)
        w.lens = drv.deploy(project.PerpLens, sender=d)
        w.engine.grantRole(w.engine.RISK_ADMIN_ROLE(), d, sender=d)
        w.engine.grantRole(w.engine.OPERATOR_ROLE(), d, sender=d)
        for spec in scenario.markets:
            receipt = w.engine.listMarket(w.index_tokens[spec.index], spec.params().as_tuple(), sender=d)
            w.listed_at.append(drv.block_time(receipt.block_number))
        for acct in scenario.accounts:
            signer = signers[acct.name]
            w.token.mint(signer, scenario.units(acct.balance), sender=d)
            w.token.approve(w.engine, UINT256_MAX, sender=signer)
        return w

    def apply(self, action: PerpAction, now: int) -> str:
        """Run one action in a block at time ``now``; 'ok' or the revert's error name."""
        self.last_time = max(self.last_time, now)
        call = PERP_STEPS.call(self, action)
        return "ok" if call is None else self.driver.send(call, now).name

    def snapshot(self) -> PerpSnapshot:
        """Global, market, account and position fields, in one lens read."""
        names = [a.name for a in self.scenario.accounts]
        glob, mk, ac, pos = self.driver.view(self.lens, "snapshot", self.engine.address,
                                             [self.address_of(n) for n in names])
        n, nm, na, np_ = len(self.scenario.markets), len(MARKET_FIELDS), len(ACCOUNT_FIELDS), len(POSITION_FIELDS)
        markets = {i: tuple(mk[i * nm:(i + 1) * nm]) for i in range(n)}
        accounts = {a: tuple(ac[j * na:(j + 1) * na]) for j, a in enumerate(names)}
        positions = {(a, i): tuple(pos[(j * n + i) * np_:(j * n + i + 1) * np_])
                     for j, a in enumerate(names) for i in range(n)}
        return PerpSnapshot(tuple(glob), markets, accounts, positions)

    # ------------------------------------------------------------------ the replay's view of this world

    def model_twin(self) -> PerpModelWorld:
        """The exact model of this world as deployed."""
        return PerpModelWorld(self.scenario, self.listed_at)

    def resolve(self, step: Any) -> PerpAction:
        """A perp scenario step -> PerpAction."""
        return resolve(step, self.scenario)

    def scenario_steps(self) -> list[Any]:
        """The scenario's steps."""
        return list(self.scenario.steps)


def _by_account(method: str) -> Callable[[PerpChainWorld, PerpAction], Call]:
    """``engine.method(amount)`` sent by the action's account."""
    return lambda w, a: Call(w.engine, method, (a.amount,), w.signers[a.account])


PERP_STEPS: StepRegistry[PerpChainWorld, PerpAction] = StepRegistry.of_calls("perp", {
    "deposit": _by_account("deposit"),
    "fund_insurance": _by_account("fundInsurance"),
    "withdraw": _by_account("withdraw"),
    "margin_mode": lambda w, a: Call(w.engine, "setMarginMode", (a.market, a.isolated), w.signers[a.account]),
    "transfer_margin": lambda w, a: Call(w.engine, "transferMargin", (a.market, a.amount), w.signers[a.account]),
    "trade": lambda w, a: Call(w.engine, "trade", (a.market, w.address_of(a.buyer), w.address_of(a.seller),
                                                   a.size_wad, a.price_wad), w.deployer),
    "liquidate": lambda w, a: Call(w.engine, "liquidate", (w.address_of(a.target), a.market), w.signers[a.account]),
    "price": lambda w, a: Call(w.feeds[a.asset], "setAnswer", (a.answer,), w.deployer),
    "warp": time_only,
})
"""Every perp step kind -> its chain call (trades and prices are sent by the operator, the deployer)."""
