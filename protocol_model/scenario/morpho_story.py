"""The Morpho story file (``kind: morpho_story``, scenarios/presets/morpho/*.yaml): a list of calls of real Morpho
Blue (or of the mocks it ships) played on the preset's exact twin and, in the cross-check, on the real bytecode.

A story names its protocol (``rules: morpho-blue``), its accounts and its steps: each step is one call sent
``wait`` seconds after the previous one, with the outcome it ``expect``s (``ok`` or the revert string). Token
amounts are whole tokens (exact decimals), shares raw integers, prices loan tokens per collateral token.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from protocol_model.scenario.base import ScenarioError, Strict, format_error
from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.morpho_blue import MorphoBlueSpec
from protocol_model.scenario.protocol import protocol_data, protocol_path
from protocol_model.scenario.units import Bps

MorphoStepOp = Literal["set_balance", "supply", "withdraw", "borrow", "repay", "supply_collateral",
                       "withdraw_collateral", "liquidate", "accrue_interest", "set_price", "set_fee",
                       "set_authorization"]


STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "set_balance": ("token", "amount"), "supply": ("assets", "shares", "on_behalf"),
    "withdraw": ("assets", "shares", "on_behalf", "receiver"), "borrow": ("assets", "shares", "on_behalf", "receiver"),
    "repay": ("assets", "shares", "on_behalf"), "supply_collateral": ("assets", "on_behalf"),
    "withdraw_collateral": ("assets", "on_behalf", "receiver"), "liquidate": ("borrower", "seized", "repaid_shares"),
    "accrue_interest": (), "set_price": ("price",), "set_fee": ("fee_bps",),
    "set_authorization": ("authorized", "value"),
}
"""The fields each op takes besides ``op``, ``who``, ``market``, ``wait`` and ``expect``; any other is refused,
since the call would ignore it (a liquidation takes ``seized`` or ``repaid_shares``, not ``assets`` / ``shares``)."""


class MorphoStep(Strict):
    """One call: ``op`` from ``who`` after ``wait`` seconds, with the outcome it ``expect``s."""

    op: MorphoStepOp
    who: str = "owner"
    """The sender (an account of the story, or ``owner``: the deployer)."""
    market: str | None = None
    """The market (default: the story's)."""
    wait: int = Field(1, ge=1)
    """Seconds after the previous step (each transaction is its own block)."""
    assets: Decimal | None = Field(None, ge=0)
    """Whole tokens (loan token; collateral token for collateral steps)."""
    shares: int | None = Field(None, ge=0)
    on_behalf: str | None = None
    """Default: ``who``."""
    receiver: str | None = None
    """Default: ``who``."""
    borrower: str | None = None
    seized: Decimal | None = Field(None, ge=0)
    """liquidate: collateral to seize (whole tokens)."""
    repaid_shares: int | None = Field(None, ge=0)
    token: str | None = None
    amount: Decimal | None = Field(None, ge=0)
    """set_balance: the new balance of ``token`` (whole tokens)."""
    price: Decimal | None = Field(None, ge=0)
    """set_price: loan tokens per collateral token."""
    fee_bps: Bps | None = Field(None, alias="fee", ge=0)
    authorized: str | None = None
    value: bool | None = None
    """set_authorization: the new authorization."""
    expect: str = "ok"
    """``ok`` or the revert string (``position is healthy``, ``Panic(0x11)`` ...)."""


class MorphoStory(Strict):
    """A story played on the Morpho Blue preset (model, and real Morpho Blue bytecode in the cross-check)."""

    kind: Literal["morpho_story"]
    name: str
    description: str = ""
    protocol: str
    """A protocol file with ``rules: morpho-blue`` (path relative to this file, or a name in ``protocols/``)."""
    market: str | None = None
    """The market the steps use by default (default: the protocol's first)."""
    accounts: list[str] = Field(min_length=1)
    fee_recipient: str | None = None
    """An account set as the fee recipient before the story starts (default: none, the zero address)."""
    steps: list[MorphoStep] = Field(min_length=1)


def load_morpho_story(path: str | Path) -> tuple[MorphoStory, MorphoBlueSpec]:
    """Read a Morpho story and its protocol; every name is resolved and every amount converted once here.
    Raises ScenarioError naming the file, the field and the rule."""
    _, raw = read_kind(path, "morpho_story")
    try:
        story = MorphoStory.model_validate(raw)
    except ValidationError as err:
        raise ScenarioError(format_error(err, str(path))) from None
    data = protocol_data(protocol_path(story.protocol, path))
    if data.get("rules") != "morpho-blue":
        raise ScenarioError(f"{path}: protocol: '{story.protocol}' has rules: {data.get('rules')}, not morpho-blue")
    spec = MorphoBlueSpec.model_validate(data["morpho"])
    _check_names(story, spec, str(path))
    return story, spec


def _check_names(story: MorphoStory, spec: MorphoBlueSpec, path: str) -> None:
    if story.market is not None and story.market not in spec.markets:
        raise ScenarioError(f"{path}: market: unknown market '{story.market}' (markets: {list(spec.markets)})")
    names = {*story.accounts, "owner"}
    if story.fee_recipient is not None and story.fee_recipient not in names:
        raise ScenarioError(f"{path}: fee_recipient: unknown account '{story.fee_recipient}'")
    for i, step in enumerate(story.steps):
        where = f"{path}: steps.{i}"
        for field in ("who", "on_behalf", "receiver", "borrower", "authorized"):
            name = getattr(step, field)
            if name is not None and name not in names:
                raise ScenarioError(f"{where}.{field}: unknown account '{name}' (accounts: {story.accounts})")
        if step.market is not None and step.market not in spec.markets:
            raise ScenarioError(f"{where}.market: unknown market '{step.market}'")
        if step.token is not None and step.token not in spec.tokens:
            raise ScenarioError(f"{where}.token: unknown token '{step.token}' (tokens: {list(spec.tokens)})")
        needs = {"set_balance": ("token", "amount"), "liquidate": ("borrower",), "set_price": ("price",),
                 "set_fee": ("fee_bps",), "set_authorization": ("authorized", "value")}.get(step.op, ())
        for field in needs:
            if getattr(step, field) is None:
                raise ScenarioError(f"{where}: {step.op} needs '{field.removesuffix('_bps')}'")
        takes = STEP_FIELDS[step.op]
        unused = sorted(f.removesuffix("_bps") for f in step.model_fields_set - {"op", "who", "market", "wait",
                                                                                  "expect", *takes})
        if unused:
            raise ScenarioError(f"{where}: {step.op} does not take {', '.join(unused)} (it takes "
                                f"{', '.join(f.removesuffix('_bps') for f in takes) or 'no amount'})")
        _check_units(step, spec, story.market or next(iter(spec.markets)), where)


def _check_units(step: MorphoStep, spec: MorphoBlueSpec, default_market: str, where: str) -> None:
    """Every token amount of ``step`` converts to its token's units (no finer than one unit, within uint256), and
    its price to the oracle's (no finer than its 1e-36 resolution, within uint256)."""
    market = spec.markets[step.market or default_market]
    if step.price is not None:
        try:
            spec.market_price(step.market or default_market, step.price, f"{where}.price")
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    collateral = step.op in ("supply_collateral", "withdraw_collateral")
    for field, token in (("assets", market.collateral_token if collateral else market.loan_token),
                         ("seized", market.collateral_token), ("amount", step.token)):
        value = getattr(step, field)
        if value is not None and token is not None:
            try:
                spec.units(token, value, f"{where}.{field}")
            except ValueError as err:
                raise ScenarioError(f"{err} (write whole {token})") from None
