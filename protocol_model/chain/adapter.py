"""Deploy a scenario's world on the connected chain and drive it with the model's actions.

``ChainWorld`` is the chain twin of ``world.model_world.ModelWorld``: the lending pool, router, feeds,
rate models and lens, plus the oracle side (``oracle_adapter``) and the AMM pairs and Looper
(``amm_adapter``) when the scenario has them. Every step is sent through the world's ``ChainDriver``; the
call a step kind makes is registered in ``LENDING_STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from protocol_model.chain.amm_adapter import AMM_CALLS, ChainAmm, with_amm
from protocol_model.chain.deployment import PoolDeployment
from protocol_model.chain.driver import Account, Call, ChainDriver, connect
from protocol_model.chain.oracle_adapter import ORACLE_CALLS, deploy_oracle, feed_contract
from protocol_model.chain.steps import StepRegistry, time_only
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.story import Scenario
from protocol_model.world.model_world import Action, ModelWorld, resolve
from protocol_model.world.snapshot import Snapshot

LENS_ASSET_FIELDS, LENS_POSITION_FIELDS, LENS_ACCOUNT_FIELDS = 10, 6, 5
"""Words per asset, per (asset, account) position and per account in PoolLens.snapshot's arrays."""


@dataclass
class ChainWorld(PoolDeployment):
    """The chain twin of ``ModelWorld``: deploys a scenario, sends its steps, reads every field."""

    @classmethod
    def deploy(cls, scenario: Scenario, project: Any, deployer: Account, signers: dict[str, Account],
               driver: ChainDriver | None = None) -> ChainWorld:
        """Deploy tokens, feeds, rate models, router, pool and lens; list every asset; fund accounts; then the
        oracle side and the AMM pairs. ``driver`` defaults to ``connect(project)``."""
        drv = driver or connect(project)
        w = cls(scenario, project, deployer, signers, drv)
        d = deployer
        w.router = drv.deploy(project.PriceRouter, d, sender=d)
        w.pool = drv.deploy(project.LendingPool, d, w.router, sender=d)
        w.lens = drv.deploy(project.PoolLens, sender=d)
        w.pool.grantRole(w.pool.RISK_ADMIN_ROLE(), d, sender=d)
        w.pool.grantRole(w.pool.GUARDIAN_ROLE(), d, sender=d)
        params = scenario.pool.params()
        if (params.close_factor_bps, params.full_close_hf_wad) != (w.pool.closeFactorBps(), w.pool.fullCloseHfWad()):
            w.pool.setCloseFactor(params.close_factor_bps, params.full_close_hf_wad, sender=d)
        if params.min_leftover_usd_wad != w.pool.minLeftoverUsdWad():
            w.pool.setMinLeftover(params.min_leftover_usd_wad, sender=d)
        for spec in scenario.assets:
            token = drv.deploy(project.MockERC20, spec.name, spec.name, spec.decimals, sender=d)
            feed = drv.deploy(feed_contract(w), 8, spec.answer(), f"{spec.name} / USD", sender=d)
            r = spec.rate.params()
            model = drv.deploy(project.KinkedRateModel, r.base_per_second_ray, r.slope1_per_second_ray,
                               r.slope2_per_second_ray, r.optimal_utilization_wad, sender=d)
            w.router.setFeed(token, feed, sender=d)
            receipt = w.pool.listAsset(token, model, spec.config().as_tuple(), sender=d)
            w.tokens[spec.name], w.feeds[spec.name], w.rate_models[spec.name] = token, feed, model
            w.listed_at[spec.name] = drv.block_time(receipt.block_number)
        deploy_oracle(w)
        w.time_exact = bool(w.feed_times)
        for acct in scenario.accounts:
            signer = signers[acct.name]
            for asset, amount in acct.balances.items():
                w.tokens[asset].mint(signer, scenario.asset(asset).units(amount), sender=d)
            for token in w.tokens.values():
                token.approve(w.pool, UINT256_MAX, sender=signer)
        if scenario.amm_pairs:
            w.amm = ChainAmm.deploy(w)
        return w

    # ------------------------------------------------------------------ driving

    def apply(self, action: Action, now: int) -> str:
        """Send one action in a block at time ``now``; returns 'ok' or the revert's error name. Time-exact
        worlds mine an empty block at ``now`` when nothing was mined (warp, market, a revert)."""
        self.last_time = max(self.last_time, now)
        call = LENDING_STEPS.call(self, action)
        outcome = "ok" if call is None else self.driver.send(call, now).name
        if self.time_exact and (call is None or outcome != "ok"):
            self.driver.mine(now)
        return outcome

    def snapshot(self) -> Snapshot:
        """Every field of the pool, its assets, positions and accounts (plus the AMM tables), in one lens read.
        Raises ``ValueError`` when the lens answers another number of position words (a lens of another build)."""
        names = [a.name for a in self.scenario.assets]
        accts = [a.name for a in self.scenario.accounts]
        asset_data, position_data, account_data = self.driver.view(
            self.lens, "snapshot", self.pool.address, [self.tokens[n].address for n in names],
            [self.address_of(a) for a in accts])
        na, np_, nc = LENS_ASSET_FIELDS, LENS_POSITION_FIELDS, LENS_ACCOUNT_FIELDS
        if len(position_data) != len(names) * len(accts) * np_:  # a lens of another build (e.g. an old record)
            raise ValueError(f"PoolLens at {self.lens.address} returned {len(position_data)} position words, "
                             f"expected {len(names) * len(accts) * np_} ({np_} per position): redeploy the lens")
        assets = {n: tuple(asset_data[i * na:(i + 1) * na]) for i, n in enumerate(names)}
        positions = {}
        for i, asset in enumerate(names):
            for j, acct in enumerate(accts):
                o = (i * len(accts) + j) * np_
                positions[(asset, acct)] = tuple(position_data[o:o + np_])
        accounts = {a: tuple(account_data[j * nc:(j + 1) * nc]) for j, a in enumerate(accts)}
        return with_amm(Snapshot(assets, positions, accounts), self.amm, self)

    # ------------------------------------------------------------------ the replay's view of this world

    def model_twin(self) -> ModelWorld:
        """The exact model of this world as deployed, reading views at ``now()``."""
        model = ModelWorld(self.scenario, self.listed_at, self.feed_times)
        model.view_now = self.now()
        return model

    def resolve(self, step: Any) -> Action:
        """A scenario step -> Action."""
        return resolve(step, self.scenario)

    def scenario_steps(self) -> list[Any]:
        """The scenario's steps."""
        return list(self.scenario.steps)


def _on_behalf(w: PoolDeployment, a: Action) -> Call | None:
    """``withdrawOnBehalf`` / ``borrowOnBehalf`` when the action names another account: the caller acts for
    ``on_behalf`` and the tokens go to the caller; None for the caller's own withdraw / borrow."""
    if a.on_behalf in ("", a.account):
        return None
    return w.call(a, w.pool, f"{a.kind}OnBehalf", w.token(a.asset), a.amount, w.address_of(a.on_behalf),
                  w.address_of(a.account))


POOL_CALLS: dict[str, Callable[[PoolDeployment, Action], Call | None]] = {
    "supply": lambda w, a: w.call(a, w.pool, "supply", w.token(a.asset), a.amount,
                                  w.address_of(a.on_behalf or a.account)),
    "withdraw": lambda w, a: _on_behalf(w, a) or w.call(a, w.pool, "withdraw", w.token(a.asset), a.amount,
                                                        w.address_of(a.account)),
    "borrow": lambda w, a: _on_behalf(w, a) or w.call(a, w.pool, "borrow", w.token(a.asset), a.amount),
    "delegate": lambda w, a: w.call(a, w.pool, "setAuthorization", w.address_of(a.operator), a.enabled),
    "use_as_collateral": lambda w, a: w.call(a, w.pool, "setUseAsCollateral", w.token(a.asset), a.enabled),
    "repay": lambda w, a: w.call(a, w.pool, "repay", w.token(a.asset), a.amount,
                                 w.address_of(a.on_behalf or a.account)),
    "liquidate": lambda w, a: w.call(a, w.pool, "liquidate", w.address_of(a.borrower), w.token(a.collateral),
                                     w.token(a.debt), a.amount),
    "price": lambda w, a: w.call(a, w.feeds[a.asset], "setAnswer", a.answer),
    "pause": lambda w, a: w.call(a, w.pool, "setPause", a.supply_paused, a.borrow_paused),
    "warp": time_only,
    "accrue": lambda w, a: w.call(a, w.pool, "accrueAll"),
    "donate": lambda w, a: w.call(a, w.tokens[a.asset], "transfer", str(w.pool.address), a.amount),
}
"""The pool's own step kinds, the price feed's (``market`` is an oracle kind: see ORACLE_CALLS) and ``donate`` (the
token's plain ``transfer`` to the pool)."""

LENDING_STEPS: StepRegistry[PoolDeployment, Action] = StepRegistry.of_calls("lending", POOL_CALLS, ORACLE_CALLS,
                                                                        AMM_CALLS)
"""Every step kind of a lending story (pool, oracle, AMM and loop kinds) -> its chain call."""
