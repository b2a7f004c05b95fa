"""Perp stories as data (scenarios/perp/*.yaml): one schema for the model, the chain replay and the docs.

A bad file gets one ``ScenarioError`` naming the field, before anything is built or deployed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.exact.perp import errors
from protocol_model.exact.perp.params import MarketParams
from protocol_model.scenario.story import ScenarioError, _format_error, to_units


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CollateralSpec(_Strict):
    name: str = Field("USDC", pattern=r"^[A-Za-z][A-Za-z0-9_.]{0,15}$")
    decimals: int = Field(6, ge=0, le=18)


class IndexSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.]{0,15}$")
    price_usd: Decimal = Field(gt=0)


class MarketSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,23}$")
    index: str
    initial_margin_bps: int = Field(gt=0, le=10_000)
    maintenance_margin_bps: int = Field(gt=0, lt=10_000)
    trade_fee_bps: int = Field(5, ge=0, le=10_000)
    liquidation_penalty_bps: int = Field(100, ge=0, le=10_000)
    liquidator_share_bps: int = Field(5_000, ge=0, le=10_000)
    close_factor_bps: int = Field(5_000, gt=0, le=10_000)
    full_liquidation_bps: int = Field(5_000, ge=0, le=10_000)
    max_funding_rate_bps: int = Field(75, ge=0, le=10_000)
    price_band_bps: int = Field(200, ge=0, le=10_000)
    funding_period_seconds: int = Field(8 * 3600, gt=0, lt=2**32)
    mark_max_age_seconds: int = Field(8 * 3600, gt=0, lt=2**32)
    """After this long without a trade the mark is stale and funding stops (premium counts as zero)."""

    @model_validator(mode="after")
    def _margins(self) -> MarketSpec:
        if self.maintenance_margin_bps >= self.initial_margin_bps:
            raise ValueError(f"maintenance_margin_bps ({self.maintenance_margin_bps}) must be below "
                             f"initial_margin_bps ({self.initial_margin_bps})")
        return self

    def params(self) -> MarketParams:
        data = self.model_dump(exclude={"name", "index"})
        return MarketParams(**data).validate()


class AccountSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    balance: Decimal = Field(Decimal(0), ge=0)
    """Whole settlement tokens minted to the account at the start."""


class _Op(_Strict):
    expect: str = "ok"


class DepositOp(_Op):
    op: Literal["deposit", "fund_insurance", "withdraw"]
    account: str
    amount: Decimal = Field(gt=0)


class ModeOp(_Op):
    op: Literal["margin_mode"]
    account: str
    market: str
    isolated: bool


class TransferOp(_Op):
    op: Literal["transfer_margin"]
    account: str
    market: str
    amount: Decimal
    """Quote units; positive moves cross → isolated, negative back."""


class TradeOp(_Op):
    op: Literal["trade"]
    market: str
    buyer: str
    seller: str
    size: Decimal = Field(gt=0)
    price_usd: Decimal = Field(gt=0)


class LiquidateOp(_Op):
    op: Literal["liquidate"]
    account: str
    """The liquidator."""
    target: str
    market: str


class PriceOp(_Op):
    op: Literal["price"]
    asset: str
    price_usd: Decimal = Field(ge=0)


class WarpOp(_Op):
    op: Literal["warp"]
    seconds: int = Field(gt=0, le=10 * 365 * 86_400)


Step = Annotated[DepositOp | ModeOp | TransferOp | TradeOp | LiquidateOp | PriceOp | WarpOp,
                 Field(discriminator="op")]


class PerpScenario(_Strict):
    name: str
    description: str = ""
    collateral: CollateralSpec = CollateralSpec()
    indexes: list[IndexSpec] = Field(min_length=1)
    markets: list[MarketSpec] = Field(min_length=1)
    accounts: list[AccountSpec] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)

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
        return [m.name for m in self.markets].index(name)

    def index(self, name: str) -> IndexSpec:
        return next(i for i in self.indexes if i.name == name)

    def units(self, amount: Decimal) -> int:
        return to_units(amount, self.collateral.decimals, "amount")


def wad(value: Decimal | str | int) -> int:
    """An exact decimal -> WAD integer (sizes and quote amounts); finer than 1e-18 is an error."""
    return to_units(value, 18, "value")


def answer(price_usd: Decimal) -> int:
    return usd_to_answer(price_usd)


def parse_perp_scenario(data: dict, source: str = "perp scenario") -> PerpScenario:
    try:
        return PerpScenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_error(err, source)) from None
    except ValueError as err:  # to_units raised inside a validator after pydantic's own checks
        raise ScenarioError(f"{source}: {err}") from None


def load_perp_scenario(path: str | Path) -> PerpScenario:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping")
    return parse_perp_scenario(data, str(path))
