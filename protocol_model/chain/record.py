"""Deployment records: what ``ape run deploy`` writes, and how a later session attaches to it.

A record names the chain (id, block, hash, time), every contract address, the scenario's parameters
and which address plays which scenario account. It is written only after the deployment and the
opening positions succeeded, through a temporary file renamed into place (never half-written).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import Account, connect
from protocol_model.scenario.perp import PerpScenario
from protocol_model.scenario.story import Scenario, ScenarioError, parse_scenario

FORMAT = "protocol_model.deployment/1"


class AssetRecord(BaseModel):
    """One listed asset's addresses (token, feed, rate model), decimals and listing time (seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    token: str
    feed: str
    rate_model: str
    decimals: int
    listed_at: int


class DeploymentRecord(BaseModel):
    """What ``ape run deploy`` writes: chain, block, addresses, the scenario and its accounts."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: str = FORMAT
    scenario_name: str
    network: str
    chain_id: int
    block_number: int
    block_hash: str
    block_timestamp: int
    last_time: int
    """Latest block time the deployment used (time never runs back when continuing from the record)."""
    deployer: str
    pool: str
    router: str
    lens: str
    assets: dict[str, AssetRecord]
    accounts: dict[str, str]
    """Scenario account name -> address."""
    scenario: dict
    """The validated scenario (parameters, accounts, path) as JSON."""

    def parsed_scenario(self) -> Scenario:
        """The recorded scenario, validated again."""
        return parse_scenario(self.scenario, "deployment record scenario")

    def write(self, path: str | Path) -> Path:
        """Write the record as JSON through a temporary file renamed into place; the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, path: str | Path) -> DeploymentRecord:
        """Read a record; ValueError when its ``format`` is not this one."""
        data = json.loads(Path(path).read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: format is {data.get('format')!r}, expected {FORMAT!r}")
        return cls.model_validate(data)


def record_of(world: ChainWorld, network: str) -> DeploymentRecord:
    """The record of ``world`` as deployed on ``network``, at the head block."""
    from ape import chain

    head = chain.blocks.head
    return DeploymentRecord(
        scenario_name=world.scenario.name, network=network, chain_id=chain.chain_id,
        block_number=head.number, block_hash=_hex(head.hash),
        block_timestamp=head.timestamp, last_time=world.now(), deployer=world.deployer.address,
        pool=world.pool.address, router=world.router.address, lens=world.lens.address,
        assets={name: AssetRecord(token=world.tokens[name].address, feed=world.feeds[name].address,
                                  rate_model=world.rate_models[name].address, decimals=spec.decimals,
                                  listed_at=world.listed_at[name])
                for name, spec in ((a.name, a) for a in world.scenario.assets)},
        accounts={name: signer.address for name, signer in world.signers.items()
                  if name in {a.name for a in world.scenario.accounts}},
        scenario=world.scenario.model_dump(mode="json"),
    )


def _hex(value: Any) -> str:
    text = value.hex() if isinstance(value, bytes) else str(value)
    return text if text.startswith("0x") else "0x" + text


def signer_for(address: str) -> Account:
    """The ape account for ``address``: a local test account, else an impersonated one (forks)."""
    from ape import accounts

    for acct in accounts.test_accounts:
        if acct.address.lower() == address.lower():
            return acct
    return accounts[address]


def attach(record: DeploymentRecord, project: Any) -> ChainWorld:
    """A ChainWorld over the contracts a record names, on the connected chain (e.g. a fork of it)."""
    scenario = record.parsed_scenario()
    signers = {name: signer_for(addr) for name, addr in record.accounts.items()}
    w = ChainWorld(scenario, project, signer_for(record.deployer), signers, connect(project))
    w.pool = project.LendingPool.at(record.pool)
    w.router = project.PriceRouter.at(record.router)
    w.lens = project.PoolLens.at(record.lens)
    for name, a in record.assets.items():
        w.tokens[name] = project.MockERC20.at(a.token)
        w.feeds[name] = project.MockAggregator.at(a.feed)
        w.rate_models[name] = project.KinkedRateModel.at(a.rate_model)
        w.listed_at[name] = a.listed_at
    w.last_time = record.last_time
    return w


def scenario_signers(scenario: Scenario | PerpScenario, test_accounts: Iterable[Account]) -> dict[str, Account]:
    """The story's own account names, in file order -> test accounts 1, 2, ... (account 0 deploys).

    Any names work (``lp``, ``keeper``, ...). Raises ``ScenarioError`` (one line) if the story has more
    accounts than the network offers besides the deployer."""
    usable = list(test_accounts)[1:]
    names = [a.name for a in scenario.accounts] if isinstance(scenario, Scenario) else \
        [a.name for a in scenario.accounts]
    if len(names) > len(usable):
        raise ScenarioError(f"{scenario.name}: accounts: {len(names)} accounts, but this network "
                            f"offers only {len(usable)} funded test accounts besides the deployer")
    return dict(zip(names, usable, strict=False))
