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
