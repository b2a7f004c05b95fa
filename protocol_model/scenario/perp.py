"""Perp stories (``kind: perp_story``, scenarios/perp/*.yaml): one schema for the model, the chain replay
and the docs.

A perp story names a protocol with a ``perp:`` section (collateral, indexes, markets) and may override its
fields; ``PerpScenario`` is the resolved form. A bad file gets one ``ScenarioError`` naming the file, the
field and the rule, before anything is built or deployed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.exact.perp import errors
from protocol_model.scenario.base import ScenarioError, Strict, format_error, to_units
from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.params import ASSET_NAME, CollateralSpec
from protocol_model.scenario.params import IndexSpec as IndexParams
from protocol_model.scenario.params import MarketSpec as MarketParamsSpec
from protocol_model.scenario.protocol import ProtocolFile, ReferringFile, referred_protocol
from protocol_model.scenario.units import FeedPrice


class IndexSpec(IndexParams):
    """A price index with its name (the resolved form)."""

    name: str = Field(pattern=ASSET_NAME)


class MarketSpec(MarketParamsSpec):
    """A perp market with its name (the resolved form)."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,23}$")


class AccountSpec(Strict):
    """A story account: ``name`` (lower-case, up to 16 characters) and the settlement tokens minted to it at the
    start (``balance``, whole tokens, exact to the collateral's decimals)."""
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    balance: Decimal = Field(Decimal(0), ge=0)
    """Whole settlement tokens minted to the account at the start."""


class _Op(Strict):
    expect: str = "ok"


class DepositOp(_Op):
    """``deposit`` / ``fund_insurance`` / ``withdraw``: ``PerpEngine.deposit``, ``fundInsurance`` or ``withdraw`` by
    ``account`` of ``amount`` whole settlement tokens (> 0, converted to token units exactly). ``expect`` is ``ok``
    or the perp error name the step must revert with."""
    op: Literal["deposit", "fund_insurance", "withdraw"]
    account: str
    amount: Decimal = Field(gt=0)


class ModeOp(_Op):
    """``margin_mode``: ``PerpEngine.setMarginMode`` by ``account`` for ``market``, isolated (True) or cross (False).
    ``expect`` is ``ok`` or the perp error name the step must revert with."""
    op: Literal["margin_mode"]
    account: str
    market: str
    isolated: bool


class TransferOp(_Op):
    """``transfer_margin``: ``PerpEngine.transferMargin`` by ``account`` of ``amount`` quote units (converted to
    signed WAD exactly) between its cross balance and ``market``'s isolated balance. ``expect`` is ``ok`` or the perp
    error name the step must revert with."""
    op: Literal["transfer_margin"]
    account: str
    market: str
    amount: Decimal
    """Quote units; positive moves cross → isolated, negative back."""


class TradeOp(_Op):
    """``trade``: ``PerpEngine.trade`` on ``market``: ``buyer`` goes long and ``seller`` short by ``size`` whole base
    units at ``price_usd`` (both > 0, converted to WAD exactly). ``expect`` is ``ok`` or the perp error name the step
    must revert with."""
    op: Literal["trade"]
    market: str
    buyer: str
    seller: str
    size: Decimal = Field(gt=0)
    price_usd: Decimal = Field(gt=0)


class LiquidateOp(_Op):
    """``liquidate``: ``PerpEngine.liquidate`` by ``account`` (the liquidator) of ``target``'s position in
    ``market``. ``expect`` is ``ok`` or the perp error name the step must revert with."""
    op: Literal["liquidate"]
    account: str
    """The liquidator."""
    target: str
    market: str


class PriceOp(_Op):
    """``price``: a new round on index ``asset``'s feed at ``price_usd`` (8-decimal answer, rounded to the nearest
    unit); the engine reads it as the index price. ``expect`` is ``ok`` or the perp error name the step must revert
    with."""
    op: Literal["price"]
    asset: str
    price_usd: FeedPrice = Field(ge=0)


class WarpOp(_Op):
    """``warp``: the chain's clock moves forward ``seconds`` (1 s to 10 years); funding accrues on the next call that
    touches a market. ``expect`` is ``ok`` or the perp error name the step must revert with."""
    op: Literal["warp"]
    seconds: int = Field(gt=0, le=10 * 365 * 86_400)


Step = Annotated[DepositOp | ModeOp | TransferOp | TradeOp | LiquidateOp | PriceOp | WarpOp,
                 Field(discriminator="op")]


class _PerpBody(Strict):
    name: str
    description: str = ""
    accounts: list[AccountSpec] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)


class PerpStoryFile(_PerpBody, ReferringFile):
    """A perp story as written: a protocol with a ``perp:`` section, overrides, accounts and steps."""

    kind: Literal["perp_story"]
    markets: list[str] | None = None
    """Which of the protocol's perp markets the engine lists, in this order (default: all)."""


class PerpScenario(_PerpBody):
    """A perp story resolved against its protocol."""

    collateral: CollateralSpec = CollateralSpec()
    indexes: list[IndexSpec] = Field(min_length=1)
    markets: list[MarketSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_exist(self) -> PerpScenario:
        for label, items in (("indexes", self.indexes), ("markets", self.markets), ("accounts", self.accounts)):
            names = [i.name for i in items]
            if len(set(names)) != len(names):
                raise ValueError(f"{label}: names repeat: {names}")
        indexes = {i.name for i in self.indexes}
        markets = {m.name for m in self.markets}
        accounts = {a.name for a in self.accounts}
        for i, m in enumerate(self.markets):
            if m.index not in indexes:
                raise ValueError(f"markets.{i}.index: unknown index '{m.index}' (known: {sorted(indexes)})")
        for i, acct in enumerate(self.accounts):
            to_units(acct.balance, self.collateral.decimals, f"accounts.{i}.balance")
        for i, step in enumerate(self.steps):
            for fld, known in (("market", markets), ("asset", indexes), ("account", accounts),
                               ("buyer", accounts), ("seller", accounts), ("target", accounts)):
                val = getattr(step, fld, None)
                if val is not None and val not in known:
                    raise ValueError(f"steps.{i}.{fld}: unknown {fld} '{val}' (known: {sorted(known)})")
            if step.op in ("deposit", "fund_insurance", "withdraw"):
                to_units(step.amount, self.collateral.decimals, f"steps.{i}.amount")
            if step.expect != "ok" and step.expect not in errors.NAMES:
                raise ValueError(f"steps.{i}.expect: '{step.expect}' is neither 'ok' nor a perp error name")
        return self

    def market_id(self, name: str) -> int:
        """The engine's market id of market ``name`` (its position in ``markets``, the listing order). Raises
        ValueError for an unknown name."""
        return [m.name for m in self.markets].index(name)

    def index(self, name: str) -> IndexSpec:
        """The index named ``name`` (its starting USD price). Raises StopIteration for an unknown name (the model
        validator has already checked every step's reference)."""
        return next(i for i in self.indexes if i.name == name)

    def units(self, amount: Decimal) -> int:
        """``amount`` whole settlement tokens as token units of the collateral (exact decimal, ``to_units``). Raises
        ValueError for a value finer than one unit, not a number, or beyond uint256."""
        return to_units(amount, self.collateral.decimals, "amount")


def wad(value: Decimal | str | int) -> int:
    """An exact decimal -> WAD integer (sizes and quote amounts); finer than 1e-18 is an error."""
    return to_units(value, 18, "value")


def answer(price_usd: Decimal) -> int:
    """A USD price as an 8-decimal feed answer (``usd_to_answer``, rounded to the nearest unit), the answer an
    index's ``Feed`` (and the chain's aggregator) publishes. Raises nothing for a finite decimal."""
    return usd_to_answer(str(price_usd))


def parse_perp_scenario(data: dict, source: str = "perp scenario") -> PerpScenario:
    """Validate a perp story: a perp story file's contents (resolved against its protocol) or the resolved
    form (collateral, indexes and markets in full). Raises ScenarioError naming the field and the rule."""
    if "protocol" in data or "kind" in data:
        return resolve_perp_story(data, source)
    try:
        return PerpScenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_error(err, source)) from None
    except ValueError as err:  # to_units raised inside a validator after pydantic's own checks
        raise ScenarioError(f"{source}: {err}") from None


def perp_scenario_on(protocol: ProtocolFile, story: dict, markets: list[str] | None = None,
                     source: str = "perp scenario") -> PerpScenario:
    """A perp story (accounts, steps as data) on ``protocol``'s perp engine and the named markets
    (default: all); the indexes are those the markets use, in the protocol's order."""
    perp = protocol.perp
    if perp is None:
        raise ScenarioError(f"{source}: protocol: '{protocol.name}' has no perp section")
    names = markets or list(perp.markets)
    for name in names:
        if name not in perp.markets:
            raise ScenarioError(f"{source}: markets: '{name}' is not a market of protocol {protocol.name} "
                                f"(known: {list(perp.markets)})")
    used = {perp.markets[n].index for n in names}
    data = {k: v for k, v in story.items() if k not in ("kind", "protocol", "overrides", "markets")}
    data["collateral"] = perp.collateral
    data["indexes"] = [IndexSpec(name=n, price_usd=i.price_usd) for n, i in perp.indexes.items() if n in used]
    data["markets"] = [MarketSpec.model_validate({**perp.markets[n].model_dump(), "name": n}) for n in names]
    return parse_perp_scenario(data, source)


def resolve_perp_story(data: dict, source: str | Path) -> PerpScenario:
    """A perp story file's contents resolved against its protocol's ``perp:`` section, validated."""
    try:
        PerpStoryFile.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_error(err, str(source))) from None
    return perp_scenario_on(referred_protocol(data, source), data, data.get("markets"), str(source))


def load_perp_scenario(path: str | Path) -> PerpScenario:
    """Read a perp story file (``kind: perp_story``) and resolve it; ``ScenarioError`` names the file,
    the field and the rule (a file of another kind: which command takes it)."""
    _, data = read_kind(path, "perp_story")
    return resolve_perp_story(data, path)
