"""A lending scenario deployed on the in-process chain, driven by the model's actions at microsecond cost.

``InProcessWorld`` deploys exactly what ``ChainWorld.deploy`` (adapter.py) deploys for a lending scenario, in
the same order and with the same constructor arguments: PriceRouter(admin), LendingPool(admin, router),
PoolLens; the risk-admin and guardian roles; the close factor when the scenario's differs; per asset a
MockERC20(name, name, decimals), a MockAggregator(8, answer, "NAME / USD"), a KinkedRateModel(base, slope1,
slope2, optimal), ``router.setFeed`` and ``pool.listAsset``; then every account's mint and approvals.
Scenarios with oracle policies (ScriptedFeed) or AMM pairs are not deployed here yet (``NotImplementedError``).

The hot path sends each step as one revm call with calldata built from cached selectors, and reads the
whole observable state with one ``PoolLens.snapshot`` call whose calldata is built once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol_model.chain.inprocess import Call, InProcessAccount, InProcessChain, InProcessContract
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.oracle import uses_oracle
from protocol_model.scenario.story import Scenario
from protocol_model.world.action import Action
from protocol_model.world.snapshot import ACCOUNT_FIELDS, ASSET_FIELDS, POSITION_FIELDS, Snapshot

KEEPER_KINDS = ("price", "pause")
"""Actions the deployer sends (the feed and the guardian switch); every other action is sent by its account."""
FEED_DECIMALS = 8


@dataclass
class InProcessWorld:
    """A lending scenario on an ``InProcessChain``: handles by asset name, accounts by scenario name."""

    scenario: Scenario
    chain: InProcessChain
    deployer: InProcessAccount
    signers: dict[str, InProcessAccount]
    tokens: dict[str, InProcessContract] = field(default_factory=dict)
    feeds: dict[str, InProcessContract] = field(default_factory=dict)
    rate_models: dict[str, InProcessContract] = field(default_factory=dict)
    listed_at: dict[str, int] = field(default_factory=dict)
    """asset -> block time (seconds) of its ``listAsset``"""
    feed_times: dict[str, int] = field(default_factory=dict)
    """Empty: plain MockAggregator feeds (the model's ``feed_times`` argument)."""
    pool: Any = None
    router: Any = None
    lens: Any = None
    last_time: int = 0
    _lens_call: bytes = b""

    @classmethod
    def deploy(cls, scenario: Scenario, chain: InProcessChain | None = None) -> InProcessWorld:
        """Deploy ``scenario``'s lending world on ``chain`` (a fresh one by default): accounts[0] deploys, the
        scenario's accounts are accounts[1:] in file order. Raises ``NotImplementedError`` for oracle
        policies or AMM pairs, ``ValueError`` when the scenario has more accounts than the chain."""
        if uses_oracle(scenario) or scenario.amm_pairs:
            raise NotImplementedError(f"{scenario.name}: oracle policies and AMM pairs are not deployed in process yet")
        c = chain or InProcessChain()
        if len(scenario.accounts) > len(c.accounts) - 1:
            raise ValueError(f"{scenario.name}: {len(scenario.accounts)} accounts, the chain has {len(c.accounts) - 1}")
        d, p = c.accounts[0], c.project
        w = cls(scenario, c, d, {a.name: c.accounts[i + 1] for i, a in enumerate(scenario.accounts)})
        w.router = c.deploy(p.PriceRouter, d, sender=d)
        w.pool = c.deploy(p.LendingPool, d, w.router, sender=d)
        w.lens = c.deploy(p.PoolLens, sender=d)
        w.pool.grantRole(w.pool.RISK_ADMIN_ROLE(), d, sender=d)
        w.pool.grantRole(w.pool.GUARDIAN_ROLE(), d, sender=d)
        params = scenario.pool.params()
        if (params.close_factor_bps, params.full_close_hf_wad) != (w.pool.closeFactorBps(), w.pool.fullCloseHfWad()):
            w.pool.setCloseFactor(params.close_factor_bps, params.full_close_hf_wad, sender=d)
        for spec in scenario.assets:
            token = c.deploy(p.MockERC20, spec.name, spec.name, spec.decimals, sender=d)
            feed = c.deploy(p.MockAggregator, FEED_DECIMALS, spec.answer(), f"{spec.name} / USD", sender=d)
            r = spec.rate.params()
            model = c.deploy(p.KinkedRateModel, r.base_per_second_ray, r.slope1_per_second_ray,
                             r.slope2_per_second_ray, r.optimal_utilization_wad, sender=d)
            w.router.setFeed(token, feed, sender=d)
            receipt = w.pool.listAsset(token, model, spec.config().as_tuple(), sender=d)
            w.tokens[spec.name], w.feeds[spec.name], w.rate_models[spec.name] = token, feed, model
            w.listed_at[spec.name] = receipt.timestamp
        for acct in scenario.accounts:
            signer = w.signers[acct.name]
            for asset, amount in acct.balances.items():
                w.tokens[asset].mint(signer, scenario.asset(asset).units(amount), sender=d)
            for token in w.tokens.values():
                token.approve(w.pool, UINT256_MAX, sender=signer)
        w.last_time = c.now()
        w._lens_call = w.lens.snapshot.encode_input(
            w.pool, [w.tokens[a.name] for a in scenario.assets], [w.signers[a.name] for a in scenario.accounts])
        return w

    # ------------------------------------------------------------------ driving

    def address_of(self, account: str) -> str:
        """The address of scenario account ``account``."""
        return self.signers[account].address

    def call_of(self, action: Action) -> Call | None:
        """The chain call a lending action makes (None for ``warp``: time passes, nothing is sent).
        Raises ``ValueError`` for a kind this world does not deploy."""
        a, pool, tok = action, self.pool, self.tokens
        sender = self.deployer if a.kind in KEEPER_KINDS or not a.account else self.signers[a.account]
        if a.kind == "warp":
            return None
        if a.kind in ("supply", "repay"):
            args: tuple = (tok[a.asset], a.amount, self.address_of(a.on_behalf or a.account))
        elif a.kind == "withdraw":
            args = (tok[a.asset], a.amount, self.address_of(a.account))
        elif a.kind == "borrow":
            args = (tok[a.asset], a.amount)
        elif a.kind == "liquidate":
            args = (self.address_of(a.borrower), tok[a.collateral], tok[a.debt], a.amount)
        elif a.kind == "price":
            return Call(self.feeds[a.asset], "setAnswer", (a.answer,), sender)
        elif a.kind == "pause":
            args = (a.supply_paused, a.borrow_paused)
            return Call(pool, "setPause", args, sender)
        else:
            raise ValueError(f"{a.kind}: not a step the in-process lending world sends")
        return Call(pool, a.kind, args, sender)

    def apply(self, action: Action, now: int) -> str:
        """Send one action in a block at time ``now``; returns 'ok' or the revert's error name."""
        self.last_time = max(self.last_time, now)
        call = self.call_of(action)
        return "ok" if call is None else self.chain.send(call, now).name

    def snapshot(self) -> Snapshot:
        """Every field of the pool, its assets, positions and accounts, from one ``PoolLens.snapshot`` read."""
        ok, out = self.chain.call_static(self.lens.address, self._lens_call)
        if not ok:
            raise RuntimeError(f"PoolLens.snapshot reverted: {self.chain.project.revert_name(out)}")
        asset_data, position_data, account_data = self.lens.function("snapshot", 3).decode(out)
        assets = [a.name for a in self.scenario.assets]
        accts = [a.name for a in self.scenario.accounts]
        na, np_, nc = len(ASSET_FIELDS), len(POSITION_FIELDS), len(ACCOUNT_FIELDS)
        pairs = [(asset, acct) for asset in assets for acct in accts]  # asset-major, as the lens lays them out
        return Snapshot(
            {n: tuple(asset_data[i * na:i * na + na]) for i, n in enumerate(assets)},
            {key: tuple(position_data[k * np_:k * np_ + np_]) for k, key in enumerate(pairs)},
            {n: tuple(account_data[j * nc:j * nc + nc]) for j, n in enumerate(accts)})

    def now(self) -> int:
        """The time to continue from: the head block's, or later if calls already ran past it."""
        return max(self.chain.now(), self.last_time)
