"""A longer model-vs-chain differential on the in-process chain (revm), the kill check of ``make mutate``.

Seeded random lending operations (``random_actions``) on the default scenario, with long interest windows
(up to a year) between bursts so every rounding of the rate and index math runs on grown debt: after each
step the outcome (ok or the same error name) and every ``PoolLens`` field must agree to the wei, and the
solvency property P-POOL-01 (cash + debts >= supplies + reserves) holds on the model. Runs without a node.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from protocol_model.chain.inprocess import InProcessChain
from protocol_model.chain.inprocess_abi import Artifacts
from protocol_model.chain.inprocess_bench import random_actions
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.scenario.story import load_scenario
from protocol_model.world.action import Action
from protocol_model.world.model_world import ModelWorld

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"


@pytest.fixture(scope="module")
def artifacts() -> Artifacts:
    return Artifacts.load()


def with_long_windows(actions: list[Action], assets: list[str], answers: dict[str, int], seed: int) -> list[Action]:
    """``actions`` with, every 40 operations, a warp of up to a year followed by a fresh round for every asset
    (so prices stay within the default maximum age)."""
    rng = random.Random(seed)
    out: list[Action] = []
    for i, action in enumerate(actions):
        if i % 40 == 39:
            out.append(Action("warp", seconds=rng.randint(86_400, 365 * 86_400)))
            out += [Action("price", asset=a, answer=max(1, answers[a] * rng.randint(60, 140) // 100)) for a in assets]
        out.append(action)
    return out


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_long_random_run_agrees(artifacts, seed):
    scenario = load_scenario(DEFAULT)
    world = deploy_in_process(scenario, InProcessChain(artifacts))
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    now = model.view_now = world.now()
    assert not model.snapshot().diff(world.snapshot()), "model and chain differ after deployment"
    assets = [a.name for a in scenario.assets]
    accounts = [a.name for a in scenario.accounts]
    answers = {a.name: a.answer() for a in scenario.assets}
    outcomes: set[str] = set()
    for action in with_long_windows(random_actions(scenario, 300, seed), assets, answers, seed):
        now += action.seconds if action.kind == "warp" else 1
        expected, got = model.apply(action, now), world.apply(action, now)
        assert expected == got, f"{action.describe()}: model {expected}, chain {got}"
        diff = model.snapshot().diff(world.snapshot())
        assert not diff, f"{action.describe()}: {diff[:5]}"
        pool = model.pool
        for name in assets:
            supplies = sum(pool.supply_balance(name, a) for a in accounts)
            debts = sum(pool.debt_balance(name, a) for a in accounts)
            cash, reserves = pool.ledger.balance(name, POOL), pool.assets[name].state.reserves
            assert cash + debts >= supplies + reserves, f"{name}: solvency broken after {action.describe()}"
        outcomes.add(got)
    assert "ok" in outcomes and len(outcomes) >= 4, outcomes
