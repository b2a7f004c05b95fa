"""Real Morpho Blue 1.0.0 on a local chain: deployed from the bytecode ``toolchain/compile_morpho.cjs`` compiles
out of npm ``@morpho-org/morpho-blue`` (solc-js 0.8.19, via-IR, 999999 runs, paris: Morpho's foundry.toml),
with the package's IrmMock, OracleMock and ERC20Mock, on anvil (ape) or on the in-process chain (revm).

:class:`MorphoChainWorld` plays the preset's :class:`~protocol_model.world.morpho_blue_world.MorphoOp` calls
and reads the same observables as the model (``observe``); :func:`replay_story` plays a story on both and
compares every observable after every step. Twin: protocol_model/exact/presets/morpho_blue/morpho.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from protocol_model.chain.driver import Call, ChainDriver
from protocol_model.exact.presets.morpho_blue.market_params_lib import market_id
from protocol_model.world.morpho_blue_world import (
    OK,
    MorphoAddresses,
    MorphoModelWorld,
    MorphoOp,
    Observation,
    Watched,
    market_params,
    observe_config,
    setup_ops,
    story_ops,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".build-presets" / "morpho_blue.json"
"""What ``toolchain/compile_morpho.cjs`` writes (``make setup``)."""
CONTRACTS = ("Morpho", "IrmMock", "OracleMock", "ERC20Mock")
START_TIME = 1_700_000_000


class MorphoArtifactsMissing(FileNotFoundError):
    """Morpho Blue is not compiled (run ``make setup``)."""


@cache
def artifacts(path: Path = ARTIFACTS) -> dict[str, dict[str, Any]]:
    """Contract name -> ``{"abi", "bytecode"}`` of the compiled Morpho Blue build (plus ``compiler`` info under
    ``"_build"``). Raises ``MorphoArtifactsMissing``."""
    if not path.exists():
        raise MorphoArtifactsMissing(f"{path} not found: compile Morpho Blue first (`make setup`)")
    data = json.loads(path.read_text())
    return {**data["contracts"], "_build": {k: data[k] for k in ("package", "compiler", "settings")}}


def in_process_artifacts() -> Any:
    """The Morpho Blue build as the in-process chain's ``Artifacts`` (``InProcessChain(project=...)``)."""
    from protocol_model.chain.inprocess_abi import Artifact, Artifacts

    built = artifacts()
    return Artifacts(Artifact(n, tuple(built[n]["abi"]), built[n]["bytecode"]) for n in CONTRACTS)


def _container(driver: Any, name: str) -> Any:
    from protocol_model.chain.inprocess_abi import Artifacts

    if isinstance(getattr(driver, "project", None), Artifacts) and name in driver.project.contracts:
        return driver.project.contracts[name]
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    built = artifacts()[name]
    return ContractContainer(ContractType.model_validate({
        "contractName": name, "abi": built["abi"], "deploymentBytecode": {"bytecode": "0x" + built["bytecode"]}}))


@dataclass
class MorphoChainWorld:
    """A Morpho Blue deployment on a chain: the contracts, the addresses and the driver that sends and reads."""

    driver: ChainDriver
    addresses: MorphoAddresses
    morpho: Any
    tokens: dict[str, Any]
    """token address -> ERC20Mock handle"""
    oracles: dict[str, Any]
    """market name -> OracleMock handle"""
    signers: dict[str, Any]
    """address -> sending account"""
    params: dict[str, tuple] = field(default_factory=dict)
    ids: dict[str, bytes] = field(default_factory=dict)
    watched: Watched | None = field(default_factory=Watched)
    """LLTVs and IRMs whose flags ``observe`` reads; None: no configuration observables (an imported
    deployment, whose twin reads no authorizations)."""

    def add_market(self, name: str, params: Any) -> None:
        """Name (or rename) a market (``MarketParams``) the deployment did not create, so ops can use it and
        ``observe`` reads it."""
        self.params[name], self.ids[name] = params.as_tuple(), market_id(params)
        if self.watched is not None:
            self.watched.add_market(params)

    def call_of(self, op: MorphoOp) -> Call:
        """The contract call ``op`` stands for."""
        s, p = self.signers[op.sender], self.params.get(op.market)
        method, contract, args = _CALLS[op.kind](self, op, p)
        return Call(contract, method, tuple(args), s)

    def apply(self, op: MorphoOp, at_time: int) -> str:
        """Send ``op`` in a block at ``at_time``: ``OK`` or the revert's name (a revert mines nothing)."""
        if self.watched is not None:
            self.watched.note(op)
        outcome = self.driver.send(self.call_of(op), at_time)
        return OK if outcome.ok else outcome.name

    def observe(self) -> Observation:
        """Every observable the model lists (``MorphoModelWorld.observe``), read from the chain (the state ones
        only when ``watched`` is None)."""
        out: Observation = {}
        view, accounts = self.driver.view, self.addresses.accounts
        for name, mid in self.ids.items():
            out[f"market {name}"] = tuple(int(v) for v in view(self.morpho, "market", mid))
            for who, addr in accounts.items():
                out[f"position {name} {who}"] = tuple(int(v) for v in view(self.morpho, "position", mid, addr))
        for token, taddr in self.addresses.tokens.items():
            for who, addr in {**accounts, "Morpho": self.addresses.morpho}.items():
                out[f"{token} {who}"] = int(view(self.tokens[taddr], "balanceOf", addr))
        if self.watched is None:
            return out
        return {**out, **observe_config(lambda name, *args: view(self.morpho, name, *args), accounts, self.watched)}


_Args = tuple[str, Any, Sequence[Any]]


def _calls() -> dict[str, Callable[[MorphoChainWorld, MorphoOp, Any], _Args]]:
    def morpho(method: str, args: Callable[[MorphoOp, Any], Sequence[Any]]) -> Callable[..., _Args]:
        return lambda w, op, p: (method, w.morpho, args(op, p))

    return {
        "supply": morpho("supply", lambda o, p: (p, o.assets, o.shares, o.on_behalf, b"")),
        "withdraw": morpho("withdraw", lambda o, p: (p, o.assets, o.shares, o.on_behalf, o.receiver)),
        "borrow": morpho("borrow", lambda o, p: (p, o.assets, o.shares, o.on_behalf, o.receiver)),
        "repay": morpho("repay", lambda o, p: (p, o.assets, o.shares, o.on_behalf, b"")),
        "supply_collateral": morpho("supplyCollateral", lambda o, p: (p, o.assets, o.on_behalf, b"")),
        "withdraw_collateral": morpho("withdrawCollateral", lambda o, p: (p, o.assets, o.on_behalf, o.receiver)),
        "liquidate": morpho("liquidate", lambda o, p: (p, o.on_behalf, o.assets, o.shares, b"")),
        "accrue_interest": morpho("accrueInterest", lambda o, p: (p,)),
        "set_fee": morpho("setFee", lambda o, p: (p, o.value)),
        "set_fee_recipient": morpho("setFeeRecipient", lambda o, p: (o.on_behalf,)),
        "set_authorization": morpho("setAuthorization", lambda o, p: (o.on_behalf, bool(o.value))),
        "enable_irm": morpho("enableIrm", lambda o, p: (o.on_behalf,)),
        "enable_lltv": morpho("enableLltv", lambda o, p: (o.value,)),
        "create_market": morpho("createMarket", lambda o, p: (p,)),
        "set_price": lambda w, o, p: ("setPrice", w.oracles[o.market], (o.value,)),
        "set_balance": lambda w, o, p: ("setBalance", w.tokens[o.token], (o.on_behalf, o.value)),
        "approve": lambda w, o, p: ("approve", w.tokens[o.token], (o.on_behalf, o.value)),
    }


_CALLS = _calls()


def deploy(driver: ChainDriver, spec: Any, deployer: Any, accounts: dict[str, Any],
           fee_recipient: str | None = None) -> tuple[MorphoChainWorld, MorphoModelWorld, int]:
    """Deploy real Morpho Blue (owner ``deployer``), the IrmMock, one ERC20Mock per token and one OracleMock per
    market, then configure it (``setup_ops``) on chain and in a fresh twin at the chain's addresses. ``accounts``
    maps the story's names to sending accounts. Returns (chain world, model world, the time of the last set-up
    block); raises ``AssertionError`` if a set-up call's outcome differs between the two."""
    deploy_ = driver.deploy
    morpho = deploy_(_container(driver, "Morpho"), deployer.address, sender=deployer)
    irm = deploy_(_container(driver, "IrmMock"), sender=deployer)
    tokens = {t: deploy_(_container(driver, "ERC20Mock"), sender=deployer) for t in spec.tokens}
    oracles = {m: deploy_(_container(driver, "OracleMock"), sender=deployer) for m in spec.markets}
    signers = {"owner": deployer, **accounts}
    addresses = MorphoAddresses(str(morpho.address), str(deployer.address), str(irm.address),
                                {t: str(c.address) for t, c in tokens.items()},
                                {m: str(c.address) for m, c in oracles.items()},
                                {n: str(a.address) for n, a in signers.items()})
    chain = MorphoChainWorld(driver, addresses, morpho, {str(c.address): c for c in tokens.values()}, oracles,
                             {str(a.address): a for a in signers.values()})
    model = MorphoModelWorld.build(spec, addresses)
    for name in spec.markets:
        params = market_params(spec, addresses, name)
        chain.add_market(name, params)
    now = driver.now()
    for op in setup_ops(spec, addresses, fee_recipient):
        now += 1
        got, want = chain.apply(op, now), model.apply(op, now)
        assert got == want == OK, f"set-up {op.describe()}: chain {got}, model {want}"
    return chain, model, now


@dataclass
class StepResult:
    """One step of a replay: the op, both outcomes, the expected outcome and the observables that differ."""

    index: int
    op: MorphoOp
    chain: str
    model: str
    expected: str
    mismatches: list[str]

    @property
    def agreed(self) -> bool:
        """Same outcome on both sides and every observable equal."""
        return self.chain == self.model and not self.mismatches


def compare(chain: Observation, model: Observation) -> list[str]:
    """``name: chain X != model Y`` for every observable that differs (or is missing on one side)."""
    return [f"{k}: chain {chain.get(k)} != model {model.get(k)}" for k in sorted(chain.keys() | model.keys())
            if chain.get(k) != model.get(k)]


def replay_story(story: Any, spec: Any, driver: ChainDriver, deployer: Any,
                 accounts: Sequence[Any]) -> list[StepResult]:
    """Deploy the story's protocol on ``driver`` (the story's accounts play ``accounts`` in order), then play
    every step on chain and in the model at the same block times, comparing outcomes and every observable
    after each step (set-up included). Returns one ``StepResult`` per step."""
    named = dict(zip(story.accounts, accounts, strict=False))
    chain, model, now = deploy(driver, spec, deployer, named, story.fee_recipient)
    results = [StepResult(-1, MorphoOp("setup", ""), OK, OK, OK, compare(chain.observe(), model.observe()))]
    for i, (wait, op, expected) in enumerate(story_ops(story, spec, chain.addresses)):
        now += wait
        got, want = chain.apply(op, now), model.apply(op, now)
        results.append(StepResult(i, op, got, want, expected, compare(chain.observe(), model.observe())))
    return results


def play_on_local_chain(story: Any, spec: Any) -> list[StepResult]:
    """Deploy real Morpho Blue on an anvil started for the story (``story_chain.local_chain``) and replay the
    story there with the model cross-check (``replay_story``); the story's accounts play ape's test accounts
    1, 2, ... (0 deploys; ``story_chain.local_driver``). The chain is gone when this returns."""
    from protocol_model.chain.story_chain import local_driver

    with local_driver() as (driver, test):
        return replay_story(story, spec, driver, test[0], test[1:len(story.accounts) + 1])


def play_in_process(story: Any, spec: Any) -> list[StepResult]:
    """``replay_story`` on real Morpho Blue deployed on a fresh in-process chain (revm, no node): account 0
    deploys, the story's accounts play accounts 1, 2, ... Raises ``ValueError`` when the story has more accounts
    than the chain."""
    chain = in_process_chain()
    if len(story.accounts) > len(chain.accounts) - 1:
        raise ValueError(f"accounts: the in-process chain has {len(chain.accounts) - 1} story accounts, the story "
                         f"names {len(story.accounts)}")
    return replay_story(story, spec, chain, chain.accounts[0], chain.accounts[1:len(story.accounts) + 1])


def report_lines(story: Any, results: Sequence[StepResult], where: str = "anvil") -> tuple[list[str], bool]:
    """One line per step (index, op, model and chain outcomes, observables equal, the file's expectation when
    it differs), then the cross-check line naming the chain (``where``). Returns (lines, True when every step
    agreed and was expected)."""
    lines, bad = [], 0
    for r in results[1:]:
        mark = "observables equal" if not r.mismatches else f"OBSERVABLES DIFFER {r.mismatches[:3]}"
        if r.model != r.expected:
            mark += f"; file expects {r.expected}"
        bad += not r.agreed or r.model != r.expected
        lines.append(f"{r.index:3d} {r.op.kind:<20} model {r.model:<24} chain {r.chain:<24} {mark}")
    setup_ok = results[0].agreed
    lines.append(f"{story.name}: {len(results) - 1} steps, {bad} mismatches, set-up "
                 f"{'equal' if setup_ok else 'DIFFERS'} (real Morpho Blue {artifacts()['_build']['package']}, {where})")
    return lines, bad == 0 and setup_ok


def in_process_chain() -> Any:
    """A fresh in-process chain (revm) holding the Morpho Blue build."""
    from protocol_model.chain.inprocess import InProcessChain

    return InProcessChain(project=in_process_artifacts(), start_time=START_TIME)
