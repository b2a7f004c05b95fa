"""Fixtures of the in-process chain tests."""

from __future__ import annotations

import pytest

from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts


@pytest.fixture(scope="module")
def chain() -> InProcessChain:
    """One in-process chain (pyrevm) per test module, with the project's compiled contracts; a test that changes it
    snapshots first and restores after."""
    return InProcessChain(Artifacts.load())


@pytest.fixture
def replay_in_process(chain):
    """``start(spec)``: the scenario file ``spec`` (a dict) deployed on the module's chain and its ``Replay`` (model
    and chain stepped together); the chain is restored after the test."""
    from protocol_model.chain.inprocess_world import deploy_in_process
    from protocol_model.chain.replay import Replay
    from protocol_model.scenario.story import parse_scenario

    snaps = []

    def start(spec: dict) -> Replay:
        snaps.append(chain.snapshot())
        scenario = parse_scenario(spec)
        return Replay.start(scenario, deploy_in_process(scenario, chain))

    yield start
    for snap in reversed(snaps):
        chain.restore(snap)
