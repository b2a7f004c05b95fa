"""Nobody but the pool, and no flash loan but the Looper's own, runs ``Looper.onFlashLoan`` (review-flash,
P-LOOP-12; chain only: the twin's callbacks are closures only its own entry points hand to the pool).

The Looper is an operator of every user who authorized it, so its callback could borrow or withdraw for any of them:
its ``FlashData`` names the user. An attacker crafts that data with alice (whose 2.5x WETH loop is open) as
``d.user`` in unwind mode — the callback would repay her debt, withdraw all her WETH to the Looper and keep the
rest as ``_unwindLeftover``, which the next ``unwind`` pays to its caller — and tries it (1) by calling
``onFlashLoan`` directly and (2) through a flash loan of its own with the Looper as receiver. Both revert
``UnauthorizedCallback`` (the caller is not the pool; the initiator is not the Looper), and alice's position, the
pool, the pair and the Looper's balances are unchanged and equal on both twins.
"""

from __future__ import annotations

from eth_abi import encode

from protocol_model.exact.math_lib import UINT256_MAX
from tests.chain.flash_rig import FlashRig
from tests.crosscheck.test_looper_fuzz import PAIR, SCENARIO

UNWIND = 1


def attack(rig: FlashRig, data: bytes, debt: int) -> tuple[str, str]:
    """The attacker's two tries with the crafted ``data`` for ``debt`` USDC: ``onFlashLoan`` called directly, and a
    flash loan of its own (through its receiver) with the Looper as receiver. Returns both outcomes."""
    cw = rig.rp.chain
    looper, pool, usdc = cw.amm.looper, cw.pool, cw.tokens["USDC"]
    direct = rig.send(looper, "onFlashLoan", looper, usdc, debt, 0, data)
    return direct, rig.send(rig.receiver, "execute", pool, pool.flashLoan.encode_input(looper, usdc, debt, data))


def test_only_the_pool_and_the_loopers_own_flash_loan_reach_its_callback(replay_in_process):
    rp = replay_in_process(SCENARIO)
    assert all(r.model == r.chain == r.expected and not r.mismatches for r in rp.run())
    rig = FlashRig.start(rp)
    cw = rp.chain
    weth = cw.tokens["WETH"]
    debt = rig.pool.debt_balance("USDC", "alice")
    supplied = rig.pool.supply_balance("WETH", "alice")
    assert debt > 0 and supplied > 0 and ("alice", "looper") in rig.pool.authorizations
    data = encode(["uint8", "address", "address", "address", "uint256", "uint256", "uint256"],
                  [UNWIND, cw.address_of("alice"), str(weth.address), str(cw.amm.pairs[PAIR].address),
                   UINT256_MAX, 0, 59])
    assert attack(rig, data, debt) == ("UnauthorizedCallback", "UnauthorizedCallback")
    rp.model.view_now = rp.now
    assert (rig.pool.debt_balance("USDC", "alice"), rig.pool.supply_balance("WETH", "alice")) == (debt, supplied)
    diff = rig.differences()
    assert not diff, diff[:5]
