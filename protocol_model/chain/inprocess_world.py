"""Every differential world deployed on the in-process chain (revm) by the same code that deploys it on anvil.

``deploy_in_process(scenario)`` is ``ChainWorld.deploy`` with an ``InProcessChain`` as the driver: the same
contracts from the same compiled artifacts (``.build`` and the Uniswap V2 npm build), in the same order with
the same constructor arguments, and every step kind sent through the same step registry
(``adapter.LENDING_STEPS``: pool, oracle, AMM and loop kinds; a scenario with ``amm_pairs`` brings the
pairs and the Looper). The chain's first funded account deploys; the scenario's accounts, in file order,
are its accounts 1, 2, ... (as on anvil, ``record.scenario_signers``).

The other worlds follow the same rule, each through its own adapter with the chain as driver:
``deploy_perp_in_process`` (``PerpChainWorld``), ``deploy_leveraged_in_process`` (``LevWorld``) and
``deploy_pair_in_process`` (``PairWorld``: a bare Uniswap V2 pair). Worlds built from fixed names take the
names of ``SIGNER_NAMES`` for accounts 1, 2, ... as the test suite's ``signers`` fixture does on anvil.
"""

from __future__ import annotations

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import Account
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.leveraged import LevWorld
from protocol_model.chain.pair_world import PairWorld
from protocol_model.chain.perp_adapter import PerpChainWorld
from protocol_model.chain.record import scenario_signers
from protocol_model.scenario.perp import PerpScenario
from protocol_model.scenario.story import Scenario

SIGNER_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory")
"""Fixed account names of the worlds built by hand (leveraged tokens, the bare pair) -> accounts 1, 2, ..."""


def named_signers(chain: InProcessChain) -> dict[str, Account]:
    """``SIGNER_NAMES`` -> the chain's funded accounts 1, 2, ... (account 0 deploys)."""
    return dict(zip(SIGNER_NAMES, chain.accounts[1:], strict=False))


def deploy_in_process(scenario: Scenario, chain: InProcessChain | None = None) -> ChainWorld:
    """Deploy ``scenario`` (a lending story, with oracle policies and AMM pairs if it has them) on ``chain``
    (a fresh ``InProcessChain`` by default) as a ``ChainWorld`` driven by that chain. Raises ``ScenarioError``
    when the scenario has more accounts than the chain funds besides the deployer."""
    c = chain or InProcessChain()
    return ChainWorld.deploy(scenario, c.project, c.accounts[0], scenario_signers(scenario, c.accounts), driver=c)


def deploy_perp_in_process(scenario: PerpScenario, chain: InProcessChain | None = None) -> PerpChainWorld:
    """Deploy the perp ``scenario`` (token, index feeds, router, PerpEngine, lens) on ``chain`` (default: a
    fresh one) as a ``PerpChainWorld`` driven by it. Raises ``ScenarioError`` as ``deploy_in_process``."""
    c = chain or InProcessChain()
    return PerpChainWorld.deploy(scenario, c.project, c.accounts[0], scenario_signers(scenario, c.accounts),
                                 driver=c)


def deploy_leveraged_in_process(chain: InProcessChain | None = None) -> LevWorld:
    """The leveraged-token world (pool, seeded pair, 2x and 3x vaults: ``LevWorld.deploy``'s defaults) on
    ``chain`` (default: a fresh one), its actors named by ``named_signers``."""
    c = chain or InProcessChain()
    return LevWorld.deploy(c.project, c.accounts[0], named_signers(c), driver=c)


def deploy_pair_in_process(actors: tuple[str, ...], start_balance: int,
                           chain: InProcessChain | None = None) -> PairWorld:
    """A bare Uniswap V2 pair (``PairWorld.deploy``) on ``chain`` (default: a fresh one); ``actors`` (names
    of ``SIGNER_NAMES``) each hold ``start_balance`` units of both tokens."""
    c = chain or InProcessChain()
    return PairWorld.deploy(c.project, c.accounts[0], named_signers(c), c, actors, start_balance)
