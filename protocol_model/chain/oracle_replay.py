"""Replay one oracle story variant on chain and in the model, measuring its outcome as it goes."""

from __future__ import annotations

from protocol_model.chain.replay import Replay, StepResult
from protocol_model.world.model_world import resolve
from protocol_model.world.oracle_outcome import Outcome, OutcomeTracker


def replay_story(scenario, chain_world) -> tuple[list[StepResult], Outcome, Replay]:
    replay = Replay.start(scenario, chain_world)
    tracker = OutcomeTracker(replay.model)
    for step in scenario.steps:
        action = resolve(step, scenario)
        tracker.before(replay.model, action)
        result = replay.step(action, step.expect)
        tracker.after(replay.model, action, result.model)
    return replay.results, tracker.finish(replay.model), replay
