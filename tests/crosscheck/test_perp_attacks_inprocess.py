"""The perp attacker's review on both twins in process (docs/perp_margin.md, "Insurance fund and socialised
losses"): every step of the bankruptcy story agrees to the wei on the in-process chain and in the model, and on
both twins the only counterparty who liquidates a bankrupt account pays the socialised charge instead of leaving
it as unsocialised loss (P-PERP-11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.chain.inprocess import InProcessChain, TransactionReverted
from protocol_model.chain.inprocess_world import deploy_perp_in_process
from protocol_model.exact.math_lib import WAD
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.perp_engine import PerpEngine
from protocol_model.scenario.perp import load_perp_scenario
from tests.crosscheck.conftest import CrosscheckStats, make_checked_replay

BANKRUPTCY = Path(__file__).resolve().parents[2] / "scenarios" / "perp" / "bankruptcy.yaml"


def test_the_only_counterparty_liquidating_pays_the_socialised_loss_on_both_twins():
    """bob, the only long (1 ETH), liquidates heidi's bankrupt short (−85, fund empty): the 85 is charged to the
    longs before his takeover flattens him; chain and model agree on every field after every step."""
    chain = InProcessChain()
    replay = make_checked_replay(lambda sc: deploy_perp_in_process(sc, chain), chain, CrosscheckStats())(
        load_perp_scenario(BANKRUPTCY))
    last = replay.results[-1].after()
    assert last.field("global", None, "unsocialized_loss_wad") == 0
    assert last.field("market", 0, "cum_long_wad") == 85 * WAD


def test_collateral_beyond_18_decimals_is_refused_by_name_on_both_twins():
    """A 24-decimal settlement token: the constructor reverts InvalidDecimals(24) and the twin raises the same name
    (the protocol file's schema refuses it too: tests/inputs/cases.yaml, perp-collateral-decimals-24)."""
    chain = InProcessChain()
    deployer = chain.accounts[0]
    token = chain.deploy(chain.project.MockERC20, "BIG", "BIG", 24, sender=deployer)
    router = chain.deploy(chain.project.PriceRouter, deployer, sender=deployer)
    with pytest.raises(TransactionReverted) as chain_err:
        chain.deploy(chain.project.PerpEngine, deployer, router, token, sender=deployer)
    with pytest.raises(errors.InvalidDecimals) as model_err:
        PerpEngine("BIG", 24)
    assert chain_err.value.name.startswith("InvalidDecimals") and model_err.value.name == "InvalidDecimals"
    assert PerpEngine("USD", 18).unit_scale == 1 and PerpEngine("USD", 0).unit_scale == WAD
