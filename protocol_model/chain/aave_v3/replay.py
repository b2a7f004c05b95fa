"""Aave V3 model vs chain, step by step: the real market deployed on a driver's chain, every action sent at
its block time on both twins, every observable (``AaveV3Lens.snapshot``) compared to the wei afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol_model.chain.aave_v3.deploy import INTEREST_RATE_MODE_VARIABLE, AaveMarket, deploy_market
from protocol_model.chain.driver import Call
from protocol_model.exact.presets.aave_v3.params import MarketParams
from protocol_model.exact.presets.aave_v3.pool import Pool
from protocol_model.world.aave_v3 import MAX, TREASURY, AaveAction, aave_snapshot, field_names, new_model


def deploy_lensed_market(driver: Any, params: MarketParams, chain_accounts: list[Any]) -> tuple[AaveMarket, Any]:
    """The market deployed from ``chain_accounts[0]`` with the last chain account as treasury, and the lens."""
    admin = chain_accounts[0]
    market = deploy_market(driver, params, admin, chain_accounts[-1].address)
    return market, driver.deploy(driver.project.AaveV3Lens, sender=admin)


@dataclass(frozen=True)
class StepResult:
    """One step on both twins: the outcomes and the observables that differ (name, model, chain)."""

    index: int
    action: AaveAction
    at_time: int
    model: str
    chain: str
    mismatches: tuple[tuple[str, int, int], ...]

    @property
    def agrees(self) -> bool:
        """Same outcome and every observable equal."""
        return self.model == self.chain and not self.mismatches


@dataclass
class AaveChainWorld:
    """The deployed market with named accounts (the treasury included) and the lens; ``model`` is its twin."""

    driver: Any
    market: AaveMarket
    accounts: dict[str, Any]
    lens: Any
    model: Pool
    users: list[str] = field(default_factory=list)
    """Accounts whose observables are compared (every story account and the treasury)."""

    @classmethod
    def deploy(cls, driver: Any, params: MarketParams, chain_accounts: list[Any], names: list[str],
               balances: dict[str, dict[str, int]]) -> AaveChainWorld:
        """Deploy ``params`` from ``chain_accounts[0]`` (the admin) and fund the accounts (``on_market``)."""
        return cls.on_market(driver, deploy_lensed_market(driver, params, chain_accounts), chain_accounts, names,
                             balances)

    @classmethod
    def on_market(cls, driver: Any, deployed: tuple[AaveMarket, Any], chain_accounts: list[Any], names: list[str],
                  balances: dict[str, dict[str, int]]) -> AaveChainWorld:
        """A world on a market deployed by ``deploy_lensed_market`` that no account has used yet: ``names`` map
        to ``chain_accounts[1:]`` (the last chain account is the treasury); each gets ``balances`` (token
        units) and approves the pool without limit."""
        market, lens = deployed
        if len(names) + 2 > len(chain_accounts):
            raise ValueError(f"{len(names)} accounts need {len(names) + 2} chain accounts")
        accounts = dict(zip(names, chain_accounts[1:], strict=False))
        for name, acct in accounts.items():
            for r in market.params.reserves:
                token = market.tokens[r.symbol]
                amount = balances.get(name, {}).get(r.symbol, 0)
                if amount:
                    token.mint(acct.address, amount, sender=market.admin)
                token.approve(market.pool.address, MAX, sender=acct)
        accounts[TREASURY] = chain_accounts[-1]
        return cls(driver, market, accounts, lens, new_model(market.params, balances), [*names, TREASURY])

    @property
    def assets(self) -> list[str]:
        """Reserve symbols in listing order."""
        return [r.symbol for r in self.market.params.reserves]

    def call(self, a: AaveAction) -> Call:
        """The chain call of action ``a`` (``price`` is the aggregator's ``setAnswer`` from the admin)."""
        m = self.market
        acct = self.accounts[a.account] if a.op != "price" else m.admin

        def token(symbol: str) -> str:
            return str(m.tokens[symbol].address)

        if a.op == "price":
            return Call(m.aggregators[a.asset], "setAnswer", (a.number,), m.admin)
        if a.op == "supply":
            args: tuple = (token(a.asset), a.amount, self.accounts[a.other or a.account].address, 0)
        elif a.op == "withdraw":
            args = (token(a.asset), a.amount, acct.address)
        elif a.op == "borrow":
            args = (token(a.asset), a.amount, INTEREST_RATE_MODE_VARIABLE, 0, acct.address)
        elif a.op == "repay":
            args = (token(a.asset), a.amount, INTEREST_RATE_MODE_VARIABLE,
                    self.accounts[a.other or a.account].address)
        elif a.op == "liquidate":
            args = (token(a.asset), token(a.asset2), self.accounts[a.other].address, a.amount, a.flag)
        elif a.op == "collateral":
            args = (token(a.asset), a.flag)
        elif a.op == "emode":
            args = (a.number,)
        else:
            raise ValueError(f"unknown op {a.op!r}")
        method = {"supply": "supply", "withdraw": "withdraw", "borrow": "borrow", "repay": "repay",
                  "liquidate": "liquidationCall", "collateral": "setUserUseReserveAsCollateral",
                  "emode": "setUserEMode"}[a.op]
        return Call(m.pool, method, args, acct)

    def chain_snapshot(self) -> list[int]:
        """Every observable read from the chain at its head block (one lens call)."""
        assets = [self.market.tokens[s].address for s in self.assets]
        users = [self.accounts[u].address for u in self.users]
        return list(self.driver.view(self.lens, "snapshot", self.market.pool.address, assets, users))

    def step(self, index: int, action: AaveAction, at_time: int) -> StepResult:
        """Send ``action`` at ``at_time`` on the chain and apply it to the model; compare outcomes and then
        every observable at the chain's head time."""
        from protocol_model.world.aave_v3 import apply

        chain_outcome = self.driver.send(self.call(action), at_time).name
        model_outcome = apply(self.model, action, at_time)
        return StepResult(index, action, at_time, model_outcome, chain_outcome, self.compare())

    def compare(self) -> tuple[tuple[str, int, int], ...]:
        """Observables that differ between the model (at the head's time) and the chain."""
        chain = self.chain_snapshot()
        model = aave_snapshot(self.model, self.driver.now(), self.users)
        if len(chain) == len(model) and chain == model:
            return ()
        names = field_names(self.assets, self.users)
        return tuple((n, m, c) for n, m, c in zip(names, model, chain, strict=False) if m != c) or \
            (("length", len(model), len(chain)),)


def play_story(driver: Any, chain_accounts: list[Any], path: str,
               deployed: tuple[AaveMarket, Any] | None = None) -> list[tuple[StepResult, str]]:
    """Play every step of the story on both twins: each step's result with the outcome the file states. The
    story runs on ``deployed`` (an unused market from ``deploy_lensed_market``) when its parameters are the
    story's, else on a market deployed now. Raises ScenarioError for a bad file."""
    from protocol_model.scenario.aave_v3_story import load_aave_story
    from protocol_model.world.aave_v3 import story_balances, story_steps

    story, market = load_aave_story(path)
    names = [a.name for a in story.accounts]
    if deployed is None or deployed[0].params != market:
        deployed = deploy_lensed_market(driver, market, chain_accounts)
    world = AaveChainWorld.on_market(driver, deployed, chain_accounts, names, story_balances(story, market))
    at_time = driver.now()
    results = []
    for i, s in enumerate(story_steps(story, market)):
        at_time += s.seconds
        if s.action is None:
            continue
        results.append((world.step(i, s.action, at_time), s.expect))
    return results


def play_on_local_chain(path: str) -> list[tuple[StepResult, str]]:
    """Deploy the real Aave V3 bytecode on an anvil started for the story (``story_chain.local_driver``: ape's
    test account 0 is the admin, the story's accounts take 1, 2, ..., the last one is the treasury) and play
    the story there and on the twin (``play_story``). The chain is gone when this returns."""
    from protocol_model.chain.story_chain import local_driver

    with local_driver() as (driver, accounts):
        return play_story(driver, accounts, path)


def play_in_process(path: str) -> list[tuple[StepResult, str]]:
    """``play_story`` on the real Aave V3 bytecode on a fresh in-process chain (revm, no node)."""
    from protocol_model.chain.inprocess import InProcessChain

    chain = InProcessChain()
    return play_story(chain, chain.accounts, path)


def story_report(path: str, on_anvil: bool = False) -> tuple[list[str], bool]:
    """Play an Aave story on the real Aave V3 bytecode and on the twin, on a fresh in-process chain, or with
    ``on_anvil`` on an anvil started for it (``play_on_local_chain``): one line per step (model outcome,
    chain outcome, the file's expectation, differing observables) and a summary; True when every step
    agreed and was as the file expects."""
    from protocol_model.exact.presets.aave_v3.errors import ERROR_NAMES, describe

    results = play_on_local_chain(path) if on_anvil else play_in_process(path)
    where = "anvil" if on_anvil else "in-process chain"
    lines, bad = [], 0
    for r, expect in results:
        wrong = not r.agrees or r.model != expect
        bad += wrong
        note = "" if not wrong else f"  MISMATCH (file expects {describe(expect)}; {len(r.mismatches)} fields differ)"
        names = " / ".join(dict.fromkeys(ERROR_NAMES[o] for o in (r.model, r.chain) if o in ERROR_NAMES))
        lines.append(f"{r.index:3d} {r.action.describe()[:60]:<60} model {r.model:<8} chain {r.chain:<8}{note}"
                     + (f"  {names}" if names else ""))
    lines.append(f"{path}: {len(results)} steps on the real Aave V3 bytecode ({where}) and the twin, "
                 f"{bad} mismatches")
    return lines, bad == 0
