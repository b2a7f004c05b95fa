"""Scenario files: a protocol stated once as data, replayed by the exact model and on chain.

One schema (pydantic) for tests, stories and deployment scripts. An invalid file gets one error that
names the field (``ScenarioError``), before anything is built or deployed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from protocol_model.exact import errors
from protocol_model.exact.lending.params import AssetConfig, PoolParams, RateParams
from protocol_model.exact.math_lib import BPS, WAD
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.oracle import (
    FeedOp,
    FeedRevertOp,
    FeedRoundOp,
    MarketOp,
    OracleSpec,
    SequencerOp,
    check_references,
)
from protocol_model.scenario.path import Check, KeeperSpec, PathPoint

MAX = "max"


class ScenarioError(ValueError):
    """A scenario file is invalid; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateSpec(_Strict):
    """Kinked curve in annual basis points (simple rate), converted once to per-second RAY."""

    base_bps: int = Field(0, ge=0)
    slope1_bps: int = Field(400, ge=0)
    slope2_bps: int = Field(30_000, ge=0)
    optimal_bps: int = Field(8_000, gt=0, lt=BPS)

    def params(self) -> RateParams:
        return RateParams.from_annual_bps(self.base_bps, self.slope1_bps, self.slope2_bps, self.optimal_bps)


class AssetSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.]{0,15}$")
    decimals: int = Field(ge=0, le=30)
    price_usd: Decimal = Field(gt=0)
    ltv_bps: int = Field(ge=0, lt=BPS)
    liquidation_threshold_bps: int = Field(ge=0, lt=BPS)
    liquidation_bonus_bps: int = Field(ge=0, le=5_000)
    liquidation_protocol_fee_bps: int = Field(0, ge=0, le=BPS)
    reserve_factor_bps: int = Field(1_000, ge=0, le=BPS)
    collateral_enabled: bool = True
    borrow_enabled: bool = True
    supply_cap: Decimal = Field(Decimal(0), ge=0)
    borrow_cap: Decimal = Field(Decimal(0), ge=0)
    rate: RateSpec = RateSpec()
    oracle: OracleSpec | None = None
    """Feed set-up and oracle policy (none: one feed, only answers <= 0 rejected)."""

    @model_validator(mode="after")
    def _risk_config_is_valid(self) -> AssetSpec:
        try:
            self.config()
        except errors.LtvAboveThreshold:
            raise ValueError(f"ltv_bps ({self.ltv_bps}) is above liquidation_threshold_bps "
                             f"({self.liquidation_threshold_bps})") from None
        except errors.LiquidationBonusTooHigh:
            raise ValueError("liquidation_threshold_bps × (1 + liquidation_bonus_bps) must stay below 100%: "
                             "a liquidation could never restore health") from None
        return self

    def units(self, amount: Decimal | str | int) -> int:
        return to_units(amount, self.decimals, self.name)

    def config(self) -> AssetConfig:
        return AssetConfig(
            self.ltv_bps, self.liquidation_threshold_bps, self.liquidation_bonus_bps,
            self.liquidation_protocol_fee_bps, self.reserve_factor_bps, self.collateral_enabled,
            self.borrow_enabled, self.units(self.supply_cap), self.units(self.borrow_cap),
        ).validate()

    def answer(self) -> int:
        return usd_to_answer(self.price_usd)


class PoolSpec(_Strict):
    close_factor_bps: int = Field(5_000, gt=0, le=BPS)
    full_close_hf_bps: int = Field(9_500, ge=0, le=BPS)
    flash_loan_fee_bps: int = Field(0, ge=0, le=1_000)
    """Fee of a pool flash loan (bps of the amount, to reserves); at most MAX_FLASH_LOAN_FEE_BPS."""

    def params(self) -> PoolParams:
        return PoolParams(self.close_factor_bps, self.full_close_hf_bps * WAD // BPS).validate()


class AccountSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    balances: dict[str, Decimal] = Field(default_factory=dict)
    """Whole tokens minted to the account at the start, by asset name."""
    supplies: dict[str, Decimal] = Field(default_factory=dict)
    """Opening position: whole tokens supplied at deployment (after every account is funded)."""
    borrows: dict[str, Decimal] = Field(default_factory=dict)
    """Opening position: whole tokens borrowed at deployment (after every opening supply)."""


Amount = Union[Decimal, Literal["max"]]


class _Op(_Strict):
    expect: str = "ok"
    """'ok' or the name of the error the call must revert with."""


class SupplyOp(_Op):
    op: Literal["supply"]
    account: str
    asset: str
    amount: Decimal = Field(gt=0)
    on_behalf: str | None = None


class WithdrawOp(_Op):
    op: Literal["withdraw"]
    account: str
    asset: str
    amount: Amount


class BorrowOp(_Op):
    op: Literal["borrow"]
    account: str
    asset: str
    amount: Decimal = Field(gt=0)


class RepayOp(_Op):
    op: Literal["repay"]
    account: str
    asset: str
    amount: Amount
    on_behalf: str | None = None


class LiquidateOp(_Op):
    op: Literal["liquidate"]
    account: str
    borrower: str
    collateral: str
    debt: str
    amount: Amount


class PriceOp(_Op):
    op: Literal["price"]
    asset: str
    price_usd: Decimal = Field(ge=0)


class WarpOp(_Op):
    op: Literal["warp"]
    seconds: int = Field(gt=0, le=10 * 365 * 86_400)


class PauseOp(_Op):
    op: Literal["pause"]
    supply: bool
    borrow: bool


from protocol_model.scenario.amm import AMM_STEP_TYPES, PairSpec, check_amm_references  # noqa: E402  (AMM and loop steps)

Step = Annotated[Union[SupplyOp, WithdrawOp, BorrowOp, RepayOp, LiquidateOp, PriceOp, WarpOp, PauseOp,  # noqa: UP007
                       FeedOp, FeedRoundOp, FeedRevertOp, SequencerOp, MarketOp, AMM_STEP_TYPES],
                 Field(discriminator="op")]


class Scenario(_Strict):
    name: str
    description: str = ""
    pool: PoolSpec = PoolSpec()
    assets: list[AssetSpec] = Field(min_length=1)
    accounts: list[AccountSpec] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)
    path: list[PathPoint] = Field(default_factory=list)
    """Price path walked by ``ape run play`` (after the steps), with the keeper liquidating."""
    keeper: KeeperSpec | None = None
    checks: list[Check] = Field(default_factory=list)

    amm_pairs: list[PairSpec] = Field(default_factory=list)
    """Uniswap V2 pairs deployed with the pool (initial reserves from the deployer); see scenario_amm.py."""

    @field_validator("assets")
    @classmethod
    def _unique_assets(cls, v: list[AssetSpec]) -> list[AssetSpec]:
        names = [a.name for a in v]
        if len(set(names)) != len(names):
            raise ValueError(f"asset names repeat: {names}")
        return v

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        assets = {a.name for a in self.assets}
        accounts = {a.name for a in self.accounts}
        for i, acct in enumerate(self.accounts):
            for asset, amount in acct.balances.items():
                if asset not in assets:
                    raise ValueError(f"accounts.{i}.balances: unknown asset '{asset}' (known: {sorted(assets)})")
                self.asset(asset).units(amount)
        for i, step in enumerate(self.steps):
            for fld in ("asset", "collateral", "debt"):
                val = getattr(step, fld, None)
                if val is not None and val not in assets:
                    raise ValueError(f"steps.{i}.{fld}: unknown asset '{val}' (known: {sorted(assets)})")
            for fld in ("account", "borrower", "on_behalf"):
                val = getattr(step, fld, None)
                if val is not None and val not in accounts:
                    raise ValueError(f"steps.{i}.{fld}: unknown account '{val}' (known: {sorted(accounts)})")
            amount = getattr(step, "amount", None)
            if isinstance(amount, Decimal):
                asset_name = getattr(step, "asset", None) or step.debt
                self.asset(asset_name).units(amount)
            if step.expect != "ok" and not hasattr(errors, step.expect):
                raise ValueError(f"steps.{i}.expect: '{step.expect}' is neither 'ok' nor a pool error name")
        return self

    @model_validator(mode="after")
    def _positions_and_path_refer_to_known_names(self) -> Scenario:
        assets = {a.name for a in self.assets}
        accounts = {a.name for a in self.accounts}

        def known(where: str, name: str, pool: set[str], what: str) -> None:
            if name not in pool:
                raise ValueError(f"{where}: unknown {what} '{name}' (known: {sorted(pool)})")

        for i, acct in enumerate(self.accounts):
            for book in ("supplies", "borrows"):
                for asset, amount in getattr(acct, book).items():
                    known(f"accounts.{i}.{book}", asset, assets, "asset")
                    if amount <= 0:
                        raise ValueError(f"accounts.{i}.{book}.{asset}: amount must be > 0, got {amount}")
                    self.asset(asset).units(amount)
        for i, point in enumerate(self.path):
            for asset, price in point.prices.items():
                known(f"path.{i}.prices", asset, assets, "asset")
                if price < 0:
                    raise ValueError(f"path.{i}.prices.{asset}: a price must be >= 0, got {price}")
        if self.keeper is not None:
            known("keeper.account", self.keeper.account, accounts, "account")
        for i, check in enumerate(self.checks):
            if check.at >= len(self.path):
                raise ValueError(f"checks.{i}.at: {check.at} is past the path's last point ({len(self.path) - 1})")
            for fld in ("liquidated", "healthy", "liquidatable"):
                for name in getattr(check, fld) or []:
                    known(f"checks.{i}.{fld}", name, accounts, "account")
            for name in check.bad_debt_assets or []:
                known(f"checks.{i}.bad_debt_assets", name, assets, "asset")
        if self.checks and self.keeper is None and any(c.liquidated for c in self.checks):
            raise ValueError("checks: 'liquidated' needs a keeper (keeper.account)")
        return self

    @model_validator(mode="after")
    def _oracle_references_exist(self) -> Scenario:
        check_references(self)
        return self

    @model_validator(mode="after")
    def _amm_references_exist(self) -> Scenario:
        check_amm_references(self)
        return self

    def pair(self, name: str) -> PairSpec:
        for p in self.amm_pairs:
            if p.name == name:
                return p
        raise KeyError(name)

    def asset(self, name: str) -> AssetSpec:
        for a in self.assets:
            if a.name == name:
                return a
        raise KeyError(name)


def to_units(amount: Decimal | str | int, decimals: int, what: str = "amount") -> int:
    """Whole tokens (exact decimal) -> integer token units; a fraction below one unit is an error."""
    try:
        value = Decimal(str(amount)) * (Decimal(10) ** decimals)
    except InvalidOperation:
        raise ValueError(f"{what}: '{amount}' is not a number") from None
    if value != value.to_integral_value():
        raise ValueError(f"{what}: {amount} has more than {decimals} decimals")
    return int(value)


def _format_error(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"].removeprefix("Value error, ")
    return f"{source}: {loc}: {msg}"


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_error(err, source)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file; ``ScenarioError`` names the bad field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping")
    return parse_scenario(data, str(path))
