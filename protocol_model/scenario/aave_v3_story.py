"""Aave V3 stories: ``kind: story`` files whose protocol has ``rules: aave-v3`` (accounts with starting tokens,
then steps: pool calls, price changes, time passing, each with the outcome the file states)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from protocol_model.exact.presets.aave_v3.errors import ERROR_CODES
from protocol_model.exact.presets.aave_v3.params import MarketParams
from protocol_model.scenario.base import ScenarioError, Strict, format_error, read_yaml, to_units
from protocol_model.scenario.protocol import referred_protocol
from protocol_model.scenario.units import FeedPrice

Amount = str
"""Whole tokens as a decimal string, or ``max`` (``type(uint256).max``)."""

STEP_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "supply": (("account", "asset", "amount"), ("on_behalf",)),
    "withdraw": (("account", "asset", "amount"), ()),
    "borrow": (("account", "asset", "amount"), ()),
    "repay": (("account", "asset", "amount"), ("on_behalf",)),
    "liquidate": (("account", "borrower", "collateral", "debt", "amount"), ("receive_a_token",)),
    "collateral": (("account", "asset", "enabled"), ()),
    "emode": (("account", "category"), ()),
    "price": (("asset", "price_usd"), ()),
    "warp": (("seconds",), ()),
}
"""Each op's required and optional fields (besides ``op`` and ``expect``); any other field is refused, since
the call would ignore it (``on_behalf`` on a borrow is credit delegation, which is not modelled)."""


class AaveStep(Strict):
    """One step of an Aave story: a pool call by ``account`` (supply, withdraw, borrow, repay, liquidate,
    collateral, emode), a price change (``price``) or time passing (``warp``). ``expect`` is the outcome the
    file states: ``ok`` or Aave's error code (``"36"``)."""

    op: Literal["supply", "withdraw", "borrow", "repay", "liquidate", "collateral", "emode", "price", "warp"]
    account: str | None = None
    asset: str | None = None
    amount: Amount | None = None
    on_behalf: str | None = None
    borrower: str | None = None
    collateral: str | None = None
    debt: str | None = None
    receive_a_token: bool = False
    enabled: bool | None = None
    category: int | None = None
    price_usd: FeedPrice | None = None
    seconds: int | None = Field(None, gt=0)
    expect: str = "ok"

    @field_validator("expect")
    @classmethod
    def _code(cls, value: str) -> str:
        """An ``Errors`` constant's name (``COLLATERAL_CANNOT_COVER_NEW_BORROW``) is read as its code (``36``),
        which is what the chain reverts with."""
        return ERROR_CODES.get(value, value)

    @model_validator(mode="after")
    def _fields(self) -> AaveStep:
        need, optional = STEP_FIELDS[self.op]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"op {self.op} needs {', '.join(missing)}")
        unused = sorted(self.model_fields_set - {"op", "expect", *need, *optional})
        if unused:
            raise ValueError(f"op {self.op} does not take {', '.join(unused)} (it takes "
                             f"{', '.join((*need, *optional))})")
        return self


class AaveAccount(Strict):
    """A story account and the tokens it starts with (whole tokens)."""

    name: str
    balances: dict[str, Amount] = Field(default_factory=dict)


class AaveStory(Strict):
    """A story (``kind: story``) played on an Aave V3 market: accounts, then steps."""

    kind: Literal["story"]
    name: str
    description: str = ""
    protocol: str
    overrides: dict = Field(default_factory=dict)
    accounts: list[AaveAccount]
    steps: list[AaveStep] = Field(min_length=1)


def load_aave_story(path: str | Path) -> tuple[AaveStory, MarketParams]:
    """An Aave story and its market. Raises ScenarioError naming the file, the field and the rule (including
    a protocol whose rules are not ``aave-v3``, an unknown asset or account in a step)."""
    raw = read_yaml(path)
    try:
        story = AaveStory.model_validate(raw)
    except ValidationError as err:
        raise ScenarioError(format_error(err, str(path))) from None
    protocol = referred_protocol(raw, path)
    if protocol.rules != "aave-v3" or protocol.aave_v3 is None:
        raise ScenarioError(f"{path}: protocol: '{story.protocol}' has rules '{protocol.rules}', not aave-v3")
    market = protocol.aave_v3.params()
    assets = {r.symbol for r in market.reserves}
    names = {a.name for a in story.accounts}
    decimals = {r.symbol: r.decimals for r in market.reserves}
    for a in story.accounts:
        for symbol, amount in a.balances.items():
            if symbol not in assets:
                raise ScenarioError(f"{path}: accounts.{a.name}.balances.{symbol}: not a reserve (known: "
                                    f"{sorted(assets)})")
            _check_amount(path, f"accounts.{a.name}.balances.{symbol}", amount, decimals[symbol], "whole tokens")
    for i, step in enumerate(story.steps):
        for f in ("asset", "collateral", "debt"):
            if getattr(step, f) is not None and getattr(step, f) not in assets:
                raise ScenarioError(f"{path}: steps.{i}.{f}: '{getattr(step, f)}' is not a reserve "
                                    f"(known: {sorted(assets)})")
        for f in ("account", "borrower", "on_behalf"):
            if getattr(step, f) is not None and getattr(step, f) not in names:
                raise ScenarioError(f"{path}: steps.{i}.{f}: '{getattr(step, f)}' is not an account "
                                    f"(known: {sorted(names)})")
        if step.amount is not None and step.amount != "max":
            _check_amount(path, f"steps.{i}.amount", step.amount, decimals[step.debt or step.asset or ""],
                          "whole tokens, or max")
    return story, market


def _check_amount(path: str | Path, where: str, amount: str, decimals: int, unit: str) -> None:
    """Raise ScenarioError unless ``amount`` is a whole-token amount of a token with ``decimals`` that the
    contracts take (not negative, no finer than one unit, within uint256); ``unit`` says what is expected."""
    try:
        units = to_units(amount, decimals, where)
    except ValueError as err:
        raise ScenarioError(f"{path}: {err} (write {unit})") from None
    if units < 0:
        raise ScenarioError(f"{path}: {where}: {amount} is negative (write {unit})")


def is_aave_story(path: str | Path) -> bool:
    """True when ``path`` is a story whose protocol has ``rules: aave-v3`` (False for any other story, and
    for a file that cannot be read that far: the story's own loader then reports the problem)."""
    from protocol_model.scenario.protocol import protocol_data, protocol_path

    try:
        raw = read_yaml(path)
        ref = raw.get("protocol")
        return isinstance(ref, str) and protocol_data(protocol_path(ref, path)).get("rules") == "aave-v3"
    except ScenarioError:
        return False
