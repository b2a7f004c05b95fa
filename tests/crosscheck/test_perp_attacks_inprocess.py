"""The perp attacker's review on both twins in process (docs/perp_margin.md, "Insurance fund and socialised
losses"): every step of the bankruptcy story agrees to the wei on the in-process chain and in the model, and on
both twins the only counterparty who liquidates a bankrupt account pays the socialised charge instead of leaving
it as unsocialised loss (P-PERP-11)."""

from __future__ import annotations

from pathlib import Path

from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_world import deploy_perp_in_process
from protocol_model.exact.math_lib import WAD
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
