"""Stateful differential fuzzing of the Looper (contracts/strategies/Looper.sol) against its exact twin
(protocol_model/exact/strategies/looper.py), over the lending pool and the compiled Uniswap V2 pair.

Random sequences open leveraged positions in both directions (long WETH on USDC debt, short WETH on WETH
debt), iteratively and with a flash loan, unwind them in part and in full, grant and revoke the Looper's
authorization, move the oracle price (with and without the pair following, and re-arbitraged), trade on
the pair, liquidate, and let time pass. After every operation both twins give the same outcome (ok or the
same error name) and every readable field agrees to the wei: the pool's assets, positions (wallet
balances included) and accounts (health factors), the pair's reserves, timestamp, cumulative prices, LP
supply and token balances, and the Looper's own token balances. The Looper's postconditions
(P-LOOP-06 .. P-LOOP-10 in docs/PROPERTIES.md) are asserted after every step.

The main slice runs on the in-process chain (INPROCESS_LOOPER_EXAMPLES sequences, default 300); a small
slice (LOOPER_FUZZ_EXAMPLES, default 6) runs on the session's chain (anvil under ``make test``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.exact import math_lib as fp
from protocol_model.exact.strategies.looper import LOOPER, MAX_SLIPPAGE_BPS
from protocol_model.scenario.story import Scenario, parse_scenario
from protocol_model.world.lending_properties import clone
from protocol_model.world.leveraged_world import arbitrage_trade
from protocol_model.world.model_world import Action, ModelWorld, resolve
from tests.crosscheck.conftest import CrosscheckStats
from tests.crosscheck.fuzzing import begin_sequence, machine_settings, timed

EXAMPLES = int(os.environ.get("LOOPER_FUZZ_EXAMPLES", "4"))
"""Sequences on anvil (the small slice that keeps the JSON-RPC path honest)."""
INPROCESS_EXAMPLES = int(os.environ.get("INPROCESS_LOOPER_EXAMPLES", "220"))
"""Sequences on the in-process chain (the main slice)."""
STEPS = int(os.environ.get("FUZZ_STEPS", "30"))
SUITE = "in-process Looper fuzz"
PAIR = "WETH_USDC"
ASSETS = ("USDC", "WETH")
LOOPERS = ("alice", "bob", "carol")
LENDER, TRADER = "lender", "trader"
DIRECTIONS = (("WETH", "USDC"), ("USDC", "WETH"))
"""(collateral, debt): long WETH on USDC debt, and short WETH (USDC collateral, WETH debt)."""
BASE_ANSWER = {"USDC": 10**8, "WETH": 2_000 * 10**8}

SCENARIO = {
    "kind": "story",
    "name": "looper-fuzz",
    "description": "The Looper fuzzer's world: a deep WETH/USDC pair, a lender on both sides, three loopers "
                   "(alice and bob authorize the Looper, carol does not) and a trader.",
    "protocol": "generic",
    "assets": list(ASSETS),
    "overrides": {"pool.flash_loan_fee": "0.09%"},
    "amm_pairs": [{"name": PAIR, "assets": ["WETH", "USDC"], "reserves": {"WETH": "100000", "USDC": "200000000"}}],
    "accounts": [
        {"name": LENDER, "balances": {"USDC": "40000000", "WETH": "20000"}},
        *({"name": n, "balances": {"WETH": "200", "USDC": "400000"}} for n in LOOPERS),
        {"name": TRADER, "balances": {"WETH": "30000", "USDC": "60000000"}},
    ],
    "steps": [
        {"op": "supply", "account": LENDER, "asset": "USDC", "amount": "30000000"},
        {"op": "supply", "account": LENDER, "asset": "WETH", "amount": "15000"},
        {"op": "authorize", "account": "alice"},
        {"op": "authorize", "account": "bob"},
        {"op": "loop_open", "account": "alice", "collateral": "WETH", "debt": "USDC", "equity": "10",
         "mode": "flash", "leverage": "2.5"},
        {"op": "loop_open", "account": "bob", "collateral": "USDC", "debt": "WETH", "equity": "20000",
         "mode": "iterative", "rounds": 2, "max_slippage_bps": 50},
        {"op": "loop_open", "account": "carol", "collateral": "WETH", "debt": "USDC", "equity": "10",
         "mode": "flash", "leverage": "2", "expect": "Unauthorized"},
        {"op": "swap", "account": TRADER, "pair": PAIR, "asset": "WETH", "amount": "1"},
    ],
}
"""Every account with a loop_open or swap step approves the Looper and the swap helper at deployment; the
steps are the opening every sequence starts from."""

accounts_st = st.sampled_from(LOOPERS)
directions_st = st.sampled_from(DIRECTIONS)
percent_st = st.one_of(st.integers(1, 100), st.sampled_from([1, 50, 100]))


def mostly(valid: st.SearchStrategy[int], invalid: list[int]) -> st.SearchStrategy[int]:
    """``valid`` about 19 times in 20, else one of the ``invalid`` edge values (each rejected by name). The
    choice is a uniform draw compared with a middle value, which hypothesis does not favour as it favours
    the first branch of ``one_of`` or the ends of a range."""
    return st.tuples(st.integers(0, 19), valid, st.sampled_from(invalid)).map(lambda t: t[2] if t[0] == 7 else t[1])


slippage_st = mostly(st.one_of(st.integers(40, MAX_SLIPPAGE_BPS), st.integers(0, MAX_SLIPPAGE_BPS)),
                     [MAX_SLIPPAGE_BPS + 1, fp.BPS])
"""Mostly a tolerance above the pair's 0.3% fee (40-59 bps), so that loops pass unless the price moved."""


def looper_scenario() -> Scenario:
    """The fuzz world as a validated story (``SCENARIO``)."""
    return parse_scenario(SCENARIO, "looper fuzz")


def opened(world, scenario: Scenario) -> tuple:
    """``world`` and its model twin after the scenario's opening steps, each agreeing on both."""
    model = ModelWorld(scenario, world.listed_at, world.feed_times)
    now = model.view_now = world.now()
    for step in scenario.steps:
        now += 1
        action = resolve(step, scenario)
        got = model.apply(action, now), world.apply(action, now)
        assert got == (step.expect, step.expect), f"{action.describe()}: {got}, expected {step.expect}"
    assert not model.snapshot().diff(world.snapshot())
    return world, model


@pytest.fixture(scope="module")
def looper_world(deploy_world):
    """The Looper fuzz world on the session's chain (anvil), opened, with its model twin."""
    scenario = looper_scenario()
    return opened(deploy_world(scenario), scenario)


@pytest.fixture(scope="module")
def looper_world_in_process():
    """The same world on the in-process chain (revm), from the same bytecode."""
    scenario = looper_scenario()
    return opened(deploy_in_process(scenario), scenario)


def make_machine(world, base_model, stats, outcomes: dict[str, int]):
    """The Looper state machine over ``world`` (a ``ChainWorld`` with the pair and the Looper) and a copy of
    ``base_model`` per sequence; counts go to ``stats``, ``kind:outcome`` counts to ``outcomes``."""

    class LooperMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            begin_sequence(self, world, base_model, stats)
            self.model.view_now = self.now

        def teardown(self):
            world.driver.restore(self.snap_id)

        # -------------------------------------------------------------- driving both twins

        def do(self, action: Action, label: str = "") -> str:
            self.now += action.seconds if action.kind == "warp" else 1
            before = clone(self.model.pool)
            model_out = self.model.apply(action, self.now)
            chain_out = world.apply(action, self.now)
            stats.operations += 1
            model_snap, chain_snap = self.model.snapshot(), world.snapshot()
            diff = [] if model_snap == chain_snap else model_snap.diff(chain_snap)
            stats.mismatches += model_out != chain_out or bool(diff)
            assert model_out == chain_out, f"{action.describe()}: model {model_out}, chain {chain_out}"
            assert not diff, f"{action.describe()}: {diff[:6]}"
            key = f"{label or action.kind}:{model_out}"
            outcomes[key] = outcomes.get(key, 0) + 1
            if action.kind in ("loop_open", "loop_unwind"):
                self.check_loop(action, model_out, before, self.model.pool)
            return model_out

        def check_loop(self, a: Action, outcome: str, before, after) -> None:
            """The Looper's postconditions on the model (equal to the chain here)."""
            user, coll, debt = a.account, a.collateral, a.debt
            authorized = (user, LOOPER) in before.authorizations
            if a.kind == "loop_unwind":
                assert authorized or outcome != "ok", f"{user}: unwound without authorization"
            if outcome != "ok":
                return
            pre = clone(before)  # the pool as the call found it, interest accrued to its block time
            pre.accrue_all(self.now)
            wallet = {x: (before.ledger.balance(x, user), after.ledger.balance(x, user)) for x in ASSETS}
            if a.kind == "loop_open":
                # P-LOOP-06: exactly the equity leaves the wallet; the debt asset's wallet is untouched;
                # P-LOOP-07: an open that borrows leaves the account within its borrow capacity.
                assert wallet[coll][1] == wallet[coll][0] - a.amount, f"{user}: wallet {coll} {wallet[coll]}"
                assert wallet[debt][1] == wallet[debt][0], f"{user}: wallet {debt} {wallet[debt]}"
                supplied = after.supply_balance(coll, user) - pre.supply_balance(coll, user)
                assert supplied + MAX_ROUNDING_UNITS >= a.amount, f"{user}: supplied {supplied} < {a.amount}"
                borrowed = after.scaled_debt.get((debt, user), 0) - before.scaled_debt.get((debt, user), 0)
                if borrowed:  # no round may borrow past the capacity (a round with no room borrows nothing)
                    values = after.account_values(user)
                    assert values.debt_wad <= values.borrow_capacity_wad, f"{user}: opened above capacity"
                # P-LOOP-08: without the user's authorization no debt is added.
                assert authorized or not borrowed, f"{user}: the Looper borrowed without authorization"
            else:
                owed = pre.debt_balance(debt, user)
                repaid = owed if a.fraction_bps == fp.BPS else fp.bps_mul_down(owed, a.fraction_bps)
                # P-LOOP-09: a full unwind closes both legs; a partial one repays its share of the debt,
                # and the user's wallet only gains (the collateral left after the flash repayment).
                if a.fraction_bps == fp.BPS:
                    assert after.debt_balance(debt, user) == 0 and after.supply_balance(coll, user) == 0
                assert after.debt_balance(debt, user) <= owed - repaid + 1, f"{user}: repaid less than {repaid}"
                assert wallet[coll][1] >= wallet[coll][0] and wallet[debt][1] == wallet[debt][0]

        # -------------------------------------------------------------- rules

        @rule(account=accounts_st, direction=directions_st, percent=percent_st,
              rounds=mostly(st.one_of(st.integers(1, 6), st.just(20)), [0, 21]),
              fraction=mostly(st.one_of(st.integers(1, fp.BPS), st.just(fp.BPS)), [0, fp.BPS + 1]),
              slippage=slippage_st)
        def open_iterative(self, account, direction, percent, rounds, fraction, slippage):
            coll, debt = direction
            self.do(Action("loop_open", account, amount=self.equity(account, coll, percent), collateral=coll,
                           debt=debt, mode="iterative", rounds=rounds, fraction_bps=fraction,
                           max_slippage_bps=slippage), "open_iterative")

        @rule(account=accounts_st, direction=directions_st, percent=st.one_of(st.integers(1, 25), percent_st),
              leverage=mostly(st.one_of(st.integers(10_001, 45_000), st.just(50_000)), [10_000, 1_000_001]),
              slippage=slippage_st)
        def open_flash(self, account, direction, percent, leverage, slippage):
            coll, debt = direction
            self.do(Action("loop_open", account, amount=self.equity(account, coll, percent), collateral=coll,
                           debt=debt, mode="flash", leverage_bps=leverage, max_slippage_bps=slippage), "open_flash")

        @rule(account=accounts_st, direction=directions_st,
              fraction=mostly(st.one_of(st.integers(1, fp.BPS - 1), st.just(fp.BPS)), [0, fp.BPS + 1]),
              slippage=slippage_st, own=st.booleans())
        def unwind(self, account, direction, fraction, slippage, own):
            """Unwind ``fraction_bps`` of the loop in ``direction``, or (``own``) of the account's larger debt."""
            coll, debt = self.own_direction(account) if own else direction
            label = "unwind_full" if fraction == fp.BPS else "unwind_partial"
            self.do(Action("loop_unwind", account, collateral=coll, debt=debt, fraction_bps=fraction,
                           max_slippage_bps=slippage), label)

        @rule(account=accounts_st, enabled=st.booleans())
        def authorize(self, account, enabled):
            self.do(Action("authorize", account, enabled=enabled))

        @rule(asset=st.sampled_from(ASSETS), permille=st.integers(1, 40), follow=st.booleans())
        def trade(self, asset, permille, follow):
            """The trader sells ``permille``‰ of the pair's reserve of ``asset``; the oracle then follows the
            pair's spot price (``price_from_pair``) or not."""
            reserve, _ = self.model.amm.pairs[PAIR].reserves(asset)
            self.do(Action("swap", TRADER, asset, max(reserve * permille // 1000, 1), pair=PAIR))
            if follow:
                self.do(Action("price_from_pair", asset="WETH", pair=PAIR))

        @rule(factor_pct=st.one_of(st.integers(70, 130), st.integers(97, 103)), arbitrage=st.booleans())
        def move_price(self, factor_pct, arbitrage):
            """The WETH oracle moves; the pair is then arbitraged to it, or left behind (slippage checks)."""
            answer = self.model.pool.feeds["WETH"].answer
            self.do(Action("price", asset="WETH", answer=max(answer * factor_pct // 100, 1)))
            if arbitrage:
                trade = arbitrage_trade(self.model.pool, self.model.amm.pairs[PAIR])
                if trade is not None:
                    self.do(Action("swap", TRADER, trade[0], max(trade[1], 1), pair=PAIR))

        @rule(borrower=accounts_st, direction=directions_st, everything=st.booleans())
        def liquidate(self, borrower, direction, everything):
            coll, debt = direction
            owed = self.model.pool.debt_balance(debt, borrower)
            amount = fp.UINT256_MAX if everything else max(owed // 2, 1)
            self.do(Action("liquidate", LENDER, amount=amount, borrower=borrower, collateral=coll, debt=debt))

        @rule(borrower=accounts_st, drop_pct=st.integers(15, 45))
        def crash_and_liquidate(self, borrower, drop_pct):
            """WETH moves ``drop_pct``% against ``borrower``'s loop (down for a long, up for a short), the pair
            is arbitraged to it, then the lender liquidates half of the debt."""
            direction = self.own_direction(borrower)
            self.move_price(100 - drop_pct if direction == DIRECTIONS[0] else 100 + drop_pct, True)
            self.liquidate(borrower, direction, False)

        @rule(seconds=st.one_of(st.integers(1, 3600), st.integers(3600, 180 * 86_400)))
        def warp(self, seconds):
            """Time passes (interest accrues); both feeds then publish again (their heartbeat)."""
            self.do(Action("warp", seconds=seconds))
            for asset in ASSETS:
                self.do(Action("price", asset=asset, answer=self.model.pool.feeds[asset].answer))

        # -------------------------------------------------------------- amounts and invariants

        def own_direction(self, account: str) -> tuple[str, str]:
            """The (collateral, debt) of ``account``'s larger scaled debt (long WETH when it has none)."""
            pool = self.model.pool
            debt = max(reversed(ASSETS), key=lambda x: pool.scaled_debt.get((x, account), 0))
            return DIRECTIONS[0] if debt == "USDC" else DIRECTIONS[1]

        def equity(self, account: str, asset: str, percent: int) -> int:
            """``percent``% of ``account``'s wallet balance of ``asset`` (at least 1 unit)."""
            return max(self.model.pool.ledger.balance(asset, account) * percent // 100, 1)

        @invariant()
        def looper_keeps_nothing(self):
            """P-LOOP-10: between transactions the Looper holds no token (model == chain here)."""
            if hasattr(self, "model"):
                ledger = self.model.pool.ledger
                assert all(ledger.balance(x, LOOPER) == 0 for x in ASSETS), "the Looper kept tokens"

    return LooperMachine


MAX_ROUNDING_UNITS = 22
"""Units a loop's supplies may fall short of what was sent: one per supply (scaled balances round down),
at most MAX_ROUNDS + 1 supplies, plus the interest index's rounding."""


def fuzz_settings(examples: int, shrink: bool = True) -> settings:
    """Hypothesis settings of the Looper fuzzer: ``examples`` sequences of STEPS rules."""
    return machine_settings(examples, STEPS, shrink)


def test_looper_model_and_chain_agree(looper_world, crosscheck_stats):
    """The anvil slice: a few sequences through anvil's JSON-RPC keep that path honest."""
    world, base_model = looper_world
    run_state_machine_as_test(make_machine(world, base_model, crosscheck_stats, {}), settings=fuzz_settings(EXAMPLES))
    assert crosscheck_stats.mismatches == 0


def test_looper_model_and_in_process_chain_agree(looper_world_in_process, crosscheck_suite, capsys):
    """The main slice, on the in-process chain; every entry point must have passed and reverted."""
    world, base_model = looper_world_in_process
    stats, outcomes = crosscheck_suite(SUITE), {}
    with timed(SUITE, stats, capsys):
        run_state_machine_as_test(make_machine(world, base_model, stats, outcomes),
                                  settings=fuzz_settings(INPROCESS_EXAMPLES))
    assert stats.mismatches == 0 and stats.sequences >= INPROCESS_EXAMPLES
    for label in ("open_iterative", "open_flash", "unwind_partial", "unwind_full"):
        assert outcomes.get(f"{label}:ok"), (label, outcomes)
        assert sum(n for k, n in outcomes.items() if k.startswith(f"{label}:") and k != f"{label}:ok"), (label,
                                                                                                        outcomes)
    assert outcomes.get("open_flash:Unauthorized") or outcomes.get("open_iterative:Unauthorized"), outcomes


@pytest.mark.parametrize("target,replacement", [
    ("protocol_model.exact.strategies.looper.bps_mul_down", "protocol_model.exact.math_lib.bps_mul_up"),
    ("protocol_model.exact.strategies.looper.mul_div_down", "protocol_model.exact.math_lib.mul_div_up"),
])
def test_looper_fuzzer_catches_a_flipped_rounding(looper_world_in_process, monkeypatch, target, replacement):
    """A Looper twin with one rounding direction flipped must be caught: a fixed sequence through the
    fuzzer's own rules (an iterative open at an odd borrow fraction, a flash open at an odd leverage, a
    partial unwind) where each flipped division has an inexact quotient."""
    module, name = replacement.rsplit(".", 1)
    monkeypatch.setattr(target, getattr(__import__(module, fromlist=[name]), name))
    world, base_model = looper_world_in_process
    stats = CrosscheckStats()
    machine = make_machine(world, base_model, stats, {})()
    machine.start()
    try:
        with pytest.raises(AssertionError):
            machine.open_iterative("alice", DIRECTIONS[0], 37, 3, 7_777, 59)
            machine.open_flash("bob", DIRECTIONS[0], 13, 23_333, 59)
            machine.unwind("alice", DIRECTIONS[0], 3_333, 59, True)
    finally:
        machine.teardown()
    assert stats.mismatches >= 1


@pytest.mark.parametrize("violation", ["wallet", "unauthorized", "full_unwind", "looper_keeps"])
def test_looper_postconditions_catch_an_injected_violation(looper_world_in_process, violation):
    """Each Looper postcondition fails on a state where it is violated: after a real flash open and full
    unwind by alice (both agreeing on both twins), the model's before/after pools are altered one way — a
    unit more in the wallet (P-LOOP-06), the authorization absent (P-LOOP-08), a unit of debt left by a full
    unwind (P-LOOP-09), a unit kept by the Looper (P-LOOP-10) — and the check must raise."""
    world, base_model = looper_world_in_process
    machine = make_machine(world, base_model, CrosscheckStats(), {})()
    machine.start()
    try:
        opening = Action("loop_open", "alice", amount=10**18, collateral="WETH", debt="USDC", mode="flash",
                         leverage_bps=20_000, max_slippage_bps=MAX_SLIPPAGE_BPS)
        closing = Action("loop_unwind", "alice", collateral="WETH", debt="USDC", fraction_bps=fp.BPS,
                         max_slippage_bps=MAX_SLIPPAGE_BPS)
        action = closing if violation == "full_unwind" else opening
        if action is closing:
            assert machine.do(opening) == "ok"
        before = clone(machine.model.pool)
        assert machine.do(action) == "ok"
        after = machine.model.pool
        machine.check_loop(action, "ok", before, clone(after))  # the real transition passes
        if violation == "wallet":
            after.ledger.mint("WETH", "alice", 1)
        elif violation == "unauthorized":
            before.authorizations.discard(("alice", LOOPER))
        elif violation == "full_unwind":
            after.scaled_debt[("USDC", "alice")] = after.scaled_debt.get(("USDC", "alice"), 0) + 1
        else:
            after.ledger.mint("USDC", LOOPER, 1)
        with pytest.raises(AssertionError):
            machine.check_loop(action, "ok", before, after)
            machine.looper_keeps_nothing()
    finally:
        machine.teardown()
