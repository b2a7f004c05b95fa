"""Stateful differential fuzzing: random operation sequences on chain and in the exact model.

The model predicts each call's success or exact revert reason; after every step every observable field
is compared to the wei, and the pool invariants are checked (docs/SPEC.md, "Invariants").
FUZZ_EXAMPLES sets the number of sequences (default 200; `make fuzz` runs 2,000).
"""

from __future__ import annotations

import copy
import os
import pickle

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from protocol_model.exact import math_lib as fp
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.exact.oracle.oracle_policy import DEFAULT_MAX_AGE_S
from protocol_model.exact.oracle.price_router import price_wad
from protocol_model.scenario.fuzz import FUZZ_ACCOUNTS, fuzz_scenario
from protocol_model.world.model_world import Action, ModelWorld

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
STEPS = int(os.environ.get("FUZZ_STEPS", "30"))
ASSETS = ["USDC", "WBTC", "WETH"]
HEARTBEAT_ASSETS = ["USDC", "WETH"]
MAX = fp.UINT256_MAX

accounts_st = st.sampled_from(FUZZ_ACCOUNTS)
assets_st = st.sampled_from(ASSETS)
percent_st = st.one_of(st.integers(1, 100), st.integers(95, 105), st.just(100))


@pytest.fixture(scope="module")
def fuzz_world(deploy_world):
    scenario = fuzz_scenario()
    world = deploy_world(scenario)
    return world, ModelWorld(scenario, world.listed_at, world.feed_times)


def clone(pool):
    """An independent copy of a model pool (a pickle round trip: the same as ``copy.deepcopy`` for the
    model's plain dataclasses, and about twice as fast; the copies are taken twice per fuzz step)."""
    return pickle.loads(pickle.dumps(pool, pickle.HIGHEST_PROTOCOL))


def make_machine(world, base_model, stats):
    class PoolMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snap_id = world.driver.snapshot()
            self.model = copy.deepcopy(base_model)
            self.now = world.now()
            self.model.view_now = self.now
            self.steps = 0
            stats.sequences += 1

        def teardown(self):
            world.driver.restore(self.snap_id)

        # -------------------------------------------------------------- driving both twins

        def do(self, action: Action) -> str:
            self.now += action.seconds if action.kind == "warp" else 1
            pool = self.model.pool
            before = clone(pool)
            model_out = self.model.apply(action, self.now)
            chain_out = world.apply(action, self.now)
            stats.operations += 1
            self.steps += 1
            model_snap, chain_snap = self.model.snapshot(), world.snapshot()
            diff = [] if model_snap == chain_snap else model_snap.diff(chain_snap)
            if model_out != chain_out or diff:
                stats.mismatches += 1
            assert model_out == chain_out, f"P-POOL-07: {action.describe()}: model {model_out}, chain {chain_out}"
            assert not diff, f"P-POOL-07: {action.describe()}: {diff[:6]}"
            self.check_transition(action, model_out, before, pool)
            return model_out

        def check_transition(self, action, outcome, before, after):
            new_bad_debt = after.bad_debt_events[len(before.bad_debt_events):]
            for name in ASSETS:
                b, a = before.assets[name].state, after.assets[name].state
                assert a.borrow_index_ray >= b.borrow_index_ray, f"P-POOL-02: {name}: borrow index fell"
                written_off = [e for e in new_bad_debt if e.asset == name and e.from_suppliers]
                if not written_off:
                    assert a.supply_index_ray >= b.supply_index_ray, f"P-POOL-03: {name}: supply index fell"
            for event in new_bad_debt:
                assert not after._has_collateral(event.account), "P-POOL-04: bad debt written off, collateral remains"
            pre = clone(before)
            pre._accrue_all(self.now)
            self.check_supply_rate(before, pre)
            if action.kind == "liquidate" and outcome == "ok":
                self.check_liquidation(action, pre, after)
            if action.kind in ("borrow", "withdraw") and outcome == "ok":
                self.check_borrow_or_withdraw(action, after)

        def check_borrow_or_withdraw(self, action, after):
            """P-POOL-17: a borrow or withdraw that succeeded leaves the account it acted for at HF >= 1 (a
            borrow: debt within the borrow capacity); P-POOL-10: the pool still holds at least the reserves."""
            account = action.on_behalf or action.account
            if after._has_debt(account):  # without debt no price is read (it may be stale) and HF is infinite
                v = after.account_values(account)
                if action.kind == "borrow":
                    assert v.debt_wad <= v.borrow_capacity_wad, f"P-POOL-17: {action.describe()}: debt above capacity"
                assert v.health_factor_wad >= fp.WAD, f"P-POOL-17: {action.describe()} left HF < 1"
            reserves = after.assets[action.asset].state.reserves
            assert after.ledger.balance(action.asset, POOL) >= reserves, (
                f"P-POOL-10: {action.describe()} lent the reserves of {action.asset}")

        def check_supply_rate(self, before, accrued):
            """Issue #14 item 5: suppliers earn at most the interest on what they funded: supply rate <=
            borrow rate × utilization, i.e. gain · D <= interest · min(S, D) (one unit of rounding)."""
            for name in ASSETS:
                b, a = before.assets[name].state, accrued.assets[name].state
                debt, supplied = b.total_debt(), b.total_supply()
                interest = a.total_debt() - debt
                gain = fp.ray_mul_down(b.total_scaled_supply, a.supply_index_ray) - supplied
                assert gain * debt <= interest * min(supplied, debt) + debt, (
                    f"P-POOL-06: {name}: suppliers gained {gain} of {interest} interest with S={supplied}, D={debt}")

        def check_liquidation(self, action, pre, after):
            """Issue #14 items 1 and 4: no dust left, and HF never falls at or above the full-close line."""
            adjusted, debt_value = pre.liquidation_values(action.borrower)
            hf_before = fp.wad_div_down(adjusted, debt_value)
            assert hf_before < fp.WAD, "P-LIQ-01: a healthy account was liquidated"
            cfg = after.assets[action.collateral].config
            lt_wad = cfg.liquidation_threshold_bps * fp.WAD // fp.BPS
            adjusted, debt_value = after.liquidation_values(action.borrower)
            if debt_value and hf_before >= max(after.params.full_close_hf_wad, lt_wad):
                hf_after = fp.wad_div_down(adjusted, debt_value)
                # The capped bonus keeps lt·(1 + b) <= HF; rounding moves each value by at most a few wei.
                assert hf_after >= hf_before - 1, f"P-LIQ-02: HF fell {hf_before} -> {hf_after} above full close"
            minimum = after.params.min_leftover_usd_wad
            left = [(action.debt, after.debt_balance(action.debt, action.borrower)),
                    (action.collateral, after.supply_balance(action.collateral, action.borrower))]
            if all(units for _, units in left):
                for asset, units in left:
                    value = fp.mul_div_down(units, after._price_wad(asset), 10 ** after.assets[asset].state.decimals)
                    assert value + 1 >= minimum, f"P-LIQ-04: {asset}: a liquidation left dust worth {value}"

        # -------------------------------------------------------------- amounts from the model's state

        def units_worth(self, account, asset, percent, of):
            """percent% of the account's borrow headroom (of='capacity') in `asset` units."""
            pool = self.model.pool
            try:
                v = pool.account_values(account)
                price = price_wad(asset, pool.feeds[asset])
            except Exception:
                return 1
            headroom = max(v.borrow_capacity_wad - v.debt_wad, 0)
            return max(headroom * percent // 100 * 10 ** pool.assets[asset].state.decimals // price, 1)

        # -------------------------------------------------------------- rules

        @rule(account=accounts_st, asset=assets_st, whole=st.integers(1, 100_000), frac=st.integers(0, 999))
        def supply(self, account, asset, whole, frac):
            dec = self.model.pool.assets[asset].state.decimals
            scale = {"USDC": 1, "WBTC": 60_000, "WETH": 2_000}[asset]
            amount = max(whole * 10**dec // scale + frac, 1)
            self.do(Action("supply", account, asset, amount, on_behalf=account))

        @rule(payer=accounts_st, account=accounts_st, asset=assets_st, whole=st.integers(0, 100))
        def supply_for_another(self, payer, account, asset, whole):
            """A third party supplies on `account`'s behalf (from 1 unit): credited, never made collateral."""
            pool = self.model.pool
            amount = max(whole * 10 ** pool.assets[asset].state.decimals // 100, 1)
            consented = (account, asset) in pool.collateral_use
            authorized = payer == account or (account, payer) in pool.authorizations
            self.do(Action("supply", payer, asset, amount, on_behalf=account))
            self.check_no_planted_collateral(account, asset, consented, authorized)

        def check_no_planted_collateral(self, account, asset, consented, authorized):
            """P-POOL-08: a supply by a stranger leaves the account's collateral switch as it was."""
            if not authorized:
                planted = ((account, asset) in self.model.pool.collateral_use) != consented
                assert not planted, f"P-POOL-08: collateral planted for {account} in {asset}"

        @rule(account=accounts_st, asset=assets_st, percent=percent_st)
        def borrow(self, account, asset, percent):
            self.do(Action("borrow", account, asset, self.units_worth(account, asset, percent, "capacity")))

        @rule(account=accounts_st, asset=assets_st, percent=percent_st, everything=st.booleans())
        def withdraw(self, account, asset, percent, everything):
            balance = self.model.pool.supply_balance(asset, account)
            amount = MAX if everything else max(balance * percent // 100, 1)
            self.do(Action("withdraw", account, asset, amount))

        @rule(caller=accounts_st, account=accounts_st, asset=assets_st, percent=percent_st, borrow=st.booleans(),
              everything=st.booleans(), grant=st.sampled_from([None, True, False]))
        def act_on_behalf(self, caller, account, asset, percent, borrow, everything, grant):
            """borrowOnBehalf / withdrawOnBehalf by `caller` for `account`, after `account` granted (True) or
            revoked (False) `caller`'s authorization, or neither (None); an unauthorized call is Unauthorized."""
            pool = self.model.pool
            if grant is not None:
                self.do(Action("delegate", account, operator=caller, enabled=grant))
            authorized = caller == account or (account, caller) in pool.authorizations
            if caller != account:
                if authorized:
                    stats.on_behalf_authorized += 1
                else:
                    stats.on_behalf_unauthorized += 1
            if borrow:
                amount = self.units_worth(account, asset, percent, "capacity")
            else:
                balance = pool.supply_balance(asset, account)
                amount = MAX if everything else max(balance * percent // 100, 1)
            outcome = self.do(Action("borrow" if borrow else "withdraw", caller, asset, amount, on_behalf=account))
            self.check_unauthorized(authorized, outcome)

        @staticmethod
        def check_unauthorized(authorized, outcome):
            """P-POOL-09: an on-behalf call by a caller that is neither the account nor its operator reverts
            ``Unauthorized``."""
            assert authorized or outcome == "Unauthorized", f"P-POOL-09: unauthorized call gave {outcome}"

        @rule(payer=accounts_st, account=accounts_st, asset=assets_st, percent=percent_st, everything=st.booleans())
        def repay(self, payer, account, asset, percent, everything):
            debt = self.model.pool.debt_balance(asset, account)
            amount = MAX if everything else max(debt * percent // 100, 1)
            self.do(Action("repay", payer, asset, amount, on_behalf=account))

        @rule(liquidator=accounts_st, borrower=accounts_st, collateral=assets_st, debt=assets_st,
              percent=percent_st, everything=st.booleans())
        def liquidate(self, liquidator, borrower, collateral, debt, percent, everything):
            owed = self.model.pool.debt_balance(debt, borrower)
            amount = MAX if everything else max(owed * percent // 100, 1)
            self.do(Action("liquidate", liquidator, amount=amount, borrower=borrower, collateral=collateral, debt=debt))

        @rule(asset=assets_st, factor_pct=st.one_of(st.integers(30, 150), st.integers(85, 100)))
        def move_price(self, asset, factor_pct):
            answer = self.model.pool.feeds[asset].answer
            base = answer if answer > 0 else {"USDC": 10**8, "WBTC": 60_000 * 10**8, "WETH": 2_000 * 10**8}[asset]
            self.do(Action("price", asset=asset, answer=max(base * factor_pct // 100, 1)))

        @rule(asset=assets_st, answer=st.sampled_from([0, -1]))
        def oracle_failure(self, asset, answer):
            """A zero or negative answer: every operation that needs this price must revert InvalidPrice."""
            self.do(Action("price", asset=asset, answer=answer))

        @rule(age=st.one_of(st.integers(0, 3 * 86_400), st.integers(3 * 86_400 + 1, 30 * 86_400)),
              factor_pct=st.integers(50, 200))
        def wbtc_stale_round(self, age, factor_pct):
            """A WBTC round published `age` seconds ago: older than 3 days is StalePrice under the policy."""
            answer = max(self.model.pool.feeds["WBTC"].answer, 1) * factor_pct // 100
            self.do(Action("feed", asset="WBTC", source="primary", answer=answer, seconds=age))

        @rule(jump_pct=st.one_of(st.integers(-60, 60), st.sampled_from([-31, -30, -29, 29, 30, 31])))
        def wbtc_jump(self, jump_pct):
            """WBTC moves jump_pct% in one round: beyond 30% the breaker rejects it (PriceJump)."""
            answer = self.model.pool.feeds["WBTC"].answer
            base = answer if answer > 0 else 60_000 * 10**8
            self.do(Action("price", asset="WBTC", answer=max(base * (100 + jump_pct) // 100, 1)))

        @rule(asset=assets_st, factor_pct=st.integers(50, 200),
              updated_age=st.one_of(st.integers(-86_400, 40 * 86_400),
                                    st.sampled_from([-1, 0, DEFAULT_MAX_AGE_S, DEFAULT_MAX_AGE_S + 1])),
              started_lead=st.integers(0, 86_400), zero=st.booleans(), lag=st.sampled_from([0, 0, 1, 2]))
        def round_fields(self, asset, factor_pct, updated_age, started_lead, zero, lag):
            """A round with every field chosen (issue #14 item 6): zero, future, incomplete or older than the
            (default) maximum age is rejected by name under every policy, on both twins alike."""
            answer = max(self.model.pool.feeds[asset].answer, 1) * factor_pct // 100
            self.do(Action("feed_round", asset=asset, source="primary", answer=answer, seconds=updated_age,
                           amount=started_lead, rounds=lag, flag=zero))

        @rule(asset=assets_st, answer=st.sampled_from([2**255 - 1, 10**36 // 10**10 + 1, 10**36 // 10**10]))
        def huge_answer(self, asset, answer):
            """Answers at and above the largest price (8-decimal feeds): PriceOverflow, never a panic (the
            snapshot after the push compares both twins' price reads), then a borrow reads it; the answer is
            then restored so the rest of the sequence keeps a usable price."""
            before = self.model.pool.feeds[asset].answer
            self.do(Action("price", asset=asset, answer=answer))
            self.do(Action("borrow", FUZZ_ACCOUNTS[0], asset, 1))
            self.do(Action("price", asset=asset, answer=before))

        @rule(seconds=st.one_of(st.integers(1, 3600), st.integers(3600, 365 * 86_400)))
        def warp(self, seconds):
            """Time passes; USDC and WETH (no policy of their own: the 25 h default) keep their heartbeat, so
            only WBTC goes stale by waiting, as before the default existed."""
            self.do(Action("warp", seconds=seconds))
            for asset in HEARTBEAT_ASSETS:
                self.do(Action("price", asset=asset, answer=self.model.pool.feeds[asset].answer))

        @rule(supply_paused=st.booleans(), borrow_paused=st.booleans())
        def pause(self, supply_paused, borrow_paused):
            self.do(Action("pause", supply_paused=supply_paused, borrow_paused=borrow_paused))

        # -------------------------------------------------------------- invariants (model == chain here)

        @invariant()
        def pool_balances_cover_claims(self):
            if not hasattr(self, "model"):
                return
            pool = self.model.pool
            for name in ASSETS:
                supplies = sum(pool.supply_balance(name, a) for a in FUZZ_ACCOUNTS)
                debts = sum(pool.debt_balance(name, a) for a in FUZZ_ACCOUNTS)
                cash = pool.ledger.balance(name, POOL)
                reserves = pool.assets[name].state.reserves
                assert cash + debts >= supplies + reserves, f"P-POOL-01: {name}: {cash}+{debts} < {supplies}+{reserves}"

    return PoolMachine


def fuzz_settings(examples: int, steps: int = STEPS, shrink: bool = True) -> settings:
    """The fuzzers' settings: ``examples`` sequences of ``steps`` rules, derandomized unless FUZZ_SEED or
    FUZZ_RANDOM is set; FUZZ_SHRINK=0 skips shrinking (``make mutate``: a failure is all it needs)."""
    shrink = shrink and os.environ.get("FUZZ_SHRINK", "1") != "0"
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    derandomize=os.environ.get("FUZZ_SEED") is None and not os.environ.get("FUZZ_RANDOM"))


def test_model_and_chain_agree(fuzz_world, crosscheck_stats):
    world, base_model = fuzz_world
    run_state_machine_as_test(make_machine(world, base_model, crosscheck_stats), settings=fuzz_settings(EXAMPLES))
    assert crosscheck_stats.mismatches == 0


@pytest.mark.parametrize("target,replacement", [
    ("protocol_model.exact.lending.kinked_rate_model.bps_mul_up", "protocol_model.exact.math_lib.bps_mul_down"),
    ("protocol_model.exact.lending.pool_state.ray_mul_up", "protocol_model.exact.math_lib.ray_mul_down"),
])
def test_fuzzer_catches_a_flipped_rounding(fuzz_world, monkeypatch, target, replacement):
    """A copy of the model with one rounding direction flipped must be caught as a mismatch."""
    from tests.crosscheck.conftest import CrosscheckStats

    module, name = target.rsplit(".", 1)
    rmod, rname = replacement.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", getattr(__import__(rmod, fromlist=[rname]), rname))
    world, base_model = fuzz_world
    stats = CrosscheckStats()
    with pytest.raises(AssertionError):
        _interest_sequence(make_machine(world, base_model, stats)())
        run_state_machine_as_test(make_machine(world, base_model, stats), settings=fuzz_settings(60, 30, shrink=False))
    assert stats.mismatches >= 1


def _interest_sequence(machine) -> None:
    """A fixed sequence through the fuzzer's own rules that accrues interest on outstanding debt several
    times (where every rounding of the rate and index math is exercised), so a flipped rounding is caught
    whatever sequences the random search happens to draw. Raises AssertionError on the first mismatch."""
    machine.start()
    try:
        machine.supply("bob", "USDC", 100_000, 0)
        machine.supply("alice", "WETH", 100_000, 7)
        machine.borrow("alice", "USDC", 60)
        for days in (30, 91, 365):
            machine.warp(days * 86_400 + 17)
            machine.repay("alice", "alice", "USDC", 1, False)
            machine.borrow("alice", "USDC", 3)
    finally:
        machine.teardown()
