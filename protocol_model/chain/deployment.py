"""The handles of a lending scenario deployed on a chain (``PoolDeployment``), shared by the pool adapter
(``adapter.ChainWorld``), its oracle side (``oracle_adapter``) and its AMM side (``amm_adapter``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol_model.chain.driver import Account, Call, ChainDriver, Contract
from protocol_model.scenario.story import Scenario
from protocol_model.world.action import Action

KEEPER_KINDS = ("price", "pause", "price_from_pair")
"""Actions the deployer sends (feeds and the guardian switch); every other action is sent by its account
(or by the deployer when it names none)."""


@dataclass
class Deployment:
    """What every scenario deployed on a chain has: the scenario, the compiled project, the deployer, the
    scenario accounts' signers, the driver every step goes through, and the latest block time used."""

    scenario: Any
    project: Any
    deployer: Account
    signers: dict[str, Account]
    """account name -> sending account"""
    driver: ChainDriver
    last_time: int = field(default=0, kw_only=True)
    """Latest block time used; a restored snapshot may report an older head, but time never runs back."""

    def address_of(self, account: str) -> str:
        """The address of scenario account ``account``."""
        return str(self.signers[account].address)

    def now(self) -> int:
        """The time to continue from: the head block's, or later if calls already ran past it."""
        return max(self.driver.now(), self.last_time)


@dataclass
class PoolDeployment(Deployment):
    """A lending scenario deployed on a chain: contract handles by asset (pair, feed) name."""

    scenario: Scenario
    tokens: dict[str, Contract] = field(default_factory=dict)
    feeds: dict[str, Contract] = field(default_factory=dict)
    rate_models: dict[str, Contract] = field(default_factory=dict)
    listed_at: dict[str, int] = field(default_factory=dict)
    """asset (or pair, pair feed) name -> block time it was listed / created (seconds)"""
    pool: Contract = field(init=False)
    router: Contract = field(init=False)
    lens: Contract = field(init=False)
    oracle_feeds: dict[str, Contract] = field(default_factory=dict)
    """Fallback feeds ('ASSET/fallback') and the sequencer feed ('sequencer') of oracle scenarios."""
    feed_times: dict[str, int] = field(default_factory=dict)
    """Initial round time of every ScriptedFeed (oracle scenarios), for the model."""
    time_exact: bool = False
    """Oracle scenarios: a block is mined at the step's time even when nothing is sent (warp, market,
    revert), so views that depend on time (staleness, grace period) read at the model's time."""
    amm: Any = None
    """AMM pairs, swap helper and Looper (``amm_adapter.ChainAmm``) when the scenario has ``amm_pairs``."""

    def token(self, asset: str) -> str:
        """The address of ``asset``'s token."""
        return str(self.tokens[asset].address)

    def sender_of(self, action: Action) -> Account:
        """Who sends ``action``: the deployer for keeper kinds and account-less actions, else its account."""
        if action.kind in KEEPER_KINDS or not action.account:
            return self.deployer
        return self.signers[action.account]

    def call(self, action: Action, contract: Contract, method: str, *args: Any) -> Call:
        """``contract.method(*args)`` sent by ``action``'s sender."""
        return Call(contract, method, args, self.sender_of(action))
