"""P-POOL-19 on the lending twin: collateral consent never outlives a zero supply (docs/SPEC.md §3.5).

After any sequence of supplies (own, an operator's, a third party's), withdrawals (partial, whole, on behalf),
``setUseAsCollateral``, borrows, repays, price moves, waits and liquidations, an account's consent to an asset was
given — by its own or its operator's supply, or ``setUseAsCollateral(true)`` — after the last step that took its
scaled supply of that asset to zero. A ghost record, kept from the steps' outcomes alone, says which (account,
asset) pairs have such a consent; the twin's ``collateral_use`` must be within it. The in-process differential of the
same rule (both twins): tests/chain/test_inprocess_consent_cleared.py.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import POOL, LendingPool
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.oracle.price_router import Feed
from protocol_model.world.lending_properties import consent_needs_supply
from tests.exact.lending_twins import T0, lending_pool, pick

ACCOUNTS = ("alice", "bob", "carol")
ASSETS = ("USDC", "WETH")
AMOUNTS = st.sampled_from([1, 10**6, 10**9, 10**18, 5 * 10**18, UINT256_MAX]) | st.integers(1, 10**20)
KINDS = ("supply", "withdraw", "set_use", "borrow", "repay", "price", "warp", "liquidate")


def _start() -> LendingPool:
    """``lending_twins.lending_pool`` (bob lends USDC, alice borrows against WETH, bob is alice's operator), with
    carol's approvals too, and 1 WETH of her own supplied (consented, free to withdraw: she has no debt)."""
    pool = lending_pool()
    for asset in ASSETS:
        pool.ledger.approve(asset, "carol", POOL, UINT256_MAX)
    pool.supply("carol", "WETH", 10**18, "carol", T0)
    return pool


def _step(data: Any, pool: LendingPool, now: int) -> tuple[tuple[str, str] | None, bool | None, int]:
    """One random call on ``pool`` at ``now``: (the (account, asset) it may consent or refuse, the consent it
    gives (True), takes back (False) or neither (None), the time after it). A reverted call raises PoolError."""
    kind = pick(data, KINDS, "kind")
    sender, asset = pick(data, ACCOUNTS, "sender"), pick(data, ASSETS, "asset")
    account = sender if data.draw(st.booleans(), label="own") else pick(data, ACCOUNTS, "account")
    amount = UINT256_MAX if data.draw(st.booleans(), label="all") else data.draw(AMOUNTS, label="amount")
    if kind == "supply":
        pool.supply(sender, asset, amount, account, now)
        return (account, asset), pool._is_authorized(sender, account) or None, now
    if kind == "withdraw":
        pool.withdraw_on_behalf(sender, asset, amount, account, sender, now)
    elif kind == "set_use":
        enabled = data.draw(st.booleans(), label="enabled")
        pool.set_use_as_collateral(sender, asset, enabled, now)
        return (sender, asset), enabled, now
    elif kind == "borrow":
        pool.borrow(sender, asset, amount, now)
    elif kind == "repay":
        pool.repay(sender, asset, amount, account, now)
    elif kind == "price":
        pool.set_feed("WETH", Feed(pick(data, (2000, 1500, 1000, 700, 400, 100), "usd") * 10**8))
    elif kind == "warp":
        now += pick(data, (3_600, 86_400, 365 * 86_400), "seconds")
    else:
        pool.liquidate(sender, account, asset, pick(data, ASSETS, "debt"), amount, now)
    return None, None, now


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_consent_never_outlives_a_zero_supply(data):
    """P-POOL-19: after every step, each (account, asset) in ``collateral_use`` was consented (own or operator
    supply, ``setUseAsCollateral(true)``) after the last step that took its scaled supply to 0; a third party's
    supply never consents. P-POOL-20: each sits on a non-zero scaled supply. (tests/mutation/injections.py shows it
    catches a twin that keeps the consent, and one that consents without a supply.)"""
    pool, now = _start(), T0
    ghost = set(pool.collateral_use)  # both consents of the start came from the accounts' own supplies
    for _ in range(data.draw(st.integers(1, 25), label="steps")):
        before = {k: v for k, v in pool.scaled_supply.items() if v}
        try:
            pair, consent, now = _step(data, pool, now)
        except errors.PoolError:
            continue
        for (asset, account) in before:
            if not pool.scaled_supply.get((asset, account), 0):
                ghost.discard((account, asset))
        if pair is not None and consent is not None:
            (ghost.add if consent else ghost.discard)(pair)
        planted = pool.collateral_use - ghost
        assert not planted, f"P-POOL-19: consent outlived a zero supply or was planted: {sorted(planted)}"
        consent_needs_supply(pool)
