"""The leveraged token's deposit cooldown on both twins, in process (P-VAULT-10; docs/leveraged_tokens.md,
"Deposit cooldown").

Deposits and redemptions are priced at the oracle NAV, so a depositor who sees an oracle update coming could deposit
before it and redeem after it, taking about L x the move from the other holders. An account that received shares by
a deposit can neither redeem nor transfer shares until ``cooldownSeconds`` later (``CooldownActive``), and nobody can
deposit for an account that has not approved them (``ReceiverNotApproved``), so nobody can lock a stranger's shares.
Each step runs on the in-process chain and in the exact model: the same outcome, then every compared field
(``lastDepositAt`` of every actor included) equal to the wei.
"""

from __future__ import annotations

from protocol_model.chain.leveraged import LevOp, LevWorld
from protocol_model.exact.strategies.leveraged_token import DEFAULT_COOLDOWN_SECONDS as COOLDOWN
from protocol_model.world.leveraged_world import KEEPER
from tests.crosscheck.test_leveraged_token import run

E18 = 10**18
VAULT = "lev2x"


def _warp_to(lev: LevWorld, at: int) -> None:
    """Warp so that the next operation runs at block time ``at`` (each step runs one second after the last)."""
    run(lev, LevOp("warp", seconds=at - lev.now - 1), "ok")


def test_an_oracle_front_run_is_refused_until_the_cooldown_ends(lev_in_process):
    """alice holds the levered 2x token; bob sees a +1% oracle update coming, deposits 20 WETH just before it and
    tries to leave just after it: his redemption and a transfer of his shares to carol (to redeem there) are
    refused by ``CooldownActive`` on both twins up to the last second of the cooldown, and pass from its end. An
    unlocked holder's transfer passes, and its recipient is not locked (carol redeems at once)."""
    lev = lev_in_process
    v = lev.vaults_m[VAULT]
    saved = lev.checkpoint()
    try:
        run(lev, LevOp("deposit", VAULT, "alice", 10 * E18), "ok")
        run(lev, LevOp("rebalance", VAULT, KEEPER), "ok")
        run(lev, LevOp("warp", seconds=COOLDOWN), "ok")
        run(lev, LevOp("deposit", VAULT, "bob", 20 * E18), "ok")  # just before the update
        deposited_at, end = lev.now, v.cooldown_end("bob")
        assert (v.last_deposit_at["bob"], end) == (deposited_at, deposited_at + COOLDOWN)
        answer = lev.mw.pool.feeds["WETH"].answer
        run(lev, LevOp("price", answer=answer * 101 // 100), "ok")  # the update (then the pair is arbitraged)
        held = v.balance_of("bob")
        run(lev, LevOp("redeem", VAULT, "bob", held), "CooldownActive")
        run(lev, LevOp("transfer", VAULT, "bob", held, to="carol"), "CooldownActive")
        run(lev, LevOp("transfer", VAULT, "bob", held + 1, to="carol"), "CooldownActive")  # before the balance
        assert v.max_redeem("bob", lev.now) == 0 and v.balance_of("bob") == held
        # alice's deposit is older than the cooldown: she may move shares, and carol may redeem them at once.
        run(lev, LevOp("transfer", VAULT, "alice", E18, to="carol"), "ok")
        run(lev, LevOp("redeem", VAULT, "carol", E18), "ok")
        _warp_to(lev, end - 1)
        run(lev, LevOp("redeem", VAULT, "bob", held), "CooldownActive")
        assert lev.now == end - 1
        run(lev, LevOp("transfer", VAULT, "bob", held + 1, to="carol"), "ERC20InsufficientBalance")
        assert lev.now == end
        run(lev, LevOp("transfer", VAULT, "bob", E18, to="carol"), "ok")
        run(lev, LevOp("redeem", VAULT, "bob", held - E18), "ok")
        assert v.balance_of("bob") == 0 and v.balance_of("carol") == E18
    finally:
        lev.restore(saved)


def test_a_stranger_cannot_lock_another_account(lev_in_process):
    """bob deposits 1 wei for alice (receiver = alice) to restart her cooldown and lock her shares: refused by
    ``ReceiverNotApproved`` on both twins, her ``lastDepositAt`` unchanged, and she redeems. Once she approves
    bob (a share allowance, the trust a spender of her shares already has) his deposit for her passes and starts
    her cooldown; revoking the allowance refuses it again. A zero deposit is ``ZeroShares`` first."""
    lev = lev_in_process
    v = lev.vaults_m[VAULT]
    saved = lev.checkpoint()
    try:
        run(lev, LevOp("deposit", VAULT, "alice", 10 * E18), "ok")
        alice_at = v.last_deposit_at["alice"]
        run(lev, LevOp("warp", seconds=COOLDOWN), "ok")
        run(lev, LevOp("deposit", VAULT, "bob", 1, to="alice"), "ReceiverNotApproved")
        run(lev, LevOp("deposit", VAULT, "bob", 0, to="alice"), "ZeroShares")
        assert v.last_deposit_at["alice"] == alice_at and "bob" not in v.last_deposit_at
        run(lev, LevOp("redeem", VAULT, "alice", E18), "ok")
        run(lev, LevOp("approve", VAULT, "alice", 1, to="bob"), "ok")
        run(lev, LevOp("deposit", VAULT, "bob", 1, to="alice"), "ok")
        assert v.last_deposit_at["alice"] == lev.now and "bob" not in v.last_deposit_at
        run(lev, LevOp("redeem", VAULT, "alice", E18), "CooldownActive")
        run(lev, LevOp("approve", VAULT, "alice", 0, to="bob"), "ok")
        run(lev, LevOp("deposit", VAULT, "bob", 1, to="alice"), "ReceiverNotApproved")
        _warp_to(lev, v.cooldown_end("alice"))
        run(lev, LevOp("redeem", VAULT, "alice", E18), "ok")
    finally:
        lev.restore(saved)
