"""A flash loan that dumps the pair pricing a collateral and liquidates a borrower in the same transaction, on both
twins in process (review-session: P-FLASH-05's other half, "liquidate on a dump", with P-POOL-19/20 on the way).

Alice holds 10,000 TKN (priced by the TKN/USDC pair's spot, fair $1) as collateral for 7,000 USDC (HF 1.14). In one
transaction the attacker (a ``FlashScriptReceiver``) flash-borrows USDC, sells 100,000 TKN into the pair (TKN to
~$0.25), liquidates alice for all her TKN (her last collateral: the consent goes with it and her debt left is
written off), and buys TKN back. Both twins read the dumped price live; outcome and every field agree.
"""

from __future__ import annotations

import pytest

from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.world.action import Action
from tests.chain.flash_rig import FlashRig, quote
from tests.chain.test_inprocess_flash_manipulation import BREAKER, SPOT, TWAP, _spec
from tests.crosscheck.test_pool_faults import play

E18, E6 = 10**18, 10**6
DUMP = 100_000 * E18


@pytest.mark.parametrize(("feed", "oracle", "expected"), [
    (SPOT, None, "ok"), (SPOT, BREAKER, "PriceJump"), (TWAP, None, "HealthyAccount")],
    ids=["spot-no-breaker", "spot-breaker", "twap"])
def test_a_flash_dump_and_liquidate_in_one_transaction(replay_in_process, feed, oracle, expected):
    """Same outcome on both twins, every field equal (the consent bits among them); a passing attack seizes all
    of alice's TKN, clears her consent (no consent on a zero supply, P-POOL-20) and writes her debt off."""
    spec = _spec(feed, oracle)
    spec["accounts"].append({"name": "alice", "balances": {"TKN": "10000"}})
    rp = replay_in_process(spec)
    play(rp, [(Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
              (Action("warp", seconds=3_600), "ok"),
              (Action("supply", "alice", "TKN", 10_000 * E18, on_behalf="alice"), "ok"),
              (Action("borrow", "alice", "USDC", 7_000 * E6), "ok")])
    rig = FlashRig.start(rp)
    rig.fund("TKN", DUMP)
    rp_pool = rig.pool
    pair = rp.model.amm.pairs["TKN_USDC"]
    reserves = {"TKN": pair.reserves("TKN")[0], "USDC": pair.reserves("USDC")[0]}
    got = quote(reserves, "TKN", "USDC", DUMP)
    back = quote(reserves, "USDC", "TKN", got // 2)
    script = [*rig.swap("TKN_USDC", "TKN", DUMP, got), rig.approve("USDC", rp.chain.pool, UINT256_MAX),
              rig.liquidate("alice", "TKN", "USDC", UINT256_MAX), *rig.swap("TKN_USDC", "USDC", got // 2, back)]
    rig.agree(*rig.flash("USDC", 10_000 * E6, script), expected)
    consented = ("alice", "TKN") in rp_pool.collateral_use
    if expected == "ok":
        assert rp_pool.scaled_supply.get(("TKN", "alice"), 0) == 0 and not consented
        assert rp_pool.debt_balance("USDC", "alice") == 0 and rp_pool.assets["USDC"].state.bad_debt > 0
    else:
        assert consented and rp_pool.debt_balance("USDC", "alice") > 0
