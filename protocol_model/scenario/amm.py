"""Scenario schema for AMM pairs and leverage loops (additive to ``scenario.py``).

``amm_pairs`` lists Uniswap V2 pairs with their initial reserves (added by the deployer when the world is
built). Steps: ``swap``, ``add_liquidity``, ``authorize`` (let the Looper act for the account),
``loop_open`` (iterative or flash), ``loop_unwind`` (full or partial) and ``price_from_pair`` (an oracle
keeper that sets an asset's feed to the pair's spot price times the other asset's feed price).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Union

from pydantic import Field, model_validator

from protocol_model.exact.math_lib import BPS
from protocol_model.exact.oracle.pair_price_feed import default_reference_span_s
from protocol_model.scenario.base import Strict


class _Op(Strict):
    expect: str = "ok"
    """'ok' or the name of the error the call must revert with."""


class PairFeedSpec(Strict):
    """Price ``asset`` from this pair (PairPriceFeed): the pair's price in the other asset times that
    asset's own USD feed. ``spot``: current reserves; ``twap``: average since an observation at least
    ``window_s`` old (the first is taken when the feed is deployed). ``reference_span_s``: the least span the
    circuit breaker's reference round averages over (``referenceSpanSec``, 1 s to 30 days; default the TWAP window,
    or 1,800 s in spot mode: ``effective_reference_span_s``)."""

    asset: str
    mode: Literal["spot", "twap"]
    window_s: int = Field(0, ge=0, le=30 * 86_400)
    reference_span_s: int | None = Field(None, ge=1, le=30 * 86_400)

    @property
    def effective_reference_span_s(self) -> int:
        """The ``referenceSpanSec`` deployed: ``reference_span_s``, or its default (the TWAP window, else 1,800 s).
        Raises nothing."""
        if self.reference_span_s is not None:
            return self.reference_span_s
        return default_reference_span_s(self.mode == "twap", self.window_s)

    @model_validator(mode="after")
    def _window(self) -> PairFeedSpec:
        if self.mode == "twap" and self.window_s == 0:
            raise ValueError("window_s must be positive in mode 'twap'")
        if self.mode == "spot" and self.window_s:
            raise ValueError("window_s is for mode 'twap'; a spot feed has no window")
        return self


class PairSpec(Strict):
    """A Uniswap V2 pair (``UniswapV2Pair``) of the story: ``name`` (up to 32 characters), its two ``assets``
    (different), the whole tokens of each the deployer adds at deployment (``reserves``, both > 0) and an optional
    ``price_feed`` (a ``PairPriceFeed`` pricing one of the two assets). Raises ValueError (reported as a
    ScenarioError naming the field) when one of these rules is broken."""
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
    assets: tuple[str, str]
    reserves: dict[str, Decimal]
    """Whole tokens of each asset the deployer adds at deployment (both > 0)."""
    price_feed: PairFeedSpec | None = None
    """Price one of the pair's assets from the pair (see PairFeedSpec)."""

    @model_validator(mode="after")
    def _two_assets(self) -> PairSpec:
        if self.price_feed is not None and self.price_feed.asset not in self.assets:
            raise ValueError(f"price_feed.asset: '{self.price_feed.asset}' is not in the pair {list(self.assets)}")
        if self.assets[0] == self.assets[1]:
            raise ValueError(f"a pair needs two different assets, got {list(self.assets)}")
        if set(self.reserves) != set(self.assets):
            raise ValueError(f"reserves must give exactly the pair's assets {list(self.assets)}, "
                             f"got {sorted(self.reserves)}")
        for asset, amount in self.reserves.items():
            if amount <= 0:
                raise ValueError(f"reserves.{asset} must be positive, got {amount}")
        return self


class SwapOp(_Op):
    """Sell exactly ``amount`` of ``asset`` (``max``: the whole wallet) on ``pair`` through the swap helper."""

    op: Literal["swap"]
    account: str
    pair: str
    asset: str
    amount: Decimal | Literal["max"]
    min_out: Decimal = Field(Decimal(0), ge=0)


class AddLiquidityOp(_Op):
    """``add_liquidity``: ``PairSwapper.addLiquidity`` by ``account`` on ``pair``: ``amounts`` whole tokens of each
    of the pair's two assets (converted to token units exactly), LP tokens minted to the account. ``expect`` is
    ``ok`` or the error name the step must revert with."""
    op: Literal["add_liquidity"]
    account: str
    pair: str
    amounts: dict[str, Decimal]


class AuthorizeOp(_Op):
    """``pool.setAuthorization(looper, enabled)`` by ``account``."""

    op: Literal["authorize"]
    account: str
    operator: Literal["looper"] = "looper"
    enabled: bool = True


class LoopOpenOp(_Op):
    """Open a loop for ``account``: ``iterative`` runs ``rounds`` rounds borrowing ``borrow_fraction_bps`` of the
    remaining capacity; ``flash`` buys ``(leverage − 1) × equity`` of collateral with one pool flash loan."""

    op: Literal["loop_open"]
    account: str
    collateral: str
    debt: str
    equity: Decimal = Field(gt=0)
    mode: Literal["iterative", "flash"]
    rounds: int = Field(0, ge=0)
    borrow_fraction_bps: int = Field(BPS, ge=0)
    leverage: Decimal = Field(Decimal(0), ge=0)
    """Target collateral ÷ equity (flash mode), e.g. 3 for 3×."""
    max_slippage_bps: int = Field(50, ge=0)
    """Each swap's worst execution versus the oracle; the Looper rejects more than 59 (docs/SPEC.md §9 S2)."""

    @model_validator(mode="after")
    def _mode_fields(self) -> LoopOpenOp:
        if self.mode == "iterative" and self.leverage:
            raise ValueError("leverage is for mode 'flash'; iterative loops take rounds")
        if self.mode == "flash" and self.rounds:
            raise ValueError("rounds is for mode 'iterative'; flash loops take leverage")
        if self.leverage != self.leverage.quantize(Decimal("0.0001")):
            raise ValueError(f"leverage {self.leverage} has more than 4 decimals (it is sent in bps)")
        return self


class LoopUnwindOp(_Op):
    """``loop_unwind``: ``Looper.unwind`` by ``account``: repays ``fraction_bps`` (10,000: all; 0 or above 10,000
    reverts InvalidFraction) of its ``debt`` debt with a flash loan, withdraws that share of its ``collateral``
    supply, sells just enough on the pair with at most ``max_slippage_bps`` (≤ 59 bps, ``Looper.MAX_SLIPPAGE_BPS``)
    versus the oracle and returns the rest. ``expect`` is ``ok`` or the error name the step must revert with."""
    op: Literal["loop_unwind"]
    account: str
    collateral: str
    debt: str
    fraction_bps: int = Field(BPS, ge=0)
    max_slippage_bps: int = Field(50, ge=0)


class PriceFromPairOp(_Op):
    """``price_from_pair``: an oracle keeper pushes a round on ``asset``'s primary feed at the ``pair``'s spot price
    times the other asset's feed answer (8 decimals, rounded down; ``pair_price_answer``). ``expect`` is ``ok`` or
    the error name the step must revert with."""
    op: Literal["price_from_pair"]
    asset: str
    pair: str


AMM_STEP_TYPES = Union[SwapOp, AddLiquidityOp, AuthorizeOp, LoopOpenOp, LoopUnwindOp, PriceFromPairOp]  # noqa: UP007
AMM_KINDS = ("swap", "add_liquidity", "authorize", "loop_open", "loop_unwind", "price_from_pair")


def check_amm_references(scenario) -> None:
    """Pair names unique and distinct from asset names; every asset a pair or step names exists; amounts fit
    the asset's decimals. Raises ValueError naming the field."""
    assets = {a.name for a in scenario.assets}
    names = [p.name for p in scenario.amm_pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"amm_pairs: pair names repeat: {names}")
    for i, pair in enumerate(scenario.amm_pairs):
        if pair.name in assets:
            raise ValueError(f"amm_pairs.{i}.name: '{pair.name}' is also an asset name")
        for asset in pair.assets:
            if asset not in assets:
                raise ValueError(f"amm_pairs.{i}.assets: unknown asset '{asset}' (known: {sorted(assets)})")
        for asset, amount in pair.reserves.items():
            scenario.asset(asset).units(amount, f"amm_pairs.{i}.reserves.{asset}")
    check_pair_feeds(scenario)
    pairs = {p.name: p for p in scenario.amm_pairs}
    for i, step in enumerate(scenario.steps):
        pair_name = getattr(step, "pair", None)
        if pair_name is not None:
            if pair_name not in pairs:
                raise ValueError(f"steps.{i}.pair: unknown pair '{pair_name}' (known: {sorted(pairs)})")
            pair = pairs[pair_name]
            if step.op in ("swap", "price_from_pair") and step.asset not in pair.assets:
                raise ValueError(f"steps.{i}.asset: '{step.asset}' is not in pair {pair_name} {list(pair.assets)}")
            if step.op == "swap" and step.min_out:
                other = pair.assets[1] if step.asset == pair.assets[0] else pair.assets[0]
                scenario.asset(other).units(step.min_out, f"steps.{i}.min_out ({other})")
            if step.op == "add_liquidity":
                if set(step.amounts) != set(pair.assets):
                    raise ValueError(f"steps.{i}.amounts: give exactly {list(pair.assets)}")
                for asset, amount in step.amounts.items():
                    scenario.asset(asset).units(amount, f"steps.{i}.amounts.{asset}")
        if step.op in ("loop_open", "loop_unwind"):
            if step.collateral == step.debt:
                raise ValueError(f"steps.{i}.debt: a loop needs a debt asset other than the collateral")
            if not any({step.collateral, step.debt} == set(p.assets) for p in scenario.amm_pairs):
                raise ValueError(f"steps.{i}: no pair of {step.collateral} and {step.debt} in amm_pairs")
        if step.op == "loop_open":
            scenario.asset(step.collateral).units(step.equity, f"steps.{i}.equity ({step.collateral})")


def amm_users(scenario) -> list[str]:
    """Accounts that approve the Looper and the swap helper at deployment: those with a swap,
    add_liquidity or loop_open step (fewer set-up transactions on chain; the model mirrors it)."""
    users = {step.account for step in scenario.steps if step.op in ("swap", "add_liquidity", "loop_open")}
    return [a.name for a in scenario.accounts if a.name in users]


def pair_fed_assets(scenario) -> dict[str, str]:
    """Asset -> name of the pair whose PairPriceFeed prices it."""
    return {p.price_feed.asset: p.name for p in scenario.amm_pairs if p.price_feed is not None}


def manipulable_pair_feeds(scenario) -> list[str]:
    """Warnings, one line each naming the field, for pair feeds a single transaction can move against the pool
    (docs/oracles/spot_manipulation.md "Within one transaction"): a ``spot`` feed whose asset has no circuit breaker
    (a flash loan pumps or dumps it at will), one whose ``ltv × (1 + max_jump) ≥ 1`` (a pump the breaker lets
    through borrows more than the collateral is worth), a spot-priced pair the Looper trades on (its slippage
    bound, docs/SPEC.md §9 S2, then compares the pair with itself), and a Looper on another pair that prices one
    of its assets through a spot feed (that bound then moves with the feed, up to the breaker). ``protocol-model
    check`` prints them; they do not refuse the file (the naive oracle stories choose that configuration on
    purpose). Raises nothing."""
    found = []
    for i, pair in enumerate(scenario.amm_pairs):
        feed = pair.price_feed
        if feed is None or feed.mode != "spot":
            continue
        asset, where = scenario.asset(feed.asset), f"amm_pairs.{i}.price_feed"
        jump = asset.oracle.max_jump_bps if asset.oracle is not None else 0
        if jump == 0:
            found.append(f"{where}: '{feed.asset}' is priced by the pair's spot price with no circuit breaker "
                         "(oracle.max_jump): a flash loan moves it at will within one transaction (borrow against "
                         "a pump, liquidate on a dump); use mode twap or a breaker")
        elif asset.ltv_bps * (BPS + jump) >= BPS * BPS:
            found.append(f"{where}: '{feed.asset}' ltv × (1 + max_jump) = {asset.ltv_bps * (BPS + jump) / BPS**2:.4f}"
                         " ≥ 1: a pump the breaker lets through borrows more than the collateral is worth")
        loops = [step for step in scenario.steps if step.op in ("loop_open", "loop_unwind")]
        if any({step.collateral, step.debt} == set(pair.assets) for step in loops):
            found.append(f"{where}: the Looper trades on {pair.name}, whose spot price is its oracle: its slippage "
                         "bound compares the pair with itself, so the sandwich bound (SPEC §9 S2) does not hold")
        elif any(feed.asset in (step.collateral, step.debt) for step in loops):
            moved = f"by up to the breaker's max_jump ({jump / 100:g}%)" if jump else "at will (no breaker)"
            found.append(f"{where}: the Looper's slippage bound prices '{feed.asset}' at {pair.name}'s spot price, "
                         f"which a swap earlier in the same transaction moves {moved}: the sandwich bound (SPEC §9 "
                         "S2) loosens by as much")
    return found


def check_pair_feeds(scenario) -> None:
    """A pair-fed asset has one pair feed, a quote asset with its own feed, no oracle block and no feed steps."""
    fed: dict[str, str] = {}
    for i, pair in enumerate(scenario.amm_pairs):
        if pair.price_feed is None:
            continue
        asset = pair.price_feed.asset
        if asset in fed:
            raise ValueError(f"amm_pairs.{i}.price_feed.asset: '{asset}' is already priced by pair {fed[asset]}")
        fed[asset] = pair.name
        oracle = scenario.asset(asset).oracle
        if oracle is not None and (oracle.feed_max_usd != 0 or oracle.fallback_price_usd is not None):
            raise ValueError(f"amm_pairs.{i}.price_feed.asset: '{asset}' is priced by the pair: its oracle block "
                             "may set the router's policy (max age, band, breaker, sequencer) but no aggregator "
                             "band or fallback feed")
    for pair in scenario.amm_pairs:
        if pair.price_feed is not None:
            quote = pair.assets[1] if pair.price_feed.asset == pair.assets[0] else pair.assets[0]
            if quote in fed:
                raise ValueError(f"amm_pairs: '{pair.price_feed.asset}' is quoted in '{quote}', which is itself "
                                 "pair-fed; the quote asset needs its own USD feed")
    for i, step in enumerate(scenario.steps):
        if step.op in ("price", "feed", "feed_revert", "price_from_pair") and getattr(step, "asset", None) in fed:
            raise ValueError(f"steps.{i}.asset: '{step.asset}' is priced by pair {fed[step.asset]}; "
                             "move the pair instead")
