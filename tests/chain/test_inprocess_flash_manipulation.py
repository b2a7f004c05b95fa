"""A flash loan that moves the pair pricing a collateral and borrows against it in the same transaction, on both
twins in process (review-flash, P-FLASH-05; docs/oracles/spot_manipulation.md "Within one transaction").

The attacker (a ``FlashScriptReceiver``) holds 100,000 TKN bought at the fair $1. In one transaction it flash-borrows
USDC, buys TKN on the TKN/USDC pair that prices TKN (the pump), supplies its 100,000 TKN, borrows USDC, sells back
the TKN it bought and repays the loan. The contract reads the ``PairPriceFeed`` at read time, after the swap; the
twin read the round computed before the step (``refresh_pair_feeds``), so it refused borrows the chain allowed:
both twins now read the pair live (``LendingPool.pair_feeds``), and every case agrees to the wei.

| configuration | pump | outcome |
|---|---|---|
| spot, no breaker | ×15.96 | the borrow of 600,000 passes: +499,000 USD to the attacker, the pool keeps 100,000 TKN |
| spot, 50% breaker | ×15.96 | `PriceJump` |
| spot, 50% breaker, LTV 75% | ×1.45 | passes: LTV × (1 + 50%) = 1.125 > 1, +7,900 USD (the unsafe configuration) |
| TWAP 1,800 s | ×15.96 | `InsufficientCollateral` (the average has not moved in the block) |
"""

from __future__ import annotations

import pytest

from protocol_model.world.action import Action
from tests.chain.flash_rig import RECV, FlashRig, quote
from tests.crosscheck.test_pool_faults import USDC, ZERO_RATE, play

E18, E6 = 10**18, 10**6
TKN = {"name": "TKN", "decimals": 18, "price_usd": "1", "ltv_bps": 7500, "liquidation_threshold_bps": 8000,
       "liquidation_bonus_bps": 800, "liquidation_protocol_fee_bps": 1000, "reserve_factor_bps": 2000,
       "rate": ZERO_RATE}
HELD = 100_000 * E18
"""The attacker's own TKN, supplied as collateral."""


def _spec(feed: dict, oracle: dict | None) -> dict:
    return {"name": "flash-manipulation",
            "assets": [USDC, {**TKN, **({"oracle": oracle} if oracle else {})}],
            "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"],
                           "reserves": {"TKN": "100000", "USDC": "100000"}, "price_feed": feed}],
            "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}}]}


SPOT, TWAP = {"asset": "TKN", "mode": "spot"}, {"asset": "TKN", "mode": "twap", "window_s": 1800}
BREAKER = {"max_jump_bps": 5000}


@pytest.mark.parametrize(("feed", "oracle", "pump", "borrow", "expected"), [
    (SPOT, None, 300_000, 600_000, "ok"),
    (SPOT, BREAKER, 300_000, 600_000, "PriceJump"),
    (SPOT, BREAKER, 20_400, 108_000, "ok"),
    (TWAP, None, 300_000, 600_000, "InsufficientCollateral"),
    (TWAP, None, 300_000, 74_000, "ok"),  # what the TKN is fairly worth to the pool: no gain
], ids=["spot-no-breaker", "spot-breaker-big-pump", "spot-breaker-pump-within", "twap-big-borrow", "twap-fair"])
def test_a_flash_pump_and_borrow_in_one_transaction(replay_in_process, feed, oracle, pump, borrow, expected):
    """The same outcome on both twins (before the fix the twin said InsufficientCollateral to the passing spot
    attacks), every field equal; a passing attack on a spot feed leaves the attacker richer at the fair price
    and its account under water at it (the pool's loss); a refused one changes nothing."""
    rp = replay_in_process(_spec(feed, oracle))
    play(rp, [(Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
              (Action("warp", seconds=3_600), "ok")])
    rig = FlashRig.start(rp)
    rig.fund("TKN", HELD)
    pair = rp.model.amm.pairs["TKN_USDC"]
    reserves = {"TKN": pair.reserves("TKN")[0], "USDC": pair.reserves("USDC")[0]}
    bought = quote(reserves, "USDC", "TKN", pump * E6)
    sold_back = quote(reserves, "TKN", "USDC", bought)
    pool = rp.chain.pool
    script = [*rig.swap("TKN_USDC", "USDC", pump * E6, bought),
              rig.approve("TKN", pool, HELD), rig.pool_op("supply", "TKN", HELD),
              rig.pool_op("borrow", "USDC", borrow * E6),
              *rig.swap("TKN_USDC", "TKN", bought, sold_back)]
    before = rig.pool.ledger.balances.copy()
    rig.agree(*rig.flash("USDC", pump * E6, script), expected)
    usdc_gain = rig.pool.ledger.balance("USDC", RECV)  # it held no USDC before
    if expected != "ok":
        assert rig.pool.ledger.balances == before and usdc_gain == 0
        return
    assert usdc_gain == borrow * E6 - (pump * E6 - sold_back)  # the pump's round trip is its only cost
    profit_usd = usdc_gain / E6 - HELD / E18  # the TKN it gave up, at the fair $1
    collateral_usd = rig.pool.supply_balance("TKN", RECV) / E18  # at the fair $1
    if feed is SPOT:
        assert profit_usd > 7_000 and rig.pool.debt_balance("USDC", RECV) / E6 > collateral_usd  # under water
    else:
        assert profit_usd < 0  # the TWAP lends against what the TKN is worth
