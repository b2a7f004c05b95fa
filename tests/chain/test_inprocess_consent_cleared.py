"""A supply that reaches zero takes its collateral consent with it (docs/SPEC.md §3.5, P-POOL-19).

The consent bit of ``LendingPool._accountAssets`` (``collateral_use`` in the twin) used to survive a zero balance:
after alice withdrew all her WBTC, or a liquidation seized all of it, the bit stayed, and bob could supply 1 wei of
WBTC on her behalf and it counted as her collateral. Such planted collateral is a weapon when its price can be
rejected (here: WBTC's feed is stale; a spot breaker tripped by a swap works the same way, SPEC §3.6): every borrow
and withdraw of alice then reads that price and reverts with the router's error until she calls
``setUseAsCollateral(WBTC, false)``. Now, as in Aave V3, a withdrawal or a seizure of the whole scaled supply clears
the consent in the same call, on both twins; the planted wei is credited to alice but is not collateral, and her
borrow passes. Her own later supply consents again.
"""

from __future__ import annotations

from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.world.action import Action
from tests.crosscheck.test_pool_faults import USDC, WETH, play

E18, E8, E6, USD8 = 10**18, 10**8, 10**6, 10**8
SCENARIO = {
    "name": "consent-cleared",
    "assets": [USDC, WETH, {**WETH, "name": "WBTC", "decimals": 8, "price_usd": "60000",
                            "oracle": {"max_age_s": 3 * 86_400}}],
    "accounts": [{"name": n, "balances": {"USDC": "1000000", "WETH": "100", "WBTC": "10"}}
                 for n in ("alice", "bob", "carol")],
}
STALE_WBTC = Action("feed", asset="WBTC", source="primary", answer=60_000 * USD8, seconds=30 * 86_400)
"""WBTC's primary answer 30 days old: the router rejects it (max age 3 days), with no fallback."""


def _consent(rp, account: str, asset: str) -> tuple[bool, bool]:
    """(model, chain) ``usesAsCollateral(account, asset)``."""
    chain = rp.chain.pool.usesAsCollateral(rp.chain.address_of(account), rp.chain.tokens[asset])
    return (account, asset) in rp.model.pool.collateral_use, bool(chain)


def _plant_and_borrow(rp) -> None:
    """bob plants 1 wei of WBTC on alice, WBTC's price goes stale, and alice (10 WETH of her own) still borrows and
    withdraws: the planted wei is credited to her but is not collateral, so its price is never read."""
    play(rp, [
        (Action("supply", "bob", "WBTC", 1, on_behalf="alice"), "ok"),
        (STALE_WBTC, "ok"),
        (Action("supply", "alice", "WETH", 10 * E18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 1_000 * E6), "ok"),
        (Action("withdraw", "alice", "WETH", E18), "ok"),
    ])
    pool = rp.model.pool
    assert pool.supply_balance("WBTC", "alice") == 1
    assert rp.chain.pool.supplyBalance(rp.chain.tokens["WBTC"], rp.chain.address_of("alice")) == 1
    assert _consent(rp, "alice", "WBTC") == (False, False)
    # only the 9 WETH count: 9 × 2,000 × 0.825 USD of adjusted collateral on both twins
    values = pool.account_values("alice")
    assert values.adjusted_collateral_wad == 9 * 2_000 * 8_250 * 10**14
    assert rp.chain.pool.accountValues(rp.chain.address_of("alice"))[0] == values.adjusted_collateral_wad


def test_a_full_withdrawal_clears_the_consent(replay_in_process):
    """alice supplies 1 WBTC (consent on) and withdraws all of it: the consent is off on both twins, and 1 wei
    planted by bob afterwards neither counts nor blocks her borrow with WBTC's stale price."""
    rp = replay_in_process(SCENARIO)
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WBTC", E8, on_behalf="alice"), "ok"),
    ])
    assert _consent(rp, "alice", "WBTC") == (True, True)
    play(rp, [(Action("withdraw", "alice", "WBTC", UINT256_MAX), "ok")])
    assert _consent(rp, "alice", "WBTC") == (False, False)
    _plant_and_borrow(rp)


def test_a_partial_withdrawal_keeps_the_consent(replay_in_process):
    """Only a withdrawal of the whole scaled supply clears it: one satoshi left keeps alice's consent."""
    rp = replay_in_process(SCENARIO)
    play(rp, [
        (Action("supply", "alice", "WBTC", E8, on_behalf="alice"), "ok"),
        (Action("withdraw", "alice", "WBTC", E8 - 1), "ok"),
    ])
    assert _consent(rp, "alice", "WBTC") == (True, True)


def test_a_full_seizure_clears_the_consent(replay_in_process):
    """carol seizes all of alice's WBTC (the rest of her debt is written off): the consent is off on both twins,
    bob's planted wei is not collateral, and alice's own later supply consents again."""
    rp = replay_in_process(SCENARIO)
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
        (Action("supply", "alice", "WBTC", E8, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 40_000 * E6), "ok"),
        (Action("price", asset="WBTC", answer=30_000 * USD8), "ok"),
        (Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="WBTC", debt="USDC"), "ok"),
    ])
    pool = rp.model.pool
    assert pool.supply_balance("WBTC", "alice") == 0 and pool.debt_balance("USDC", "alice") == 0
    assert pool.assets["USDC"].state.bad_debt > 0
    assert _consent(rp, "alice", "WBTC") == (False, False)
    _plant_and_borrow(rp)
    play(rp, [(Action("price", asset="WBTC", answer=30_000 * USD8), "ok"),
              (Action("supply", "alice", "WBTC", 1, on_behalf="alice"), "ok")])
    assert _consent(rp, "alice", "WBTC") == (True, True)


def test_the_clearing_emits_use_as_collateral_set_false(replay_in_process):
    """On chain the cleared consent is announced as ``setUseAsCollateral(false)`` is: ``UseAsCollateralSet(alice,
    WBTC, false)`` in the whole withdrawal's logs (chain only: the twin records no events); a whole withdrawal of a
    supply that was never consented (bob's on carol) emits none."""
    rp = replay_in_process(SCENARIO)
    play(rp, [(Action("supply", "alice", "WBTC", E8, on_behalf="alice"), "ok"),
              (Action("supply", "bob", "WBTC", E8, on_behalf="carol"), "ok")])
    chain, wbtc = rp.chain.driver, rp.chain.tokens["WBTC"]

    def consent_logs(account: str) -> list[dict]:
        signer = rp.chain.signers[account]
        receipt = rp.chain.pool.withdraw(wbtc, UINT256_MAX, signer.address, sender=signer)
        decoded = [chain.decode_log(log) for log in receipt.logs]
        return [args for name, args in filter(None, decoded) if name == "UseAsCollateralSet"]

    alice = rp.chain.address_of("alice")
    assert consent_logs("alice") == [{"account": alice.lower(), "asset": wbtc.address.lower(), "enabled": False}]
    assert consent_logs("carol") == []


def test_consent_needs_a_supply(replay_in_process):
    """``setUseAsCollateral(true)`` needs a supply (SPEC §3.5, P-POOL-20, as Aave V3): alice without WBTC is refused
    NoSupplyBalance on both twins, and so she is again after withdrawing all of it; with a supply (here bob's planted
    wei, now hers to use or not) she may turn it on and off, and turning off needs no supply."""
    rp = replay_in_process(SCENARIO)
    on, off = (Action("use_as_collateral", "alice", "WBTC", enabled=flag) for flag in (True, False))
    play(rp, [(on, "NoSupplyBalance"), (off, "ok")])
    assert _consent(rp, "alice", "WBTC") == (False, False)
    play(rp, [(Action("supply", "bob", "WBTC", 1, on_behalf="alice"), "ok"), (on, "ok")])
    assert _consent(rp, "alice", "WBTC") == (True, True)
    play(rp, [(off, "ok"), (on, "ok"), (Action("withdraw", "alice", "WBTC", UINT256_MAX), "ok"),
              (on, "NoSupplyBalance")])
    assert _consent(rp, "alice", "WBTC") == (False, False)
