"""The Looper user's own guards hold under a sandwich, on both twins in process (review-flash, P-LOOP-13).

``minSupplied`` (iterative open), ``maxBorrowed`` (flash open) and ``minReturned`` (unwind) are checked last
(docs/loops.md §3); no test exercised them before. alice sets each to exactly what the call would give on the pair
as it is (the twin's quote on a copy of the model). A trader then front-runs her in the direction that hurts her, by
less than the 59 bps slippage bound lets through (so only her own guard can catch it): the call reverts
``InsufficientOutput`` / ``ExcessiveDebt`` on both twins with nothing changed. Re-quoted on the moved pair, the same
guard passes at its exact value on both twins (the twin's quote is the chain's to the wei).
"""

from __future__ import annotations

import copy

import pytest

from protocol_model.chain.driver import Call
from protocol_model.exact import errors
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.world.action import Action
from tests.crosscheck.test_looper_fuzz import PAIR, SCENARIO, TRADER
from tests.crosscheck.test_pool_faults import play

E18, E6 = 10**18, 10**6
SLIPPAGE = 59


def _call(rp, mode: str, guard: int, model_world=None):
    """alice's ``mode`` call with ``guard`` as its minimum / maximum: (chain call, model call(now) -> guarded value)."""
    cw, mw = rp.chain, model_world or rp.model
    looper, weth, usdc = cw.amm.looper, cw.tokens["WETH"], cw.tokens["USDC"]
    lp = mw.amm.looper
    if mode == "iterative":
        return (Call(looper, "openIterative", (weth, usdc, 10 * E18, 3, 10_000, SLIPPAGE, guard, UINT256_MAX),
                     cw.signers["alice"]),
                lambda now: lp.open_iterative("alice", "WETH", "USDC", 10 * E18, 3, 10_000, SLIPPAGE, now,
                                              min_supplied=guard).supplied)
    if mode == "flash":
        return (Call(looper, "openWithFlashLoan", (weth, usdc, 10 * E18, 25_000, SLIPPAGE, guard, UINT256_MAX),
                     cw.signers["alice"]),
                lambda now: lp.open_with_flash_loan("alice", "WETH", "USDC", 10 * E18, 25_000, SLIPPAGE, now,
                                                    max_borrowed=guard).borrowed)
    return (Call(looper, "unwind", (weth, usdc, 10_000, SLIPPAGE, guard, UINT256_MAX), cw.signers["alice"]),
            lambda now: lp.unwind("alice", "WETH", "USDC", 10_000, SLIPPAGE, now, min_returned=guard).returned)


def _quote(rp, mode: str) -> int:
    """What alice's call would supply / borrow / return one second on, on a copy of the model (state untouched)."""
    ghost = copy.deepcopy(rp.model)
    return _call(rp, mode, 0 if mode != "flash" else UINT256_MAX, ghost)[1](rp.now + 1)


def _both(rp, mode: str, guard: int) -> tuple[str, str]:
    """alice's call on both twins at the same block time: (model outcome, chain outcome)."""
    call, model = _call(rp, mode, guard)
    rp.now = max(rp.now, rp.chain.now()) + 1
    chain_out = rp.chain.driver.send(call, rp.now).name
    try:
        model(rp.now)
        model_out = "ok"
    except errors.PoolError as err:
        model_out = err.name
    rp.model.view_now = rp.now
    return model_out, chain_out


@pytest.mark.parametrize(("mode", "front_run", "refused"), [
    ("iterative", Action("swap", TRADER, "USDC", 100_000 * E6, pair=PAIR), "InsufficientOutput"),
    ("flash", Action("swap", TRADER, "USDC", 100_000 * E6, pair=PAIR), "ExcessiveDebt"),
    ("unwind", Action("swap", TRADER, "WETH", 50 * E18, pair=PAIR), "InsufficientOutput"),
])
def test_the_users_guard_holds_under_a_front_run(replay_in_process, mode, front_run, refused):
    rp = replay_in_process(SCENARIO)
    assert all(r.model == r.chain == r.expected and not r.mismatches for r in rp.run())
    guard = _quote(rp, mode)
    play(rp, [(front_run, "ok")])
    moved = _quote(rp, mode)
    assert (moved > guard) if mode == "flash" else (moved < guard)  # the front-run hurts her
    before = rp.chain.snapshot()
    assert _both(rp, mode, guard) == (refused, refused)
    assert not rp.model.snapshot().diff(rp.chain.snapshot()) and not before.diff(rp.chain.snapshot())
    assert _both(rp, mode, moved) == ("ok", "ok")  # at its exact value, on the moved pair
    diff = rp.model.snapshot().diff(rp.chain.snapshot())
    assert not diff, diff[:5]
