"""Replay one oracle story variant on chain and in the model, measuring its outcome as it goes."""

from __future__ import annotations

from typing import Any

from protocol_model.chain.replay import Replay, StepResult
from protocol_model.world.oracle_outcome import Outcome, OutcomeTracker


def track_outcome(replay: Replay) -> Outcome:
    """Run the replay's scenario with an OutcomeTracker watching every step; the story's outcome
    (liquidations, wrongly liquidated accounts, bad debt, profits) measured on the model."""
    tracker = OutcomeTracker(replay.model)
    replay.run([tracker])
    return tracker.finish(replay.model)


def replay_story(scenario: Any, chain_world: Any) -> tuple[list[StepResult], Outcome, Replay]:
    """Start the generic replay on ``chain_world`` and track its outcome: (results, outcome, replay).
    Raises AssertionError if the twins differ before the first step."""
    replay: Replay = Replay.start(scenario, chain_world)
    outcome = track_outcome(replay)
    return replay.results, outcome, replay
