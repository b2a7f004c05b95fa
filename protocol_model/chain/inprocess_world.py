"""A scenario deployed on the in-process chain (revm) by the same ``ChainWorld`` that deploys it on anvil.

``deploy_in_process(scenario)`` is ``ChainWorld.deploy`` with an ``InProcessChain`` as the driver: the same
contracts from the same compiled artifacts (``.build`` and the Uniswap V2 npm build), in the same order with
the same constructor arguments, and every step kind sent through the same step registry
(``adapter.LENDING_STEPS``: pool, oracle, AMM and loop kinds). The chain's first funded account deploys;
the scenario's accounts, in file order, are its accounts 1, 2, ... (as on anvil, ``record.scenario_signers``).
"""

from __future__ import annotations

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.record import scenario_signers
from protocol_model.scenario.story import Scenario


def deploy_in_process(scenario: Scenario, chain: InProcessChain | None = None) -> ChainWorld:
    """Deploy ``scenario`` (a lending story, with oracle policies and AMM pairs if it has them) on ``chain``
    (a fresh ``InProcessChain`` by default) as a ``ChainWorld`` driven by that chain. Raises ``ScenarioError``
    when the scenario has more accounts than the chain funds besides the deployer."""
    c = chain or InProcessChain()
    return ChainWorld.deploy(scenario, c.project, c.accounts[0], scenario_signers(scenario, c.accounts), driver=c)
