"""Edges of the Uniswap V2 twin against the real pair (npm ``@uniswap/v2-core`` bytecode) on the in-process chain.

tests/crosscheck/test_amm.py fuzzes ordinary sizes through the swap helper only. Here an attacker also calls the
pair directly (``swap`` with chosen outputs, ``mint``, ``burn``, ``skim``, ``sync``), donates tokens and LP units to
it, and uses edge amounts: 0 and 1 wei, the 1000 locked LP units of a first mint, uint112's maximum and past it,
balances far above uint112 (2^200: the pair's SafeMath products pass uint256), block times across the uint32 wrap
of 2106 and cumulative prices that wrap uint256. Tokens of 0, 6, 18 and 24 decimals. After every step the outcome
(``ok`` or the revert's name or string) and every readable field (reserves, ``blockTimestampLast``, both cumulative
prices, ``kLast``, LP supply and balances, token balances) agree to the wei.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st

from protocol_model.chain.driver import Call, ChainCallFailed, restoring
from protocol_model.chain.inprocess_world import deploy_pair_in_process
from protocol_model.chain.pair_world import PairWorld
from protocol_model.exact.amm.uniswap_v2_pair import UINT112_MAX, ZERO_ADDRESS, V2Pair, get_amount_in
from protocol_model.exact.math_lib import UINT256_MAX
from tests.crosscheck.fuzzing import fixed_seed
from tests.crosscheck.test_amm import ACTORS, model_call
from tests.crosscheck.test_amm import fresh_model as amm_twin

START_BALANCE = 2**253
"""Each actor's balance of both tokens: room for donations far above uint112 (two actors stay below 2^256)."""
EXAMPLES = int(os.environ.get("INPROCESS_AMM_EDGE_EXAMPLES", "150"))
"""Sequences per token pair (four pairs)."""
DECIMALS = [(18, 6), (0, 24), (24, 18), (0, 6)]
"""(decimals of TKA, decimals of TKB); the pair's arithmetic never reads them, the amounts' scales differ."""
PAIR = "pair"
"""The pair's name in the model's ledger."""

Op = tuple[Any, ...]


@pytest.fixture(scope="module", params=DECIMALS, ids=lambda d: f"dec{d[0]}-{d[1]}")
def amm(request, chain) -> PairWorld:
    """Two mock tokens of the given decimals, a pair from the real factory and the swap helper on the module's
    in-process chain; the actors hold START_BALANCE of both and approve the helper."""
    da, db = request.param
    return deploy_pair_in_process(ACTORS, START_BALANCE, chain, (("TKA", da), ("TKB", db)))


def amm_decimals(amm: PairWorld) -> tuple[int, int]:
    """(decimals of TKA, decimals of TKB) of the deployed pair."""
    return amm.driver.view(amm.tokens["TKA"], "decimals"), amm.driver.view(amm.tokens["TKB"], "decimals")


def fresh_model(amm: PairWorld) -> V2Pair:
    """The twin of the freshly deployed pair, on a ledger with the actors' balances and approvals."""
    return amm_twin(amm, START_BALANCE)


def observed_chain(amm: PairWorld) -> dict[str, int]:
    """Every readable field of the pair and every balance, on chain."""
    view, pair = amm.driver.view, amm.pair
    r0, r1, ts = view(pair, "getReserves")
    obs = {"reserve0": r0, "reserve1": r1, "ts": ts, "p0": view(pair, "price0CumulativeLast"),
           "p1": view(pair, "price1CumulativeLast"), "kLast": view(pair, "kLast"), "supply": view(pair, "totalSupply"),
           "lp_zero": view(pair, "balanceOf", ZERO_ADDRESS), "lp_pair": view(pair, "balanceOf", pair.address)}
    holders = {**{n: amm.signers[n].address for n in ACTORS}, PAIR: pair.address}
    for name, address in holders.items():
        if name != PAIR:
            obs[f"lp_{name}"] = view(pair, "balanceOf", address)
        for token, contract in amm.tokens.items():
            obs[f"{token}_{name}"] = view(contract, "balanceOf", address)
    return obs


def observed_model(amm: PairWorld, m: V2Pair) -> dict[str, int]:
    """The same fields in the twin."""
    obs = {"reserve0": m.reserve0, "reserve1": m.reserve1, "ts": m.block_timestamp_last,
           "p0": m.price0_cumulative_last, "p1": m.price1_cumulative_last, "kLast": m.k_last,
           "supply": m.total_supply, "lp_zero": m.lp.get(ZERO_ADDRESS, 0), "lp_pair": m.lp.get(PAIR, 0)}
    for name in (*ACTORS, PAIR):
        if name != PAIR:
            obs[f"lp_{name}"] = m.lp.get(name, 0)
        for token in amm.tokens:
            obs[f"{token}_{name}"] = m.ledger.balance(token, name)
    return obs


def step(amm: PairWorld, model: V2Pair, op: Op, now: int) -> tuple[str, str]:
    """Run ``op`` at block time ``now`` on chain and in the twin; returns (chain outcome, model outcome)."""
    kind, who = op[0], op[1]
    if kind == "at_quote":  # a direct swap paid `delta` units off its quote: the K check's fee at its boundary
        side, per_mille, delta = op[2:]
        reserve_in, reserve_out = (model.reserve0, model.reserve1)[::1 - 2 * side]
        out = reserve_out * per_mille // 1000
        quotable = 0 < out < reserve_out and reserve_in > 0  # else getAmountIn reverts: pay one unit
        paid = max(get_amount_in(out, reserve_in, reserve_out) - delta, 0) if quotable else 1
        donated = step(amm, model, ("donate", who, side, paid), now)
        return step(amm, model, ("swap", who, *((0, out) if side == 0 else (out, 0))), now) \
            if donated == ("ok", "ok") else donated
    signer = amm.signers[who]
    pair, swapper = amm.pair, amm.swapper
    token_of = (amm.token0, amm.token1)
    if kind == "add":
        chain = Call(swapper, "addLiquidity", (pair.address, op[2], op[3], signer.address), signer)
        twin: tuple[Any, ...] = (model.add_liquidity, who, op[2], op[3], who, now)
    elif kind in ("in", "out"):
        token_in, amount, limit = token_of[op[2]], op[3], op[4]
        method, fn = ("swapExactIn", model.swap_exact_in) if kind == "in" else ("swapExactOut", model.swap_exact_out)
        chain = Call(swapper, method, (pair.address, amm.tokens[token_in].address, amount, limit, signer.address),
                     signer)
        twin = (fn, who, token_in, amount, limit, who, now)
    elif kind == "remove":
        liquidity = model.lp.get(who, 0) * op[2] // 100
        chain = Call(swapper, "removeLiquidity", (pair.address, liquidity, signer.address), signer)
        twin = (model.remove_liquidity, who, liquidity, who, now)
    elif kind == "donate":
        token = token_of[op[2]]
        chain = Call(amm.tokens[token], "transfer", (pair.address, op[3]), signer)
        twin = (model.ledger.transfer, token, who, PAIR, op[3])
    elif kind == "lp":  # LP units sent to the pair, for a direct burn
        liquidity = model.lp.get(who, 0) * op[2] // 100
        chain = Call(pair, "transfer", (pair.address, liquidity), signer)
        twin = (model.transfer_lp, who, PAIR, liquidity)
    elif kind in ("swap", "swap_share"):  # outputs in token units, or in per-mille of the reserves
        out0, out1 = op[2:4] if kind == "swap" else (model.reserve0 * op[2] // 1000, model.reserve1 * op[3] // 1000)
        chain = Call(pair, "swap", (out0, out1, signer.address, b""), signer)
        twin = (model.swap, out0, out1, who, now)
    elif kind in ("mint", "burn"):
        chain = Call(pair, kind, (signer.address,), signer)
        twin = (getattr(model, kind), who, now)
    elif kind == "skim":
        chain = Call(pair, "skim", (signer.address,), signer)
        twin = (model.skim, who)
    else:
        assert kind == "sync", op
        chain = Call(pair, "sync", (), signer)
        twin = (model.sync, now)
    try:
        got = amm.driver.send(chain, now).name
    except ChainCallFailed as err:
        # a direct call that hits the 0.5.16 pair's INVALID opcode (a division by zero: burn with no LP supply) is
        # a halt at the top level; through the helper the same halt is a revert with no data, the twin's name
        assert "InvalidFEOpcode" in str(err), err
        got = "EmptyRevert"
    return got, model_call(*twin)


def run_ops(amm: PairWorld, model: V2Pair, ops: list[Op], counts: Counter[str]) -> list[str]:
    """Play ``ops`` (a ``("warp", seconds)`` moves the clock; every other op is one second after the last) on chain
    and in ``model``; assert outcome and fields equal after each, counting outcomes in ``counts``. Returns the
    outcomes, one per op that is not a warp."""
    now, outcomes = amm.driver.now(), []
    for op in ops:
        now += op[1] if op[0] == "warp" else 1
        if op[0] == "warp":
            continue
        got_c, got_m = step(amm, model, op, now)
        counts["steps"] += 1
        counts[got_c] += 1
        outcomes.append(got_c)
        assert got_m == got_c, f"{op}: model {got_m}, chain {got_c}"
        seen_m, seen_c = observed_model(amm, model), observed_chain(amm)
        assert seen_m == seen_c, f"after {op}: " + str({k: (seen_m[k], seen_c[k]) for k in seen_m
                                                          if seen_m[k] != seen_c[k]})
    return outcomes


EDGE_AMOUNTS = [0, 1, 2, 3, 999, 1000, 1001, 10**6, 10**18, 10**24, UINT112_MAX - 1, UINT112_MAX, UINT112_MAX + 1,
                2**128, 2**200]
whole_st = st.tuples(st.integers(1, 10**9), st.sampled_from(sorted({d for pair in DECIMALS for d in pair})))
"""Whole tokens of one of the tested decimals (1e9 whole 24-decimal tokens pass uint112: ~5.2e33 units)."""
amount_st = st.one_of(st.sampled_from(EDGE_AMOUNTS), st.integers(0, 10**9), st.integers(0, UINT112_MAX),
                      st.integers(UINT112_MAX, 2**230), whole_st.map(lambda w: w[0] * 10 ** w[1]))
actor_st = st.sampled_from(ACTORS)
per_mille_st = st.sampled_from([0, 1, 3, 500, 997, 999, 1000])
opening_st = st.one_of(st.sampled_from([1000, 1001, 1002, 10**6, UINT112_MAX]), st.integers(1001, 10**40))
side_st = st.sampled_from([0, 1])
warp_st = st.one_of(st.sampled_from([1, 12, 2**31, 2**32 - 1, 2**32, 2**32 + 1]), st.integers(1, 2**33))
op_st = st.one_of(
    st.tuples(st.just("add"), actor_st, amount_st, amount_st),
    st.tuples(st.just("in"), actor_st, side_st, amount_st, st.sampled_from([0, 1])),
    st.tuples(st.just("out"), actor_st, side_st, amount_st, st.just(UINT256_MAX)),
    st.tuples(st.just("remove"), actor_st, st.sampled_from([1, 50, 100])),
    st.tuples(st.just("donate"), actor_st, side_st, amount_st),
    st.tuples(st.just("lp"), actor_st, st.sampled_from([1, 50, 100])),
    st.tuples(st.just("swap"), actor_st, amount_st, amount_st),
    st.tuples(st.just("swap_share"), actor_st, per_mille_st, per_mille_st),
    st.tuples(st.just("at_quote"), actor_st, side_st, st.integers(1, 999), st.sampled_from([0, 1, 2, 3, 10])),
    st.tuples(st.sampled_from(["mint", "burn", "skim", "sync"]), actor_st),
    st.tuples(st.just("warp"), warp_st),
)


def test_edge_sequences_agree(amm, capsys):
    """EXAMPLES seeded sequences per token pair (an opening deposit, then 6-20 edge operations); every outcome and
    field equal to the wei. The sequences reach the pair's own reverts, not only the helper's."""
    counts: Counter[str] = Counter()
    cpu = time.process_time()

    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck), derandomize=False, database=None)
    @given(first=st.tuples(opening_st, opening_st), ops=st.lists(op_st, min_size=6, max_size=20))
    @example(first=(1000, 1000), ops=[("remove", "alice", 1), ("out", "alice", 0, 0, 2**256 - 1),
                                      ("donate", "alice", 1, 1000), ("sync", "alice"),
                                      ("out", "alice", 0, 0, 2**256 - 1), ("at_quote", "alice", 0, 1, 0)])
    def run(first, ops):
        counts["sequences"] += 1
        with restoring(amm.driver):
            run_ops(amm, fresh_model(amm), [("add", "alice", *first), *ops], counts)

    if fixed_seed():  # one fixed seed per token pair, so the four pairs play different sequences
        run = seed(DECIMALS.index(amm_decimals(amm)))(run)
    run()
    with capsys.disabled():
        print(f"\nAMM edges, decimals {amm_decimals(amm)}, {time.process_time() - cpu:.2f} s CPU: "
              + ", ".join(f"{k}={v}" for k, v in counts.most_common()))
    assert counts["sequences"] >= EXAMPLES and 0 < counts["ok"] < counts["steps"], counts
    reached = {"UniswapV2: K", "UniswapV2: OVERFLOW", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT",
               "UniswapV2: INSUFFICIENT_LIQUIDITY", "ds-math-sub-underflow"}
    assert reached <= set(counts), counts


MUL_OVERFLOW = "ds-math-mul-overflow"
FOUND = {
    # found by the fuzzer above: the first mint's amount0·amount1 passes uint256 before the uint112 check
    "first-mint-product": ([("add", "alice", UINT112_MAX, 2**145)], MUL_OVERFLOW),
    "later-mint-share": ([("add", "alice", 10**18, 10**18), ("donate", "bob", 0, 2**200), ("mint", "bob")],
                         MUL_OVERFLOW),
    "burn-share": ([("add", "alice", 10**18, 10**18), ("donate", "bob", 0, 2**200), ("lp", "alice", 100),
                    ("burn", "alice")], MUL_OVERFLOW),
    "swap-k-product": ([("add", "alice", 10**18, 10**18), ("donate", "bob", 0, 2**200), ("swap", "bob", 0, 1)],
                       MUL_OVERFLOW),
    "swap-balance-times-1000": ([("add", "alice", 10**18, 10**18), ("donate", "bob", 1, 2**250),
                                 ("swap", "bob", 1, 0)], MUL_OVERFLOW),
}


@pytest.mark.parametrize("case", FOUND)
def test_safemath_overflow_names_agree(amm, case):
    """The 0.5.16 pair's SafeMath products (mint's shares, burn's pro-rata amounts, swap's K check) revert
    ``ds-math-mul-overflow`` when a balance far above uint112 (a donation) makes them pass uint256, before the
    uint112 check (``UniswapV2: OVERFLOW``) could. The twin multiplied unbounded integers and named OVERFLOW."""
    ops, last = FOUND[case]
    counts: Counter[str] = Counter()
    with restoring(amm.driver):
        run_ops(amm, fresh_model(amm), ops, counts)
    assert counts[last] == 1 and counts["ok"] == len(ops) - 1, counts


LIQ_MINTED, SUB_UNDERFLOW = "UniswapV2: INSUFFICIENT_LIQUIDITY_MINTED", "ds-math-sub-underflow"
SCRIPTS = {
    # the 1000 LP units locked by the first mint: sqrt(a0·a1) must pass 1000 (SafeMath sub, then > 0)
    "minimum-liquidity": [(("add", "alice", 1, 1), SUB_UNDERFLOW), (("add", "alice", 999, 1000), SUB_UNDERFLOW),
                          (("add", "alice", 1000, 1000), LIQ_MINTED), (("add", "alice", 1001, 1001), "ok"),
                          (("add", "bob", 1, 1), "ok"), (("add", "bob", 1, 0), LIQ_MINTED),
                          (("remove", "alice", 100), "ok"), (("remove", "bob", 100), "ok")],
    # 1-wei swaps: an exact input whose quote rounds to 0 reaches the pair with no output; direct swaps
    "one-wei": [(("add", "alice", 10**6, 10**6), "ok"),
                (("in", "bob", 0, 1, 0), "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"),
                (("out", "bob", 1, 1, UINT256_MAX), "ok"),
                (("swap", "bob", 0, 0), "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"),
                (("swap", "bob", 0, 1), "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"),
                (("donate", "bob", 0, 1), "ok"), (("swap_share", "bob", 0, 500), "UniswapV2: K"),
                (("swap_share", "bob", 1000, 0), "UniswapV2: INSUFFICIENT_LIQUIDITY"),
                (("swap", "bob", 0, 0), "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"),
                (("mint", "bob"), LIQ_MINTED), (("skim", "bob"), "ok")],
    # the K check at equality: (1003·1000 + 1000·997)·(10^6 − 498500) = 1003·10^6·1000 exactly passes; one more fails
    "k-equality": [(("add", "alice", 1003, 10**6), "ok"), (("donate", "bob", 0, 1000), "ok"),
                   (("swap", "bob", 0, 498_501), "UniswapV2: K"), (("swap", "bob", 0, 498_500), "ok")],
    # reserves at uint112's maximum: one more unit overflows the reserve; skim gives a donation back, sync takes it
    "uint112-max": [(("add", "alice", UINT112_MAX, UINT112_MAX), "ok"), (("add", "bob", 1, 1), "UniswapV2: OVERFLOW"),
                    (("donate", "bob", 1, 1), "ok"), (("sync", "bob"), "UniswapV2: OVERFLOW"), (("skim", "bob"), "ok"),
                    (("sync", "bob"), "ok"), (("remove", "alice", 50), "ok"), (("donate", "bob", 0, 5), "ok"),
                    (("sync", "bob"), "ok"), (("in", "bob", 1, 10**30, 0), "ok")],
}


@pytest.mark.parametrize("case", SCRIPTS)
def test_scripted_edges(amm, case):
    """Hand-picked edges, each step's outcome named on both sides (and every field equal after it)."""
    script = SCRIPTS[case]
    with restoring(amm.driver):
        outcomes = run_ops(amm, fresh_model(amm), [op for op, _ in script], Counter())
    assert outcomes == [want for _, want in script]


def test_cumulative_prices_wrap_past_2106(amm):
    """A pair at the widest price (reserves 1 and uint112 max: price0 ~2^224 per second) synced every 2^32 − 1
    seconds: the chain's clock passes 2^32 (year 2106), ``blockTimestampLast`` wraps modulo 2^32 and
    ``price0CumulativeLast`` wraps modulo 2^256, equal in the twin at every step."""
    model, counts = fresh_model(amm), Counter()
    seen = []
    with restoring(amm.driver):
        start = amm.driver.now()
        run_ops(amm, model, [("add", "alice", 1, UINT112_MAX)], counts)  # reserve0 = 1: price0 ~2^224
        for _ in range(4):
            run_ops(amm, model, [("warp", 2**32 - 2), ("sync", "bob")], counts)
            seen.append(observed_chain(amm))
        assert amm.driver.now() > 2**32 > start and seen[-1]["ts"] == amm.driver.now() % 2**32
    assert counts["ok"] == counts["steps"] == 5, counts
    assert any(b["p0"] < a["p0"] for a, b in pairwise(seen)), "the cumulative price never wrapped"
    assert any(b["ts"] < a["ts"] for a, b in pairwise(seen)), "blockTimestampLast never wrapped"
