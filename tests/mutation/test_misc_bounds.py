"""Exact-bound probes outside the liquidation path, on both twins in process (``make mutate``; docs/mutation.md).

Each probe puts a state on one side of a bound and the unit next to it, where a flipped comparison, sign or rounding
in either twin changes an outcome or a value: the oracle's maximum age, price band, circuit-breaker reference and
sequencer grace period (``PriceRouter`` / ``router_price_wad``), ``MathLib.mulDivUp``'s 512-bit path, the
flash-loan fee bound and amount bound, the lendable cash net of reserves, the bad-debt write-off that takes the
whole supply index, and the packed minimum leftover of ``setMinLeftover``. The contract's answer is compared with
the twin's, to the wei, and both with the outcome the bound implies.
"""

from __future__ import annotations

from dataclasses import replace

from protocol_model.chain.inprocess import ZERO_ADDRESS
from protocol_model.chain.inprocess_world import deploy_in_process
from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import POOL
from protocol_model.exact.math_lib import RAY, UINT256_MAX, mul_div_down, mul_div_up
from protocol_model.exact.oracle.oracle_policy import OraclePolicy, router_price_wad
from protocol_model.exact.oracle.price_router import MAX_PRICE_WAD, Feed
from protocol_model.world.action import Action
from protocol_model.world.lending_properties import clone
from tests.crosscheck.test_pool_faults import USDC, _scenario, play
from tests.mutation import test_boundaries
from tests.mutation.test_boundaries import E6, E18, STABLE, USD8, _name_or_ok, _set_policy

chain, replay = test_boundaries.chain, test_boundaries.replay  # its in-process chain fixtures, shared

HOUR = 3_600
RESERVES, SUPPLY_INDEX = 4, 2
"""Fields of ``LendingPool.getAssetState``'s tuple (``AssetState``)."""


def _router_outcome(chain, world, token) -> str:
    """``router.priceWad(token)`` at the head block: "ok:<price WAD>" or the revert's name."""
    ok, out = chain.call_static(world.router.address, world.router.priceWad.encode_input(token))
    return f"ok:{world.router.function('priceWad', 1).decode(out)}" if ok else chain.project.revert_name(out)


def _twin_outcome(feed: Feed, policy: OraclePolicy, sequencer: Feed | None, now: int) -> str:
    """The twin's ``router_price_wad`` for the same rounds: "ok:<price WAD>" or the error's name."""
    try:
        return f"ok:{router_price_wad('T', feed, policy, None, sequencer, now)}"
    except errors.PoolError as err:
        return err.name


def test_oracle_bounds_agree_in_process(chain):
    """On a ``ScriptedFeed`` (8 decimals) read through ``PriceRouter.priceWad`` and the twin, each rule on its bound
    and one unit past it: a round exactly ``maxAgeSec`` old is fresh, one second older StalePrice; the band is open
    (``maxPriceWad`` and ``minPriceWad`` themselves PriceOutOfBounds, one unit inside accepted); a previous round
    of exactly MAX_PRICE_WAD arms the breaker (a 1e8 answer after it is PriceJump), one above it gives no
    reference; the sequencer's grace period is over only strictly after it (up for exactly the grace period:
    GracePeriodNotOver)."""
    snap = chain.snapshot()
    try:
        world = deploy_in_process(_scenario([USDC], {"USDC": "1"}), chain)
        token, admin, project = world.tokens["USDC"], world.deployer, world.project
        feed = chain.deploy(project.ScriptedFeed, 8, 2_500 * USD8, "P", sender=admin)
        sequencer = chain.deploy(project.ScriptedFeed, 0, 0, "up", sender=admin)
        world.router.setFeed(token, feed, sender=admin)

        def rounds(policy: OraclePolicy, answers: list[tuple[int, int]], up_for: int | None = None) -> str:
            """Publish ``answers`` (answer, age) as new rounds (and the sequencer up for ``up_for`` s) in one block
            time t, under ``policy``; both twins' outcome at t (asserted equal)."""
            seq = sequencer.address if policy.has_sequencer else ZERO_ADDRESS
            assert _set_policy(world, token, policy.as_tuple(ZERO_ADDRESS, seq)) == "ok"
            t = chain.now() + 1
            for answer, age in answers:
                round_id = feed.latestRound() + 1
                chain.transact(feed, "setRound", answer, t - age, t - age, round_id, sender=admin, at_time=t)
            twin_seq = None
            if up_for is not None:
                seq_round = sequencer.latestRound() + 1
                chain.transact(sequencer, "setRound", 0, t - up_for, t, seq_round, sender=admin, at_time=t)
                twin_seq = Feed(0, 0, seq_round, updated_at=t, started_at=t - up_for)
            (answer, age), prev = answers[-1], answers[-2][0] if len(answers) > 1 else 0
            twin = Feed(answer, 8, feed.latestRound(), updated_at=t - age, prev_answer=prev)
            outcomes = (_router_outcome(chain, world, token), _twin_outcome(twin, policy, twin_seq, t))
            assert outcomes[0] == outcomes[1], f"{policy}, {answers}, up for {up_for}: chain, twin {outcomes}"
            return outcomes[0]

        price = 2_500 * USD8
        fresh = OraclePolicy(max_age_s=HOUR)
        assert rounds(fresh, [(price, HOUR)]) == f"ok:{price * 10**10}"
        assert rounds(fresh, [(price, HOUR + 1)]) == "StalePrice"
        band = OraclePolicy(min_price_wad=2_000 * E18, max_price_wad=3_000 * E18)
        for answer, inside in ((3_000 * USD8, False), (3_000 * USD8 - 1, True), (2_000 * USD8, False),
                               (2_000 * USD8 + 1, True)):
            assert rounds(band, [(answer, 0)]) == (f"ok:{answer * 10**10}" if inside else "PriceOutOfBounds")
        breaker = OraclePolicy(max_jump_bps=3_000)
        assert rounds(breaker, [(MAX_PRICE_WAD, 0), (USD8, 0)]) == "PriceJump"
        assert rounds(breaker, [(MAX_PRICE_WAD + 1, 0), (USD8, 0)]) == f"ok:{E18}"
        graced = OraclePolicy(has_sequencer=True, grace_period_s=HOUR)
        assert rounds(graced, [(price, 0)], up_for=HOUR) == "GracePeriodNotOver"
        assert rounds(graced, [(price, 0)], up_for=HOUR + 1) == f"ok:{price * 10**10}"
    finally:
        chain.restore(snap)


def test_mul_div_up_512_bit_path_rounds_up_in_process(chain):
    """``MathLib.mulDivUp`` / ``mulDivDown`` (through ``MathHarness``) equal the twin's ``mul_div_up`` /
    ``mul_div_down`` where x·y exceeds 2^256 (the ``Math.mulDiv`` fallback): an inexact quotient is one unit apart
    between the two (the fallback's ``Rounding.Ceil`` → ``Floor`` would give the floor), an exact one is not."""
    snap = chain.snapshot()
    try:
        harness = chain.deploy(chain.project.MathHarness, sender=chain.accounts[0])
        for x, y, d in ((2**200 + 1, 2**100 + 3, 2**60 + 1), (UINT256_MAX, 10**18 + 7, 10**27 + 9),
                        (2**200, 2**100, 2**64)):
            assert x * y > UINT256_MAX
            up, down = mul_div_up(x, y, d), mul_div_down(x, y, d)
            assert up - down == (x * y % d != 0)
            assert (harness.mulDivUp(x, y, d), harness.mulDivDown(x, y, d)) == (up, down), (x, y, d)
    finally:
        chain.restore(snap)


def test_flash_loan_bounds_and_lendable_net_of_reserves(chain, replay):
    """The flash-loan fee at ``MAX_FLASH_LOAN_FEE_BPS`` (1,000) is accepted and 1,001 is FlashLoanFeeTooHigh; a
    flash loan of exactly the pool's cash passes (its 10% fee lands in reserves), one unit more is
    InsufficientLiquidity; then a borrow of the cash net of those reserves plus one unit is InsufficientLiquidity
    and of exactly that net cash passes — on the contract and on the twin, with the same reserves and balances."""
    rp = replay(_scenario([USDC, STABLE], {"USDC": "100000", "STBL": "3000"}))
    play(rp, [(Action("supply", "bob", "USDC", 1_000 * E6, on_behalf="bob"), "ok"),
              (Action("supply", "alice", "STBL", 2_000 * E18, on_behalf="alice"), "ok")])
    world, model = rp.chain, rp.model.pool
    token, admin = world.tokens["USDC"], world.deployer
    borrower = chain.deploy(world.project.FlashBorrowerMock, world.pool, sender=admin)
    token.mint(borrower, 1_000 * E6, sender=admin)  # pays the fee
    model.ledger.mint("USDC", "borrower", 1_000 * E6)
    for fee_bps, expected in ((1_001, "FlashLoanFeeTooHigh"), (1_000, "ok")):
        outcomes = (_name_or_ok(world.pool.setFlashLoanFee, fee_bps, sender=admin),
                    _name_or_ok(model.set_flash_loan_fee, fee_bps))
        assert outcomes == (expected, expected), f"fee {fee_bps}: chain, twin {outcomes}"
    assert world.pool.flashLoanFeeBps() == model.flash_loan_fee_bps == 1_000

    def repays(initiator, asset, amount, fee) -> bool:
        model.ledger.approve(asset, "borrower", POOL, amount + fee)
        return True

    cash = model.ledger.balance("USDC", POOL)
    assert cash == token.balanceOf(world.pool) == 1_000 * E6
    for amount, expected in ((cash + 1, "InsufficientLiquidity"), (cash, "ok")):
        outcomes = (_name_or_ok(borrower.borrow, token, amount, sender=admin),
                    _name_or_ok(model.flash_loan, "borrower", "borrower", "USDC", amount, repays, chain.now()))
        assert outcomes == (expected, expected), f"flash loan of {amount}: chain, twin {outcomes}"
    reserves = model.assets["USDC"].state.reserves
    assert reserves == world.pool.getAssetState(token)[RESERVES] == 100 * E6
    assert model.ledger.balance("USDC", POOL) == token.balanceOf(world.pool) == cash + reserves
    alice = world.signers["alice"]
    for amount, expected in ((cash + 1, "InsufficientLiquidity"), (cash, "ok")):  # lendable: cash + fee − reserves
        now = chain.now() + 1
        outcomes = (_name_or_ok(world.pool.borrow, token, amount, sender=alice),
                    _name_or_ok(model.borrow, "alice", "USDC", amount, now))
        assert outcomes == (expected, expected), f"borrow of {amount}: chain, twin {outcomes}"
    assert model.debt_balance("USDC", "alice") == world.pool.debtBalance(token, world.address_of("alice")) == cash


def test_bad_debt_equal_to_the_whole_supply_leaves_the_index_at_one(replay):
    """Zero rate (both indexes RAY), no reserves: carol donates cash, alice borrows 1,600 USDC against 2,000 STBL,
    STBL falls to $0.5 and a liquidation of the whole debt seizes every STBL and writes off the rest, W. bob's
    supply was first set to exactly W, so the supply index loses ⌈W·RAY/W⌉ = RAY, all of it: both twins keep it at 1
    (never zero: it divides later amounts); with ``>=`` for ``>`` it would be 0."""
    rp = replay(_scenario([USDC, STABLE], {"USDC": "100000", "STBL": "3000"}))
    play(rp, [
        (Action("supply", "bob", "USDC", 1_000 * E6, on_behalf="bob"), "ok"),
        (Action("donate", "carol", "USDC", 10_000 * E6), "ok"),
        (Action("supply", "alice", "STBL", 2_000 * E18, on_behalf="alice"), "ok"),
        (Action("borrow", "alice", "USDC", 1_600 * E6), "ok"),
        (Action("price", asset="STBL", answer=USD8 // 2), "ok"),
    ])
    trial = clone(rp.model.pool)
    trial.liquidate("carol", "alice", "STBL", "USDC", UINT256_MAX, rp.now + 2)
    written_off = trial.assets["USDC"].state.bad_debt
    assert 0 < written_off != 1_000 * E6
    resize = (Action("supply", "bob", "USDC", written_off - 1_000 * E6, on_behalf="bob") if written_off > 1_000 * E6
              else Action("withdraw", "bob", "USDC", 1_000 * E6 - written_off))
    play(rp, [(resize, "ok")])
    s = rp.model.pool.assets["USDC"].state
    assert (s.total_supply(), s.supply_index_ray, s.reserves) == (written_off, RAY, 0)
    play(rp, [(Action("liquidate", "carol", amount=UINT256_MAX, borrower="alice", collateral="STBL", debt="USDC"),
               "ok")])
    world = rp.chain
    assert s.bad_debt == written_off and s.supply_index_ray == 1
    assert world.pool.getAssetState(world.tokens["USDC"])[SUPPLY_INDEX] == 1


def test_min_leftover_at_the_packing_sentinel(replay):
    """``setMinLeftover`` packs a value under 2^128 − 1 in one slot and stores 2^128 − 1 and above in a second one
    (the sentinel 2^128 − 1 in the first): each of 2^128 − 2, 2^128 − 1 (the sentinel itself), 2^128, then
    2^128 − 1 again reads back exactly as the twin's ``PoolParams`` holds it (``<=`` for ``<`` would pack the
    sentinel and read the second slot's older value: 0, then 2^128)."""
    rp = replay(_scenario([USDC], {"USDC": "1"}))
    world, model = rp.chain, rp.model.pool
    for minimum in (2**128 - 2, 2**128 - 1, 2**128, 2**128 - 1):
        world.pool.setMinLeftover(minimum, sender=world.deployer)
        model.set_close_factor(replace(model.params, min_leftover_usd_wad=minimum))
        assert world.pool.minLeftoverUsdWad() == model.params.min_leftover_usd_wad == minimum
