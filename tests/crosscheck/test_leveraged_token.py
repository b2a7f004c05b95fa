"""The 2x and 3x leveraged tokens on chain (contracts/strategies/LeveragedToken.sol over the LendingPool and
the compiled Uniswap V2 pair) against their exact twin (protocol_model/exact/strategies/leveraged_token.py).

After every operation — deposits, redemptions, share transfers, rebalances, the ripcord, fee accruals, oracle
moves with the pair arbitraged to them, time jumps — both sides give the same outcome (ok or the same error
name) and every field agrees to the wei: each vault's supply, NAV, NAV per share, leverage, timestamps, pool
position and idle tokens, every actor's shares, lastDepositAt and tokens, the pair's reserves, and the pool's
whole snapshot.
The random price paths run mainly on the in-process chain (INPROCESS_LEV_EXAMPLES paths, default 400), with a
small slice (FUZZ_EXAMPLES / 25) and the scripted cases on the session's chain (anvil under ``make test``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from protocol_model.chain.leveraged import LevOp, LevWorld
from protocol_model.exact.math_lib import WAD
from protocol_model.exact.strategies.leveraged_token import DEFAULT_COOLDOWN_SECONDS as COOLDOWN
from protocol_model.exact.strategies.leveraged_token import VIRTUAL_SHARES
from protocol_model.world.leveraged_world import ACTORS, ARB, COLL, DEBT, DEPOSITORS, KEEPER, TREASURY
from tests.crosscheck.fuzzing import fixed_seed, timed

EXAMPLES = max(3, int(os.environ.get("FUZZ_EXAMPLES", "200")) // 25)
"""Paths on anvil (the small slice that keeps the JSON-RPC path honest)."""
INPROCESS_EXAMPLES = int(os.environ.get("INPROCESS_LEV_EXAMPLES", "300"))
"""Paths on the in-process chain (the main slice)."""
SUITE = "in-process leveraged-token fuzz"
E18 = 10**18


def usd(price: str) -> int:
    """A USD price as an 8-decimal feed answer."""
    from protocol_model.exact.oracle.price_router import usd_to_answer

    return usd_to_answer(price)


@pytest.fixture(scope="module")
def lev(project, admin, signers):
    """The leveraged-token world on the session's chain (anvil)."""
    return LevWorld.deploy(project, admin, signers)


def run(lev: LevWorld, op: LevOp, expect: str | None, stats=None) -> str:
    got_m, got_c = lev.step(op)
    assert got_m == got_c, f"{op.describe()}: model {got_m}, chain {got_c}"
    if expect is not None:
        assert got_m == expect, f"{op.describe()}: expected {expect}, got {got_m}"
    bad = lev.mismatches()
    if stats is not None:
        stats.operations += 1
        stats.mismatches += len(bad)
    assert not bad, f"after {op.describe()}: {bad[:6]}"
    return got_m


def test_story_band_schedule_ripcord_fees_and_redemptions(lev, crosscheck_stats):
    """A scripted life of both tokens; each step's outcome is stated, every field compared after it."""
    saved = lev.checkpoint()
    v2, v3 = lev.vaults_m["lev2x"], lev.vaults_m["lev3x"]
    try:
        story = [
            (LevOp("deposit", "lev2x", "alice", 10 * E18), "ok"),
            (LevOp("deposit", "lev3x", "bob", 5 * E18), "ok"),
            (LevOp("deposit", "lev3x", "alice", 0), "ZeroShares"),
            (LevOp("rebalance", "lev2x", KEEPER), "ok"),  # 1x is below the band
            (LevOp("rebalance", "lev3x", KEEPER), "ok"),
            (LevOp("rebalance", "lev2x", KEEPER), "RebalanceNotDue"),
            (LevOp("ripcord", "lev3x", KEEPER), "RipcordNotArmed"),
            (LevOp("price", answer=usd("2160")), "ok"),  # +8%: both stay in their bands
            (LevOp("rebalance", "lev3x", KEEPER), "RebalanceNotDue"),
            (LevOp("price", answer=usd("2380")), "ok"),  # +19%: 3x falls below 2.5, 2x stays above 1.7
            (LevOp("rebalance", "lev2x", KEEPER), "RebalanceNotDue"),
            (LevOp("rebalance", "lev3x", KEEPER), "ok"),
            (LevOp("deposit", "lev2x", "bob", 3 * E18), "ok"),  # unlevered until the next rebalance
            (LevOp("warp", seconds=86_400), "ok"),  # the schedule makes the 2x due
            (LevOp("rebalance", "lev2x", KEEPER), "ok"),
            (LevOp("accrue", "lev3x"), "ok"),
            (LevOp("price", answer=usd("2070")), "ok"),  # −13%: the 3x passes its 4x ripcord
            (LevOp("ripcord", "lev2x", KEEPER), "RipcordNotArmed"),
            (LevOp("ripcord", "lev3x", KEEPER), "ok"),
            (LevOp("swap", account=ARB, token_in=COLL, amount=3_000 * E18), "ok"),  # pair 12% under the oracle
            (LevOp("rebalance", "lev2x", KEEPER), "SlippageExceeded"),  # the delever would sell too cheap
            (LevOp("price", answer=usd("2070")), "ok"),  # arbitraged back
            (LevOp("rebalance", "lev2x", KEEPER), "ok"),
            (LevOp("warp", seconds=30 * 86_400), "ok"),
            (LevOp("redeem", "lev2x", "alice", 4 * E18, min_assets=10**30), "InsufficientAssetsOut"),
            (LevOp("redeem", "lev2x", "alice", 4 * E18), "ok"),
            (LevOp("redeem", "lev2x", "alice", 0), "ZeroShares"),
            (LevOp("redeem", "lev3x", "alice", 1), "ERC4626ExceededMaxRedeem"),
        ]
        for op, expect in story:
            run(lev, op, expect, crosscheck_stats)
        # The ripcord left the 3x at its target and paid the keeper; fees went to the treasury as shares.
        assert 2_900 * E18 // 1000 < v3.leverage_wad() < 3_100 * E18 // 1000, v3.leverage_wad()
        assert lev.mw.pool.ledger.balance(COLL, KEEPER) == v3.params.ripcord_reward_assets
        assert v2.balance_of(TREASURY) > 0 and v3.balance_of(TREASURY) > 0
        # Everyone leaves. The virtual shares' part of the position stays (SPEC §9 S1): the last redemption
        # takes ⌊C·s/(s + V)⌋ of the collateral and ⌈D·s/(s + V)⌉ of the debt, never the whole vault.
        for name, vm in lev.vaults_m.items():
            for who in (*DEPOSITORS, TREASURY, TREASURY, TREASURY):  # the fee accrues again on each call
                if vm.balance_of(who):
                    s, c, d = vm.balance_of(who), vm.collateral(), vm.debt()
                    left_c, left_d = c - c * s // (s + VIRTUAL_SHARES), d - -(-d * s // (s + VIRTUAL_SHARES))
                    run(lev, LevOp("redeem", name, who, s), "ok", crosscheck_stats)
            assert vm.total_supply == 0 and 0 < vm.collateral() and vm.debt() <= left_d
            assert vm.collateral() >= left_c - 1  # the pool's withdrawal rounding (≤ 1 unit) falls on the vault
        crosscheck_stats.sequences += 1
    finally:
        lev.restore(saved)


# ------------------------------------------------------------------ random price paths

deposit_st = st.tuples(st.just("deposit"), st.sampled_from(["lev2x", "lev3x"]), st.sampled_from(DEPOSITORS),
                       st.integers(1, 40 * E18))
redeem_st = st.tuples(st.just("redeem"), st.sampled_from(["lev2x", "lev3x"]),
                      st.sampled_from([*DEPOSITORS, TREASURY]), st.integers(1, 100))
transfer_st = st.tuples(st.just("transfer"), st.sampled_from(["lev2x", "lev3x"]),
                        st.sampled_from([*DEPOSITORS, TREASURY]), st.sampled_from(ACTORS), st.integers(1, 100))
keeper_st = st.tuples(st.sampled_from(["rebalance", "rebalance", "ripcord", "accrue"]),
                      st.sampled_from(["lev2x", "lev3x"]))
move_st = st.tuples(st.just("move"), st.integers(-150, 150))  # per-mille change of the WETH price
warp_st = st.tuples(st.just("warp"), st.sampled_from([COOLDOWN, 3_600, 86_400, 7 * 86_400]))
op_st = st.one_of(deposit_st, redeem_st, transfer_st, keeper_st, keeper_st, move_st, move_st, warp_st)


def to_op(lev: LevWorld, raw: tuple) -> LevOp:
    kind = raw[0]
    if kind == "deposit":
        return LevOp("deposit", raw[1], raw[2], raw[3])
    if kind == "redeem":
        held = lev.vaults_m[raw[1]].balance_of(raw[2])
        return LevOp("redeem", raw[1], raw[2], held * raw[3] // 100)
    if kind == "transfer":
        held = lev.vaults_m[raw[1]].balance_of(raw[2])
        return LevOp("transfer", raw[1], raw[2], held * raw[4] // 100, to=raw[3])
    if kind in ("rebalance", "ripcord", "accrue"):
        return LevOp(kind, raw[1], KEEPER)
    if kind == "move":
        answer = lev.mw.pool.feeds[COLL].answer
        return LevOp("price", answer=max(answer * (1000 + raw[1]) // 1000, 1))
    return LevOp("warp", seconds=raw[1])


def run_price_paths(lev: LevWorld, examples: int, stats, ops_per_path: tuple[int, int] = (4, 10)) -> dict[str, int]:
    """``examples`` random paths (a deposit and a rebalance into each vault, then ``ops_per_path`` (min, max)
    random operations), each from the same checkpoint; outcome and every field compared after each operation
    (counted in ``stats``). Returns the count of each ``kind:outcome``. Raises AssertionError on a mismatch."""
    outcomes: dict[str, int] = {}

    @settings(max_examples=examples, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck),
              derandomize=fixed_seed())
    @given(first=st.tuples(st.integers(1, 40 * E18), st.integers(1, 40 * E18)),
           ops=st.lists(op_st, min_size=ops_per_path[0], max_size=ops_per_path[1]))
    def check(first, ops):
        saved = lev.checkpoint()
        try:
            steps = [("deposit", "lev2x", "alice", first[0]), ("deposit", "lev3x", "bob", first[1]),
                     ("rebalance", "lev2x"), ("rebalance", "lev3x"), *ops]
            for raw in steps:
                op = to_op(lev, raw)
                got = run(lev, op, None, stats)
                outcomes[f"{op.kind}:{got}"] = outcomes.get(f"{op.kind}:{got}", 0) + 1
            stats.sequences += 1
        finally:
            lev.restore(saved)

    check()
    # The paths exercised levering, delevering and the refusal of an undue rebalance.
    assert outcomes.get("rebalance:ok", 0) >= 2 * examples, outcomes
    assert outcomes.get("deposit:ok", 0) >= 2 * examples, outcomes
    return outcomes


def test_random_price_paths_agree(lev, crosscheck_stats):
    """The anvil slice: a few paths through anvil's JSON-RPC keep that path honest."""
    run_price_paths(lev, EXAMPLES, crosscheck_stats)


def test_random_price_paths_agree_in_process(lev_in_process, crosscheck_suite, capsys):
    """The main slice, on the in-process chain: INPROCESS_LEV_EXAMPLES paths."""
    stats = crosscheck_suite(SUITE)
    with timed(SUITE, stats, capsys):
        outcomes = run_price_paths(lev_in_process, INPROCESS_EXAMPLES, stats, (8, 20))
    assert stats.mismatches == 0 and stats.sequences >= INPROCESS_EXAMPLES
    assert outcomes.get("rebalance:RebalanceNotDue") and outcomes.get("redeem:ok"), outcomes
    # The deposit cooldown (P-VAULT-10) both refused and let through redemptions and transfers.
    assert outcomes.get("redeem:CooldownActive") and outcomes.get("transfer:CooldownActive"), outcomes
    assert outcomes.get("transfer:ok"), outcomes


def test_leveraged_fuzzer_catches_a_flipped_rounding(lev_in_process, monkeypatch):
    """A vault model whose round-down divisions (shares, NAV, rebalance sizes) round up must be caught: a
    fixed life of the 2x token (deposits of odd amounts, a rebalance, a price move, a redemption)."""
    from protocol_model.exact.math_lib import mul_div_up
    from tests.crosscheck.conftest import CrosscheckStats

    monkeypatch.setattr("protocol_model.exact.strategies.leveraged_token.mul_div_down", mul_div_up)
    lev, stats = lev_in_process, CrosscheckStats()
    saved = lev.checkpoint()
    try:
        with pytest.raises(AssertionError):
            for raw in [("deposit", "lev2x", "alice", 10 * E18 + 7), ("rebalance", "lev2x"),
                        ("deposit", "lev2x", "bob", 3 * E18 + 11), ("move", 37), ("rebalance", "lev2x"),
                        ("warp", COOLDOWN), ("redeem", "lev2x", "alice", 33)]:
                run(lev, to_op(lev, raw), None, stats)
    finally:
        lev.restore(saved)
    assert stats.mismatches >= 1


def test_nav_per_share_tracks_leverage_times_the_move(lev):
    """Right after a rebalance to 2x, a 1% oracle move changes NAV per share by about 2% (exact model and
    chain agree; the bound allows for rounding and the pool's interest in one second)."""
    saved = lev.checkpoint()
    try:
        run(lev, LevOp("deposit", "lev2x", "alice", 20 * E18), "ok")
        run(lev, LevOp("rebalance", "lev2x", KEEPER), "ok")
        v = lev.vaults_m["lev2x"]
        lev_before, nav_before = v.leverage_wad(), v.convert_to_assets(WAD)
        price_before = lev.mw.pool.feeds[COLL].answer
        run(lev, LevOp("price", answer=price_before * 101 // 100), "ok")
        # NAV in WETH: equity in USD grows by L×1%, the WETH price by 1%: (1 + 0.01 L)/1.01 − 1.
        expected = (1 + 0.01 * lev_before / WAD) / 1.01 - 1
        got = v.convert_to_assets(WAD) / nav_before - 1
        assert abs(got - expected) < 1e-6, (got, expected)
        assert DEBT in lev.mw.asset_names
    finally:
        lev.restore(saved)


# ------------------------------------------------------------------ share inflation (issue 14, item 8)


def test_a_donation_to_an_empty_vault_does_not_pay(lev, crosscheck_stats):
    """bob deposits 10 wei into the empty 2x vault, then supplies 55 WETH to the pool on its behalf; alice
    deposits 10 WETH. Before the fix alice got 1 share and lost 40.9% while bob made 4.09 WETH. Now both
    conversions divide by supply + V (V = 10^6 virtual shares) and the donation is shared with V."""
    saved = lev.checkpoint()
    v = lev.vaults_m["lev2x"]
    try:
        bob0, alice0 = (lev.mw.pool.ledger.balance(COLL, who) for who in ("bob", "alice"))
        run(lev, LevOp("deposit", "lev2x", "bob", 10), "ok", crosscheck_stats)
        run(lev, LevOp("supply_for", "lev2x", "bob", 55 * E18), "ok", crosscheck_stats)
        # alice's guard: she expects about 10 WETH worth of shares at the NAV she saw (10 wei, 10^7 shares)
        run(lev, LevOp("deposit", "lev2x", "alice", 10 * E18, min_assets=10 * E18 * 10**6 * 99 // 100),
            "InsufficientSharesOut", crosscheck_stats)
        run(lev, LevOp("deposit", "lev2x", "alice", 10 * E18), "ok", crosscheck_stats)
        bob_shares, alice_shares = 10 * VIRTUAL_SHARES, 10 * E18 * 11 * VIRTUAL_SHARES // (55 * E18 + 11)
        assert (v.balance_of("bob"), v.balance_of("alice")) == (bob_shares, alice_shares) == (10**7, 1_999_999)
        # Both wait out their deposit cooldown; the management fee meanwhile mints the treasury `fee` shares.
        run(lev, LevOp("warp", seconds=COOLDOWN), "ok", crosscheck_stats)
        run(lev, LevOp("accrue", "lev2x"), "ok", crosscheck_stats)
        fee = v.balance_of(TREASURY)
        assert v.total_supply == bob_shares + alice_shares + fee
        run(lev, LevOp("redeem", "lev2x", "bob", bob_shares), "ok", crosscheck_stats)
        c = 65 * E18 + 10
        bob_out = c * bob_shares // (bob_shares + alice_shares + fee + VIRTUAL_SHARES)
        run(lev, LevOp("redeem", "lev2x", "alice", alice_shares), "ok", crosscheck_stats)
        alice_out = (c - bob_out) * alice_shares // (alice_shares + fee + VIRTUAL_SHARES)
        ledger = lev.mw.pool.ledger
        assert ledger.balance(COLL, "bob") - bob0 == bob_out - 55 * E18 - 10
        assert ledger.balance(COLL, "alice") - alice0 == alice_out - 10 * E18
        assert bob_out - 55 * E18 - 10 < -4 * E18  # the attacker loses about 5 WETH (1/13 of 65 to V) ...
        assert 0 <= 10 * E18 - alice_out < 10 * E18 // 10**5  # ... the victim less than 0.001%
    finally:
        lev.restore(saved)


def test_tokens_sent_to_the_vault_are_not_nav(lev, crosscheck_stats):
    """alice deposits 100 WETH, bob sends 100 WETH straight to the vault, then deposits 100 and redeems:
    before the fix the gift counted in NAV but was never paid, and bob redeemed 66.67. Now NAV counts only the
    pool position redemptions pay from: bob's 10^26 shares redeem 100 WETH less one wei of rounding."""
    saved = lev.checkpoint()
    v = lev.vaults_m["lev2x"]
    try:
        run(lev, LevOp("deposit", "lev2x", "alice", 100 * E18), "ok", crosscheck_stats)
        start = lev.now
        run(lev, LevOp("send", "lev2x", "bob", 100 * E18), "ok", crosscheck_stats)
        assert v.total_assets() == 100 * E18
        bob0 = lev.mw.pool.ledger.balance(COLL, "bob")
        run(lev, LevOp("deposit", "lev2x", "bob", 100 * E18), "ok", crosscheck_stats)
        # The management fee (2%/year) minted the treasury a few shares first: S = alice's 10^26 + those.
        supply = 10**26 + v.balance_of(TREASURY)
        shares = 100 * E18 * (supply + VIRTUAL_SHARES) // (100 * E18 + 1)
        assert v.balance_of("bob") == shares
        run(lev, LevOp("warp", seconds=COOLDOWN), "ok", crosscheck_stats)  # bob's deposit cooldown
        run(lev, LevOp("redeem", "lev2x", "bob", shares), "ok", crosscheck_stats)
        paid = lev.mw.pool.ledger.balance(COLL, "bob") - bob0 + 100 * E18
        assert paid == 200 * E18 * shares // (v.total_supply + shares + VIRTUAL_SHARES)
        # 100 WETH less the fee's dilution over the seconds since alice's deposit (2%/year; 3 without the
        # cooldown) and rounding: not 66.67.
        elapsed = lev.now - start
        assert elapsed == COOLDOWN + 3
        assert 0 <= 100 * E18 - paid <= 100 * E18 * 2 * elapsed // (100 * 365 * 86_400) + 2
    finally:
        lev.restore(saved)


def test_entry_points_take_a_deadline(lev, crosscheck_stats):
    saved = lev.checkpoint()
    try:
        run(lev, LevOp("deposit", "lev2x", "alice", E18, deadline=lev.now), "DeadlineExpired", crosscheck_stats)
        run(lev, LevOp("deposit", "lev2x", "alice", E18, deadline=lev.now + 1), "ok", crosscheck_stats)
        held = lev.vaults_m["lev2x"].balance_of("alice")
        run(lev, LevOp("warp", seconds=COOLDOWN), "ok", crosscheck_stats)  # alice's deposit cooldown
        run(lev, LevOp("redeem", "lev2x", "alice", held, deadline=lev.now), "DeadlineExpired", crosscheck_stats)
        run(lev, LevOp("redeem", "lev2x", "alice", held, deadline=lev.now + 1), "ok", crosscheck_stats)
    finally:
        lev.restore(saved)
