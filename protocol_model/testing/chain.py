"""What the plugin's chain fixtures build (``deployed``, ``cross_check``, ``run_story``): the protocol deployed on
the active ape network next to its exact twin at the same state, and the model == chain check to the wei.

Nothing here imports ape at import time: ape and the chain layer are imported by the functions that need them,
so the plugin loads in an environment without ape.

The protocol's contracts come from the user's ape project when it compiles them (``LendingPool``,
``PriceRouter``, ...), else from the compiled artifacts the package ships (``chain.story_chain.protocol_project``).

State-changing calls go through ape's transaction path (``ApeDriver``: ``contract.method(*args, sender=...)``)
by default (``chain.driver.connect(project, via_ape=True)``: ``AnvilApeDriver`` on anvil, ``ApeDriver`` elsewhere),
so ``ape test --gas``, traces and coverage see supply/borrow/repay/liquidate; ``via_ape=False`` picks the raw
JSON-RPC fast path on anvil (``AnvilDriver``, what the fuzzers use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


def differences(model_snapshot: Any, chain_snapshot: Any) -> list[str]:
    """Every field where the model's snapshot differs from the chain's: ``'<where>.<field>: model != chain'``
    (``Snapshot.diff`` / ``PerpSnapshot.diff``: integers, compared to the wei)."""
    return list(model_snapshot.diff(chain_snapshot))


def assert_agree(model: Any, chain: Any) -> None:
    """Compare every field of ``model.snapshot()`` and ``chain.snapshot()`` to the wei.

    Raises ``AssertionError`` listing each differing field (model value != chain value), one per line."""
    found = differences(model.snapshot(), chain.snapshot())
    if found:
        raise AssertionError(f"model and chain differ in {len(found)} field(s) (model != chain):\n  "
                             + "\n  ".join(found))


@dataclass
class Deployed:
    """A protocol deployed on the active ape network and its exact twin at the same state (``Replay``).

    ``chain`` is the ``ChainWorld`` (``.pool``, ``.tokens[asset]``, ``.signers[name]``, ``.address_of(name)``),
    ``model`` the ``ModelWorld`` built from it (same listing times), ``project`` the ape project the protocol
    contracts came from."""

    replay: Any
    """``protocol_model.chain.replay.Replay`` over the chain world."""
    project: Any

    @property
    def chain(self) -> Any:
        """The chain world (``chain.adapter.ChainWorld``)."""
        return self.replay.chain

    @property
    def model(self) -> Any:
        """The exact twin (``world.model_world.ModelWorld``) at the chain's state."""
        return self.replay.model

    def account(self, name: str) -> Any:
        """The ape account playing model account ``name``."""
        return self.chain.signers[name]

    def step(self, action: Any, expected: str = "ok") -> Any:
        """Run ``action`` (``world.action.Action``) on both twins at the same block time (one second on) and
        compare every field; returns the ``StepResult`` (``.model`` / ``.chain`` outcomes, ``.mismatches``)."""
        return self.replay.step(action, expected)

    def mirror(self, action: Any, receipt: Any) -> str:
        """Apply ``action`` to the model at the block time of ``receipt`` (a transaction the test sent on chain
        itself, e.g. through its own contract) so the twins stay at the same state; returns the model's outcome
        ('ok' or the error name). Later ``step`` calls continue after that block."""
        at = int(receipt.timestamp)
        self.replay.now = max(self.replay.now, at)
        self.chain.last_time = max(self.chain.last_time, at)
        return str(self.model.apply(action, at))


def deploy(scenario: Any, user_project: Any, test_accounts: Any, via_ape: bool = True) -> Deployed:
    """Deploy ``scenario`` (a story world: its pool, assets and funded accounts) on the active network; the
    story's accounts play ``test_accounts[1:]`` in order (``[0]`` deploys). Raises ``AssertionError`` when the
    model and chain differ before any step, ``ScenarioError`` when the network has too few accounts."""
    from protocol_model.chain.driver import connect
    from protocol_model.chain.replay import Replay
    from protocol_model.chain.story_chain import deploy_story, protocol_project

    project = protocol_project(user_project)
    world = deploy_story(scenario, project, test_accounts, connect(project, via_ape))
    return Deployed(Replay.start(scenario, world), project)


def play_story(path: str | Path, user_project: Any, test_accounts: Any, via_ape: bool = True) -> Any:
    """Deploy the story file ``path`` (path or bundled name such as ``stories/bad_debt``) and run every step on
    both twins; returns the finished ``Replay``. Raises ``AssertionError`` listing each step where the twins
    disagree (outcome or any field) or the outcome is not the one the file states."""
    from protocol_model.api.load import load
    from protocol_model.chain.story_chain import failures, report_lines

    deployed = deploy(load(path), user_project, test_accounts, via_ape)
    deployed.replay.run()
    if failures(deployed.replay):
        lines, _ = report_lines(deployed.replay)
        raise AssertionError(f"story {path}:\n" + "\n".join(lines))
    return deployed.replay
