"""The compiled Uniswap V2 pair (npm @uniswap/v2-core) against its twin protocol_model/exact/amm/uniswap_v2_pair.py.

Random sequences of liquidity, exact-in and exact-out swaps (both directions, with slippage limits that
sometimes bind), removals and time jumps run on chain and in the model; after every step the pair's
reserves, timestamp, cumulative prices, LP supply and balances and every token balance agree exactly.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from protocol_model.chain.driver import Call, restoring
from protocol_model.chain.uniswap import create_pair, deploy_factory
from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, ZERO_ADDRESS, V2Pair
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import UINT256_MAX

EXAMPLES = max(5, int(os.environ.get("FUZZ_EXAMPLES", "200")) // 25)
ACTORS = ("alice", "bob")
START_BALANCE = 10**30


@pytest.fixture(scope="module")
def amm(project, admin, signers, fuzz_driver):
    """Two tokens (18 and 6 decimals), a pair from the real factory, the swap helper; actors funded. Driven on
    the fuzzers' raw JSON-RPC path (the pair test below is a hypothesis fuzzer)."""
    driver = fuzz_driver
    weth = admin.deploy(project.MockERC20, "WETH", "WETH", 18)
    usdc = admin.deploy(project.MockERC20, "USDC", "USDC", 6)
    factory = deploy_factory(driver, admin)
    pair = create_pair(driver, factory, weth, usdc, admin)
    swapper = admin.deploy(project.PairSwapper)
    tokens = {"WETH": weth, "USDC": usdc}
    for name in ACTORS:
        for token in tokens.values():
            token.mint(signers[name], START_BALANCE, sender=admin)
            token.approve(swapper, UINT256_MAX, sender=signers[name])
        pair.approve(swapper, UINT256_MAX, sender=signers[name])
    token0 = "WETH" if pair.token0() == weth.address else "USDC"
    token1 = "USDC" if token0 == "WETH" else "WETH"
    return dict(pair=pair, swapper=swapper, tokens=tokens, token0=token0, token1=token1, signers=signers,
                driver=driver)


def fresh_model(amm) -> V2Pair:
    ledger = Ledger()
    for name in ACTORS:
        for token in amm["tokens"]:
            ledger.mint(token, name, START_BALANCE)
            ledger.approve(token, name, SWAPPER, UINT256_MAX)
    return V2Pair("pair", amm["token0"], amm["token1"], ledger)


def observed_chain(amm) -> dict:
    pair, s = amm["pair"], amm["signers"]
    r0, r1, ts = pair.getReserves()
    obs = {"reserve0": r0, "reserve1": r1, "ts": ts, "p0": pair.price0CumulativeLast(),
           "p1": pair.price1CumulativeLast(), "supply": pair.totalSupply(), "lp_zero": pair.balanceOf(ZERO_ADDRESS)}
    for name in ACTORS:
        obs[f"lp_{name}"] = pair.balanceOf(s[name])
        for token, contract in amm["tokens"].items():
            obs[f"{token}_{name}"] = contract.balanceOf(s[name])
    for token, contract in amm["tokens"].items():
        obs[f"{token}_pair"] = contract.balanceOf(pair)
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


def chain_call(amm, method: str, *args, sender, now: int) -> str:
    """The swap helper's ``method(*args)`` at block time ``now``: 'ok' or the revert's name / reason string."""
    return amm["driver"].send(Call(amm["swapper"], method, args, sender), now).name


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


def test_pair_and_model_agree(amm):
    pair, s, driver = amm["pair"], amm["signers"], amm["driver"]
    clock = {"now": driver.now()}
    counts = {"steps": 0, "reverts": 0}

    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(first=st.tuples(amount_st, amount_st), ops=st.lists(op_st, min_size=1, max_size=12))
    def run(first, ops):
        model = fresh_model(amm)
        with restoring(driver):
            for op in [("add", "alice", *first), *ops]:
                clock["now"] += op[1] if op[0] == "warp" else 1
                now = clock["now"]
                if op[0] == "warp":
                    continue
                kind, who = op[0], op[1]
                if kind == "add":
                    a0, a1 = op[2], op[3]
                    got_c = chain_call(amm, "addLiquidity", pair.address, a0, a1, s[who].address, sender=s[who],
                                       now=now)
                    got_m = model_call(model.add_liquidity, who, a0, a1, who, now)
                elif kind in ("in", "out"):
                    zero_in, amount, limit_kind = op[2], op[3], op[4]
                    token_in = amm["token0"] if zero_in else amm["token1"]
                    limit = _limit(model, kind, token_in, amount, limit_kind)
                    method = "swapExactIn" if kind == "in" else "swapExactOut"
                    fn_m = model.swap_exact_in if kind == "in" else model.swap_exact_out
                    got_c = chain_call(amm, method, pair.address, amm["tokens"][token_in].address, amount, limit,
                                       s[who].address, sender=s[who], now=now)
                    got_m = model_call(fn_m, who, token_in, amount, limit, who, now)
                else:
                    liquidity = model.lp.get(who, 0) * op[2] // 100
                    got_c = chain_call(amm, "removeLiquidity", pair.address, liquidity, s[who].address, sender=s[who],
                                       now=now)
                    got_m = model_call(model.remove_liquidity, who, liquidity, who, now)
                counts["steps"] += 1
                counts["reverts"] += got_m != "ok"
                assert got_m == got_c, f"{op}: model {got_m}, chain {got_c}"
                assert observed_model(model) == observed_chain(amm), f"after {op}"

    run()
    # The sequences exercised both outcomes (the strategies make swaps that fail their limits).
    assert counts["steps"] > EXAMPLES and 0 < counts["reverts"] < counts["steps"], counts


def _limit(model: V2Pair, kind: str, token_in: str, amount: int, limit_kind: int) -> int:
    """A slippage limit that is loose (0), exact (1: the quote itself) or one unit too tight (2)."""
    from protocol_model.exact.amm.uniswap_v2_pair import AmmError, get_amount_in, get_amount_out

    try:
        r_in, r_out = model.reserves(token_in)
        quote = get_amount_out(amount, r_in, r_out) if kind == "in" else get_amount_in(amount, r_in, r_out)
    except AmmError:
        quote = 0
    if kind == "in":
        return [0, quote, quote + 1][limit_kind]
    return [UINT256_MAX, quote, max(quote - 1, 0)][limit_kind]


def test_burn_on_an_empty_pair(amm):
    """A found case (hypothesis): removing liquidity while the pair has no LP supply. The pair (solc 0.5.16)
    divides by totalSupply = 0, an INVALID opcode: a revert with no data on chain, ``EmptyRevert`` in the
    model (it used to crash with ZeroDivisionError)."""
    model, s, driver = fresh_model(amm), amm["signers"], amm["driver"]
    with restoring(driver):
        now = driver.now() + 1
        got_c = chain_call(amm, "removeLiquidity", amm["pair"].address, 0, s["alice"].address, sender=s["alice"],
                           now=now)
        got_m = model_call(model.remove_liquidity, "alice", 0, "alice", now)
        assert got_m == got_c == "EmptyRevert"
        assert observed_model(model) == observed_chain(amm)
