"""Shared fixtures. Chain fixtures come from ape's pytest plugin (`accounts`, `project`, `chain`)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def math_harness(project, admin):
    return admin.deploy(project.MathHarness)


@pytest.fixture(scope="session")
def signers(accounts):
    """The fixed names of worlds built by hand (LevWorld, the AMM and perp fuzz fixtures) -> funded test
    accounts (accounts[0] is the deployer). Stories get their own names mapped by ``deploy_world``."""
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory"]
    return {name: accounts[i + 1] for i, name in enumerate(names)}


@pytest.fixture(scope="session")
def driver(project, chain):
    """The session's chain driver for stories and contract tests (protocol_model.chain.driver.connect): every
    state-changing call an ape transaction (``ape test --gas`` and traces see it), on anvil and on any other
    provider (e.g. ``--network ethereum:local:test``)."""
    from protocol_model.chain.driver import connect

    return connect(project)


@pytest.fixture(scope="session")
def fuzz_driver(project, chain):
    """The differential fuzzers' driver: anvil's raw JSON-RPC fast path (``connect(project, via_ape=False)``,
    several times faster than ape's transactions, invisible to ape's gas report); ape's path elsewhere."""
    from protocol_model.chain.driver import connect

    return connect(project, via_ape=False)


@pytest.fixture(scope="session")
def deploy_world(project, accounts, driver):
    """Factory: deploy a scenario on the connected chain (a perp scenario as a PerpChainWorld, any other
    story as a ChainWorld), driven by the session's driver. The story's own account names (any names), in
    file order, play accounts[1], accounts[2], ... (accounts[0] deploys; chain.story_chain.deploy_story)."""
    from protocol_model.chain.story_chain import deploy_story

    def _deploy(scenario):
        return deploy_story(scenario, project, accounts, driver)

    return _deploy


def pytest_ignore_collect(collection_path, config):
    """tests/fork runs only in its own session (`ape test tests/fork --network ethereum:forked-protocol`,
    or a real-network fork with PROTOCOL_MODEL_DEPLOYMENT set): the default suite never collects it."""
    import os

    if collection_path.name == "fork" and collection_path.parent.name == "tests":
        network = config.getoption("network", default=None) or ""
        wanted = network.startswith("ethereum:forked-protocol") or "PROTOCOL_MODEL_DEPLOYMENT" in os.environ
        return None if wanted else True
    return None
