"""A TWAP averaged over far more than its window is late, and the router must see it (review-pool, SPEC rule O2).

``PairPriceFeed`` in TWAP mode averages since the newest observation at least ``windowSec`` old; ``update()`` (anyone)
rolls observations, but nothing makes anyone call it. Its round 2 was dated by the quote feed alone (a heartbeat:
always fresh), so with no ``update()`` for 30 days a 1,800 s TWAP was a 30-day average that the router took as
fresh: after a crash to $0.01 the pair's TKN still priced at $0.9986 an hour later, and mallory borrowed 70,000 USDC
against 100,000 TKN worth $1,000 at market. Now a TWAP's round 2 is dated no later than its observation + window
(an average over ``window + x`` seconds is ``x`` seconds late): the router's maximum age (25 h by default) rejects
it, ``StalePrice``, on both twins; a feed read within its window is as fresh as before.
"""

from __future__ import annotations

from protocol_model.world.action import Action
from tests.chain.test_inprocess_forced_rejection import TKN
from tests.crosscheck.test_pool_faults import USDC, play

E18, E6, DAY = 10**18, 10**6, 86_400
SCENARIO = {
    "name": "stale-twap",
    "assets": [USDC, TKN],
    "amm_pairs": [{"name": "TKN_USDC", "assets": ["TKN", "USDC"], "reserves": {"TKN": "100000", "USDC": "100000"},
                   "price_feed": {"asset": "TKN", "mode": "twap", "window_s": 1800}}],
    "accounts": [{"name": "bob", "balances": {"USDC": "1000000"}},
                 {"name": "whale", "balances": {"TKN": "900000"}},
                 {"name": "mallory", "balances": {"TKN": "100000"}}],
    "steps": [{"op": "swap", "account": "whale", "pair": "TKN_USDC", "asset": "TKN", "amount": "1"}],
}


def _crashed(replay_in_process, days: int):
    """bob's 1,000,000 USDC supplied; ``days`` later a whale sells 900,000 TKN into the pair (spot $1 → ~$0.01);
    an hour later mallory supplies 100,000 TKN."""
    rp = replay_in_process(SCENARIO)
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000_000 * E6, on_behalf="bob"), "ok"),
        (Action("warp", seconds=days * DAY), "ok"),
        (Action("swap", "whale", "TKN", 900_000 * E18, pair="TKN_USDC"), "ok"),
        (Action("warp", seconds=3_600), "ok"),
        (Action("supply", "mallory", "TKN", 100_000 * E18, on_behalf="mallory"), "ok"),
    ])
    return rp


def test_a_twap_not_rolled_for_30_days_is_stale(replay_in_process):
    """30 days without ``update()``: the 1,800 s TWAP is dated 30 days back, ``StalePrice`` (before: a $0.9986 TKN,
    and the 70,000 USDC borrow against $1,000 of TKN went through on both twins)."""
    play(_crashed(replay_in_process, 30), [(Action("borrow", "mallory", "USDC", 70_000 * E6), "StalePrice")])


def test_a_twap_read_within_its_window_and_the_default_age_is_fresh(replay_in_process):
    """The same crash right after deployment, read an hour later (observation + window = 1,800 s, well within 25 h):
    TKN prices at the hour's average (≈ $0.01, the crash is nearly all of it), so the 70,000 USDC borrow is
    InsufficientCollateral and a 100 USDC one passes."""
    play(_crashed(replay_in_process, 0), [(Action("borrow", "mallory", "USDC", 70_000 * E6), "InsufficientCollateral"),
                                          (Action("borrow", "mallory", "USDC", 100 * E6), "ok")])
