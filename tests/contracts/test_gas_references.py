"""The bench's reference figures (protocol_model/chain/gas_references.py) are real: real Morpho Blue and real Aave
V3 deployed from their npm packages on this anvil, each figure the ``gasUsed`` of a successful transaction to the
protocol's entry point for that operation; the published figures appear only when a package is missing."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from protocol_model.chain.driver import restoring
from protocol_model.chain.gas import BENCH_OPERATIONS
from protocol_model.chain.gas_references import (
    MORPHO_PUBLISHED,
    FlowRun,
    GasFigure,
    aave_first_touch,
    morpho_first_touch,
    reference,
)

MORPHO_METHODS = {"supply": "supply", "collateral supply": "supplyCollateral", "borrow": "borrow",
                  "repay": "repay", "withdraw": "withdraw", "liquidate": "liquidate"}
AAVE_METHODS = {**MORPHO_METHODS, "collateral supply": "supply", "liquidate": "liquidationCall"}


def _check_receipts(run: FlowRun, target, methods: dict[str, str]) -> None:
    """Every operation's figure is the gasUsed of a mined, successful call of its method on ``target``."""
    from ape import chain

    web3 = chain.provider.web3
    assert set(run.figures) == set(BENCH_OPERATIONS)
    for op, figure in run.figures.items():
        receipt, tx = web3.eth.get_transaction_receipt(figure.txn_hash), web3.eth.get_transaction(figure.txn_hash)
        assert receipt["status"] == 1 and receipt["gasUsed"] == figure.gas > 21_000, op
        assert tx["to"] == target.address, op
        selector = keccak(text=getattr(target, methods[op]).abis[0].selector)[:4]
        assert bytes(tx["input"])[:4] == selector, f"{op}: not a {methods[op]} call"


def test_morpho_figures_come_from_the_real_bytecode(project, driver):
    from ape import chain

    from protocol_model.chain.morpho_blue import artifacts

    with restoring(driver):
        run = morpho_first_touch(project)
        morpho = run.world.morpho
        created = chain.provider.web3.eth.get_transaction(morpho.txn_hash)
        assert created["to"] is None
        assert bytes(created["input"]).hex().startswith(artifacts()["Morpho"]["bytecode"])
        assert len(chain.provider.web3.eth.get_code(morpho.address)) > 10_000
        _check_receipts(run, morpho, MORPHO_METHODS)


def test_aave_figures_come_from_the_real_pool(project, driver):
    with restoring(driver):
        run = aave_first_touch(project)
        _check_receipts(run, run.world.market.pool, AAVE_METHODS)


def test_published_figures_only_when_the_package_is_missing():
    def missing() -> FlowRun:
        raise FileNotFoundError("no package here")

    ref = reference("Morpho Blue", "pkg", missing, MORPHO_PUBLISHED)
    assert not ref.measured and ref.gas == MORPHO_PUBLISHED and "no package here" in ref.source
    figures = {op: GasFigure(100_000 + i, f"0x{i}") for i, op in enumerate(BENCH_OPERATIONS)}
    ref = reference("Morpho Blue", "pkg", lambda: FlowRun(None, figures), MORPHO_PUBLISHED)
    assert ref.measured and ref.gas == {op: f.gas for op, f in figures.items()}


def test_a_broken_flow_is_not_hidden_behind_published_figures():
    def broken() -> FlowRun:
        raise RuntimeError("reverted")

    with pytest.raises(RuntimeError, match="reverted"):
        reference("Aave V3", "pkg", broken, MORPHO_PUBLISHED)
