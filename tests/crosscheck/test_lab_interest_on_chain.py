"""A lab path with interest replayed through the contracts: the exact keeper's scenario (one ``warp`` and one
``accrue`` step, ``LendingPool.accrueAll``, per lab step; the lab's rate curves and deposits) on a fresh in-process
chain, model == chain on every field after every step, and the chain liquidates what the lab liquidated, in a flat
market where interest alone makes positions liquidatable."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.chain.replay import Replay
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.exact import exact_keeper
from protocol_model.sim.onchain import check_replay
from tests.lab.cases import flat_market, interest_params, tight_book


def test_interest_path_agrees_on_chain():
    params = interest_params()
    params = replace(params, assets=tuple(replace(a, amm_depth_usd=np.inf) for a in params.assets))
    book = tight_book(6)
    lab = run_cascade(params, book, flat_market(), np.random.default_rng(0), 1, 20, record_series=True,
                      record_events=True)
    made = int(lab.per_path["liquidation_count"][0])
    assert made > 0, "interest should make positions liquidatable"
    run = exact_keeper(params, book, lab.series["oracle"][0])
    ops = [s.op for s in run.scenario.steps]
    assert ops.count("accrue") == 21 and ops.count("warp") == 20
    results = Replay.start(run.scenario, deploy_in_process(run.scenario)).run()
    check = check_replay(params, 0, results, made, {a.name: 0.0 for a in params.assets}, made)
    assert check.ok, check.failures
    assert check.chain_liquidations == made
    final = results[-1].after()
    assert final.field("asset", "USDC", "borrow_index_ray") > 10**27  # debts grew on chain too
