"""A permissionless ``update()`` must not let a pump become the breaker's reference (review-pool, SPEC rule O2).

``PairPriceFeed``'s round 1, the circuit breaker's reference, averaged the pair's price since the newest observation
taken before the reading block, and anyone may call ``update()``, which in spot mode (window 0) recorded an
observation in any new block. So mallory called ``update()``, pumped TKN ×16 one second later, called ``update()``
again and borrowed two seconds later: the reference averaged only those two pumped seconds (the pump was ×1.0 of
it) and a 50% breaker let her borrow 890,000 USDC against 74,943 TKN worth $75k at market. Now the reference averages
over at least ``referenceSpanSec`` (1,800 s by default in spot mode), and ``update()`` records only once the newest
observation is that old: the two seconds of pump weigh 2/1,800 in the reference, ``PriceJump`` on both twins.
"""

from __future__ import annotations

from protocol_model.chain.driver import Call
from protocol_model.world.action import Action
from tests.chain.test_inprocess_forced_rejection import TKN
from tests.crosscheck.test_pool_faults import USDC, play

E18, E6 = 10**18, 10**6
SCENARIO = {
    "name": "reference-span",
    "assets": [USDC, {**TKN, "oracle": {"max_jump_bps": 5000}}],
    "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"], "reserves": {"TKN": "100000", "USDC": "100000"},
                   "price_feed": {"asset": "TKN", "mode": "spot"}}],
    "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                 {"name": "mallory", "balances": {"USDC": "300000"}}],
    "steps": [{"op": "swap", "account": "mallory", "pair": "TKN_USDC", "asset": "USDC", "amount": "1"}],
}


def _update(rp) -> tuple[bool, bool]:
    """mallory calls the TKN feed's ``update()`` one second on, on both twins: (model recorded, chain's
    ``newest`` moved to that second)."""
    rp.now += 1
    world = rp.chain
    feed = world.amm.pair_feeds["TKN"]
    assert world.chain.send(Call(feed, "update", (), world.signers["mallory"]), rp.now).ok
    twin = rp.model.amm.pair_feeds["TKN"]
    recorded = twin.update(rp.now)
    assert (feed.newest()[1], feed.previous()[1]) == (twin.newest.timestamp, twin.previous.timestamp)
    return recorded, feed.newest()[1] == rp.now


def test_update_then_a_pump_held_two_seconds_is_still_a_price_jump(replay_in_process):
    """An hour after deployment mallory calls ``update()`` (it records: the deployment's observation is 3,600 s
    old), buys TKN with 300,000 USDC one second later (spot $1 → $15.96), calls ``update()`` again, supplies the
    74,943 TKN and borrows 890,000 USDC three seconds after the buy. The reference averages since deployment (the
    new observation is younger than 1,800 s): (3,603 · $1 + 3 · $15.96) / 3,606 ≈ $1.012, the pump is ×15.8 of
    it, ``PriceJump`` on both twins (before: the second update recorded, the reference was the two pumped seconds
    since it, and the borrow passed on both)."""
    rp = replay_in_process(SCENARIO)
    play(rp, [(Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
              (Action("warp", seconds=3_600), "ok")])
    assert _update(rp) == (True, True)
    play(rp, [(Action("swap", "mallory", "USDC", 300_000 * E6, pair="TKN_USDC"), "ok")])
    again = _update(rp)  # before: this observation made the reference the pump alone (×1.0)
    play(rp, [(Action("supply", "mallory", "TKN", 74_943 * E18, on_behalf="mallory"), "ok"),
              (Action("borrow", "mallory", "USDC", 890_000 * E6), "PriceJump")])
    assert again == (False, False)  # a second update within the span records nothing
    twin = rp.model.amm.pair_feeds["TKN"]
    ratio = twin.price_x112(rp.now) / twin.reference_x112(rp.now)
    assert 15 < ratio < 16, ratio
