"""The compiled Uniswap V2 pair (npm @uniswap/v2-core) against its twin protocol_model/exact/amm/uniswap_v2_pair.py.

Random sequences of liquidity, exact-in and exact-out swaps (both directions, with slippage limits that
sometimes bind), removals and time jumps run on chain and in the model; after every step the pair's
reserves, timestamp, cumulative prices, LP supply and balances and every token balance agree exactly.
The main slice runs on the in-process chain (INPROCESS_AMM_EXAMPLES sequences, default 1,500); a small slice
(FUZZ_EXAMPLES / 25) on the session's chain (anvil under ``make test``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from protocol_model.chain.driver import Call, restoring
from protocol_model.chain.inprocess_world import deploy_pair_in_process
from protocol_model.chain.pair_world import PairWorld
from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, ZERO_ADDRESS, V2Pair
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import UINT256_MAX
from tests.crosscheck.conftest import CrosscheckStats
from tests.crosscheck.fuzzing import fixed_seed, timed

EXAMPLES = max(5, int(os.environ.get("FUZZ_EXAMPLES", "200")) // 25)
"""Sequences on anvil (the small slice that keeps the JSON-RPC path honest)."""
INPROCESS_EXAMPLES = int(os.environ.get("INPROCESS_AMM_EXAMPLES", "1000"))
"""Sequences on the in-process chain (the main slice)."""
SUITE = "in-process AMM fuzz"
ACTORS = ("alice", "bob")
START_BALANCE = 10**30


@pytest.fixture(scope="module")
def amm(project, admin, signers, fuzz_driver) -> PairWorld:
    """Two tokens (18 and 6 decimals), a pair from the real factory, the swap helper; actors funded (anvil). Driven
    on the fuzzers' raw JSON-RPC path (the pair test below is a hypothesis fuzzer)."""
    return PairWorld.deploy(project, admin, signers, fuzz_driver, ACTORS, START_BALANCE)


@pytest.fixture(scope="module")
def amm_in_process() -> PairWorld:
    """The same world on the in-process chain (revm), from the same bytecode."""
    return deploy_pair_in_process(ACTORS, START_BALANCE)


def fresh_model(amm: PairWorld, start_balance: int = START_BALANCE) -> V2Pair:
    """The twin of ``amm``'s fresh pair ("pair" in a ledger where each of ACTORS holds ``start_balance`` of both
    tokens and approves the swap helper)."""
    ledger = Ledger()
    for name in ACTORS:
        for token in amm.tokens:
            ledger.mint(token, name, start_balance)
            ledger.approve(token, name, SWAPPER, UINT256_MAX)
    return V2Pair("pair", amm.token0, amm.token1, ledger)


def observed_chain(amm: PairWorld) -> dict:
    view, pair, s = amm.driver.view, amm.pair, amm.signers
    r0, r1, ts = view(pair, "getReserves")
    obs = {"reserve0": r0, "reserve1": r1, "ts": ts, "p0": view(pair, "price0CumulativeLast"),
           "p1": view(pair, "price1CumulativeLast"), "supply": view(pair, "totalSupply"),
           "lp_zero": view(pair, "balanceOf", ZERO_ADDRESS)}
    for name in ACTORS:
        obs[f"lp_{name}"] = view(pair, "balanceOf", s[name].address)
        for token, contract in amm.tokens.items():
            obs[f"{token}_{name}"] = view(contract, "balanceOf", s[name].address)
    for token, contract in amm.tokens.items():
        obs[f"{token}_pair"] = view(contract, "balanceOf", pair.address)
    return obs


def observed_model(m: V2Pair) -> dict:
    obs = {"reserve0": m.reserve0, "reserve1": m.reserve1, "ts": m.block_timestamp_last,
           "p0": m.price0_cumulative_last, "p1": m.price1_cumulative_last, "supply": m.total_supply,
           "lp_zero": m.lp.get(ZERO_ADDRESS, 0)}
    for name in ACTORS:
        obs[f"lp_{name}"] = m.lp.get(name, 0)
        for token in ("WETH", "USDC"):
            obs[f"{token}_{name}"] = m.ledger.balance(token, name)
    for token in ("WETH", "USDC"):
        obs[f"{token}_pair"] = m.ledger.balance(token, "pair")
    return obs


def chain_call(amm: PairWorld, method: str, *args, sender, now: int) -> str:
    """The swap helper's ``method(*args)`` at block time ``now``: 'ok' or the revert's name / reason string."""
    return amm.driver.send(Call(amm.swapper, method, args, sender), now).name


def model_call(fn, *args) -> str:
    from protocol_model.exact.errors import PoolError

    try:
        fn(*args)
    except PoolError as err:
        return err.name
    return "ok"


amount_st = st.one_of(st.integers(1, 10**6), st.integers(10**6, 10**24), st.integers(10**24, 10**27))
op_st = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(ACTORS), amount_st, amount_st),
    st.tuples(st.just("in"), st.sampled_from(ACTORS), st.booleans(), amount_st, st.sampled_from([0, 1, 2])),
    st.tuples(st.just("out"), st.sampled_from(ACTORS), st.booleans(), amount_st, st.sampled_from([0, 1, 2])),
    st.tuples(st.just("remove"), st.sampled_from(ACTORS), st.integers(1, 100)),
    st.tuples(st.just("warp"), st.integers(1, 3 * 86_400)),
)


def run_pair_fuzz(amm: PairWorld, examples: int, stats: CrosscheckStats, ops_per_sequence: tuple[int, int] = (1, 12)
                  ) -> dict[str, int]:
    """``examples`` random sequences (an opening deposit then ``ops_per_sequence`` (min, max) operations), each
    on a fresh model and from
    the same chain snapshot; outcome and every field compared after each operation (counted in ``stats``).
    Returns the counts of steps and reverts. Raises AssertionError on the first mismatch."""
    s, driver = amm.signers, amm.driver
    pair = amm.pair.address
    clock = {"now": driver.now()}
    counts = {"steps": 0, "reverts": 0}

    @settings(max_examples=examples, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=fixed_seed())
    @given(first=st.tuples(amount_st, amount_st),
           ops=st.lists(op_st, min_size=ops_per_sequence[0], max_size=ops_per_sequence[1]))
    def run(first, ops):
        model = fresh_model(amm)
        stats.sequences += 1
        with restoring(driver):
            for op in [("add", "alice", *first), *ops]:
                clock["now"] += op[1] if op[0] == "warp" else 1
                now = clock["now"]
                if op[0] == "warp":
                    continue
                kind, who = op[0], op[1]
                if kind == "add":
                    a0, a1 = op[2], op[3]
                    got_c = chain_call(amm, "addLiquidity", pair, a0, a1, s[who].address, sender=s[who], now=now)
                    got_m = model_call(model.add_liquidity, who, a0, a1, who, now)
                elif kind in ("in", "out"):
                    zero_in, amount, limit_kind = op[2], op[3], op[4]
                    token_in = amm.token0 if zero_in else amm.token1
                    limit = _limit(model, kind, token_in, amount, limit_kind)
                    method = "swapExactIn" if kind == "in" else "swapExactOut"
                    fn_m = model.swap_exact_in if kind == "in" else model.swap_exact_out
                    got_c = chain_call(amm, method, pair, amm.tokens[token_in].address, amount, limit,
                                       s[who].address, sender=s[who], now=now)
                    got_m = model_call(fn_m, who, token_in, amount, limit, who, now)
                else:
                    liquidity = model.lp.get(who, 0) * op[2] // 100
                    got_c = chain_call(amm, "removeLiquidity", pair, liquidity, s[who].address, sender=s[who],
                                       now=now)
                    got_m = model_call(model.remove_liquidity, who, liquidity, who, now)
                counts["steps"] += 1
                counts["reverts"] += got_m != "ok"
                stats.operations += 1
                seen_m, seen_c = observed_model(model), observed_chain(amm)
                stats.mismatches += got_m != got_c or seen_m != seen_c
                assert got_m == got_c, f"{op}: model {got_m}, chain {got_c}"
                assert seen_m == seen_c, f"after {op}: {[k for k in seen_m if seen_m[k] != seen_c.get(k)]}"

    run()
    return counts


def test_pair_and_model_agree(amm, crosscheck_stats):
    """The anvil slice: a few sequences through anvil's JSON-RPC keep that path honest."""
    counts = run_pair_fuzz(amm, EXAMPLES, crosscheck_stats)
    # The sequences exercised both outcomes (the strategies make swaps that fail their limits).
    assert counts["steps"] > EXAMPLES and 0 < counts["reverts"] < counts["steps"], counts


def test_pair_and_model_agree_in_process(amm_in_process, crosscheck_suite, capsys):
    """The main slice, on the in-process chain: INPROCESS_AMM_EXAMPLES sequences."""
    stats = crosscheck_suite(SUITE)
    with timed(SUITE, stats, capsys):
        counts = run_pair_fuzz(amm_in_process, INPROCESS_EXAMPLES, stats, (8, 24))
    assert stats.mismatches == 0
    assert stats.sequences >= INPROCESS_EXAMPLES
    assert counts["steps"] > 2 * INPROCESS_EXAMPLES and 0 < counts["reverts"] < counts["steps"], counts


def _limit(model: V2Pair, kind: str, token_in: str, amount: int, limit_kind: int) -> int:
    """A slippage limit that is loose (0), exact (1: the quote itself) or one unit too tight (2)."""
    from protocol_model.exact.amm.uniswap_v2_pair import get_amount_in, get_amount_out
    from protocol_model.exact.errors import PoolError

    try:
        r_in, r_out = model.reserves(token_in)
        quote = get_amount_out(amount, r_in, r_out) if kind == "in" else get_amount_in(amount, r_in, r_out)
    except PoolError:  # AmmError, or MathOverflow (Panic(0x11)) for a quote passing uint256
        quote = 0
    if kind == "in":
        return [0, quote, quote + 1][limit_kind]
    return [UINT256_MAX, quote, max(quote - 1, 0)][limit_kind]


@pytest.mark.parametrize("world", ["amm", "amm_in_process"])
def test_burn_on_an_empty_pair(request, world):
    """A found case (hypothesis): removing liquidity while the pair has no LP supply. The pair (solc 0.5.16)
    divides by totalSupply = 0, an INVALID opcode: a revert with no data on chain, ``EmptyRevert`` in the
    model (it used to crash with ZeroDivisionError)."""
    amm = request.getfixturevalue(world)
    model, s, driver = fresh_model(amm), amm.signers, amm.driver
    with restoring(driver):
        now = driver.now() + 1
        got_c = chain_call(amm, "removeLiquidity", amm.pair.address, 0, s["alice"].address, sender=s["alice"],
                           now=now)
        got_m = model_call(model.remove_liquidity, "alice", 0, "alice", now)
        assert got_m == got_c == "EmptyRevert"
        assert observed_model(model) == observed_chain(amm)


def test_amm_fuzzer_catches_a_flipped_rounding(amm_in_process, monkeypatch):
    """A model whose exact-input quote rounds up instead of down (one unit more out) must be caught: a fixed
    deposit then swap, where the exact quotient is not whole, gives a different outcome or field."""
    from protocol_model.exact.amm import uniswap_v2_pair as v2

    def rounded_up(amount_in: int, reserve_in: int, reserve_out: int) -> int:
        with_fee = amount_in * v2.FEE_NUMERATOR
        return -(-with_fee * reserve_out // (reserve_in * v2.FEE_DENOMINATOR + with_fee))

    amm = amm_in_process
    assert rounded_up(10**18, 10**21, 2 * 10**12) != v2.get_amount_out(10**18, 10**21, 2 * 10**12)
    monkeypatch.setattr(v2, "get_amount_out", rounded_up)
    model, s, stats = fresh_model(amm), amm.signers, CrosscheckStats()
    with restoring(amm.driver), pytest.raises(AssertionError):
        now = amm.driver.now() + 1
        amounts = (10**21, 2 * 10**12) if amm.token0 == "WETH" else (2 * 10**12, 10**21)
        steps = [
            lambda: (chain_call(amm, "addLiquidity", amm.pair.address, *amounts, s["alice"].address,
                                sender=s["alice"], now=now),
                     model_call(model.add_liquidity, "alice", *amounts, "alice", now)),
            lambda: (chain_call(amm, "swapExactIn", amm.pair.address, amm.tokens["WETH"].address, 10**18, 0,
                                s["bob"].address, sender=s["bob"], now=now + 1),
                     model_call(model.swap_exact_in, "bob", "WETH", 10**18, 0, "bob", now + 1)),
        ]
        for step in steps:
            got_c, got_m = step()
            stats.operations += 1
            stats.mismatches += got_c != got_m or observed_model(model) != observed_chain(amm)
            assert got_c == got_m and observed_model(model) == observed_chain(amm)
    assert stats.operations == 2 and stats.mismatches == 1
