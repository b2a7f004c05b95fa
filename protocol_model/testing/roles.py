"""The accounts a test talks about, by role: the names model worlds and stories use (on a chain the
deployer is ``accounts[0]`` and the story accounts follow, in this order)."""

from __future__ import annotations

from dataclasses import dataclass

STORY_ACCOUNTS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory")
"""Account names of the stories and of this repository's chain tests (``signers``), in funding order."""


@dataclass(frozen=True)
class Roles:
    """Who does what in a test: names of model accounts (a story's ``accounts``).

    ``deployer`` deploys the contracts and holds ``DEFAULT_ADMIN_ROLE``, ``RISK_ADMIN_ROLE`` and
    ``GUARDIAN_ROLE`` of ``LendingPool`` (it is no story account); ``suppliers`` provide liquidity,
    ``borrowers`` take debt, ``liquidator`` liquidates, ``attacker`` tries what should revert.
    """

    deployer: str = "deployer"
    suppliers: tuple[str, ...] = ("alice", "bob")
    borrowers: tuple[str, ...] = ("carol", "dave")
    liquidator: str = "erin"
    attacker: str = "mallory"

    @property
    def accounts(self) -> tuple[str, ...]:
        """Every story account of these roles (suppliers, borrowers, liquidator, attacker), no repeats."""
        names = (*self.suppliers, *self.borrowers, self.liquidator, self.attacker)
        return tuple(dict.fromkeys(names))
