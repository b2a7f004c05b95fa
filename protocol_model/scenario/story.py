"""Stories (``kind: story``): accounts and steps played on a protocol by the exact model and on chain.

A story file names its protocol (``protocol:``, see ``scenario/protocol.py``), may pick and order the
protocol's assets (``assets: [USDC, WETH]``) and change named fields (``overrides:``). Loading it gives a
``Scenario``: the resolved form (pool and assets in full) that the model worlds, the chain adapters and
deployment records use. An invalid file gets one error naming the file, the field and the rule
(``ScenarioError``), before anything is built or deployed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationError, field_validator, model_validator

from protocol_model.exact import errors
from protocol_model.scenario.base import ScenarioError, Strict, format_error, to_units
from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.oracle import (
    FeedOp,
    FeedRevertOp,
    FeedRoundOp,
    MarketOp,
    PriceOrAnswer,
    SequencerOp,
    check_references,
)
from protocol_model.scenario.params import AssetSpec, PoolSpec, RateSpec
from protocol_model.scenario.path import Check, KeeperSpec, PathPoint
from protocol_model.scenario.protocol import ProtocolFile, ReferringFile, referred_protocol

__all__ = ["AssetSpec", "PoolSpec", "RateSpec", "Scenario", "ScenarioError", "StoryFile", "load_scenario",
           "parse_scenario", "to_units"]

MAX = "max"


class AccountSpec(Strict):
    """A story account: ``name`` (lower-case, up to 16 characters), the whole tokens minted to it at the start
    (``balances``) and its opening position (``supplies``, then ``borrows``), all by asset name."""
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    balances: dict[str, Decimal] = Field(default_factory=dict)
    """Whole tokens minted to the account at the start, by asset name."""
    supplies: dict[str, Decimal] = Field(default_factory=dict)
    """Opening position: whole tokens supplied at deployment (after every account is funded)."""
    borrows: dict[str, Decimal] = Field(default_factory=dict)
    """Opening position: whole tokens borrowed at deployment (after every opening supply)."""


Amount = Union[Decimal, Literal["max"]]


class _Op(Strict):
    expect: str = "ok"
    """'ok' or the name of the error the call must revert with."""


class SupplyOp(_Op):
    """``supply``: ``LendingPool.supply`` by ``account`` of ``amount`` whole tokens of ``asset`` (> 0, converted
    exactly to token units), credited to ``on_behalf`` (default: the account). ``expect`` is ``ok`` or the pool error
    name the step must revert with."""
    op: Literal["supply"]
    account: str
    asset: str
    amount: Decimal = Field(gt=0)
    on_behalf: str | None = None


class WithdrawOp(_Op):
    """``withdraw``: ``LendingPool.withdraw`` by ``account`` of ``amount`` whole tokens of ``asset`` (converted
    exactly to token units), or ``max`` (UINT256_MAX: the whole supply), to itself; with ``on_behalf`` (another
    account) ``withdrawOnBehalf``: ``on_behalf``'s supply, by its operator. ``expect`` is ``ok`` or the pool
    error name the step must revert with."""
    op: Literal["withdraw"]
    account: str
    asset: str
    amount: Amount
    on_behalf: str | None = None


class BorrowOp(_Op):
    """``borrow``: ``LendingPool.borrow`` by ``account`` of ``amount`` whole tokens of ``asset`` (> 0, converted
    exactly to token units), sent to itself; with ``on_behalf`` (another account) ``borrowOnBehalf``: the debt is
    ``on_behalf``'s, by its operator. ``expect`` is ``ok`` or the pool error name the step must revert with."""
    op: Literal["borrow"]
    account: str
    asset: str
    amount: Decimal = Field(gt=0)
    on_behalf: str | None = None


class DelegateOp(_Op):
    """``delegate``: ``LendingPool.setAuthorization(operator, enabled)`` by ``account``: ``operator`` may (or no
    longer may) borrow and withdraw on the account's behalf. ``expect`` is ``ok`` or the pool error name."""
    op: Literal["delegate"]
    account: str
    operator: str
    enabled: bool = True


class UseAsCollateralOp(_Op):
    """``use_as_collateral``: ``LendingPool.setUseAsCollateral(asset, enabled)`` by ``account``: its own supply of
    ``asset`` counts as collateral (``enabled``; needs a supply, else NoSupplyBalance) or stops counting (with debt:
    HealthFactorTooLow unless the account stays at HF >= 1). ``expect`` is ``ok`` or the pool error name."""
    op: Literal["use_as_collateral"]
    account: str
    asset: str
    enabled: bool = True


class RepayOp(_Op):
    """``repay``: ``LendingPool.repay`` by ``account`` of ``amount`` whole tokens of ``asset`` (converted exactly to
    token units), or ``max`` (UINT256_MAX, capped at the debt), of ``on_behalf``'s debt (default: the account's own).
    ``expect`` is ``ok`` or the pool error name the step must revert with."""
    op: Literal["repay"]
    account: str
    asset: str
    amount: Amount
    on_behalf: str | None = None


class LiquidateOp(_Op):
    """``liquidate``: ``LendingPool.liquidate`` by ``account`` of ``borrower``: repays up to ``amount`` whole tokens
    of ``debt`` (or ``max``: UINT256_MAX, capped by the close factor) and seizes ``collateral``. ``expect`` is ``ok``
    or the pool error name the step must revert with."""
    op: Literal["liquidate"]
    account: str
    borrower: str
    collateral: str
    debt: str
    amount: Amount


class PriceOp(_Op, PriceOrAnswer):
    """``price``: a new round on ``asset``'s primary feed at ``price_usd`` (8-decimal answer, rounded to the nearest
    unit) or at the raw ``answer``, which also becomes the market price. ``expect`` is ``ok`` or the pool error name
    the step must revert with."""
    op: Literal["price"]
    asset: str


class WarpOp(_Op):
    """``warp``: the chain's clock moves forward ``seconds`` (1 s to 10 years); interest accrues on the next call
    that touches the pool. ``expect`` is ``ok`` or the pool error name the step must revert with."""
    op: Literal["warp"]
    seconds: int = Field(gt=0, le=10 * 365 * 86_400)


class AccrueOp(_Op):
    """``accrue``: ``LendingPool.accrueAll`` by ``account``: every listed asset accrues interest up to the step's
    block time (anyone may call it). ``expect`` is ``ok`` or the pool error name the step must revert with."""
    op: Literal["accrue"]
    account: str


class DonateOp(_Op):
    """``donate``: ``account`` sends ``amount`` whole tokens of ``asset`` (> 0, converted exactly to token units) to
    the pool with a plain ERC-20 ``transfer``, not through ``supply``: cash no supplier claims, which the pool lends
    all the same (the empty-market attack: docs/SPEC.md §3.3). ``expect`` is ``ok`` or the error name the step must
    revert with (``ERC20InsufficientBalance``)."""
    op: Literal["donate"]
    account: str
    asset: str
    amount: Decimal = Field(gt=0)


class PauseOp(_Op):
    """``pause``: ``LendingPool.setPause(supply, borrow)`` by the guardian. ``expect`` is ``ok`` or the pool error
    name the step must revert with."""
    op: Literal["pause"]
    supply: bool
    borrow: bool


from protocol_model.scenario.amm import AMM_STEP_TYPES, PairSpec, check_amm_references  # noqa: E402  (AMM and loop steps)

Step = Annotated[Union[SupplyOp, WithdrawOp, BorrowOp, RepayOp, LiquidateOp, PriceOp, WarpOp, PauseOp, AccrueOp,  # noqa: UP007
                       DelegateOp, UseAsCollateralOp, DonateOp,
                       FeedOp, FeedRoundOp, FeedRevertOp, SequencerOp, MarketOp, AMM_STEP_TYPES],
                 Field(discriminator="op")]


class _StoryBody(Strict):
    """What a story adds to a protocol: accounts, steps, a price path with a keeper and checks, AMM pairs."""

    name: str
    description: str = ""
    accounts: list[AccountSpec] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)
    path: list[PathPoint] = Field(default_factory=list)
    """Price path walked by ``ape run play`` (after the steps), with the keeper liquidating."""
    keeper: KeeperSpec | None = None
    checks: list[Check] = Field(default_factory=list)
    amm_pairs: list[PairSpec] = Field(default_factory=list)
    """Uniswap V2 pairs deployed with the pool (initial reserves from the deployer); see scenario/amm.py."""

    @field_validator("accounts")
    @classmethod
    def _unique_accounts(cls, v: list[AccountSpec]) -> list[AccountSpec]:
        seen: dict[str, int] = {}
        for i, acct in enumerate(v):
            if acct.name in seen:
                raise ValueError(f"two accounts are named '{acct.name}' (accounts.{seen[acct.name]} and "
                                 f"accounts.{i}): names must be unique")
            seen[acct.name] = i
        return v


class StoryFile(_StoryBody, ReferringFile):
    """A story file as written: a protocol reference, which of its assets to list, overrides, the story."""

    kind: Literal["story"]
    assets: list[str] | None = None
    """Which of the protocol's assets the pool lists, in this order (default: all, in the protocol's order)."""


class Scenario(_StoryBody):
    """A story resolved against its protocol: the pool and every listed asset in full."""

    pool: PoolSpec = PoolSpec()
    assets: list[AssetSpec] = Field(min_length=1)

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
                self.asset(asset).units(amount, f"accounts.{i}.balances.{asset}")
        for i, step in enumerate(self.steps):
            for fld in ("asset", "collateral", "debt"):
                val = getattr(step, fld, None)
                if val is not None and val not in assets:
                    raise ValueError(f"steps.{i}.{fld}: unknown asset '{val}' (known: {sorted(assets)})")
            for fld in ("account", "borrower", "on_behalf") + (("operator",) if step.op == "delegate" else ()):
                val = getattr(step, fld, None)
                if val is not None and val not in accounts:
                    raise ValueError(f"steps.{i}.{fld}: unknown account '{val}' (known: {sorted(accounts)})")
            step_amount = getattr(step, "amount", None)
            if isinstance(step_amount, Decimal):
                asset_name = getattr(step, "asset", None) or getattr(step, "debt", "")
                self.asset(str(asset_name)).units(step_amount, f"steps.{i}.amount ({asset_name})")
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
                    self.asset(asset).units(amount, f"accounts.{i}.{book}.{asset}")
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
        """The AMM pair named ``name`` (``amm_pairs``). Raises KeyError for an unknown name."""
        for p in self.amm_pairs:
            if p.name == name:
                return p
        raise KeyError(name)

    def asset(self, name: str) -> AssetSpec:
        """The asset named ``name`` (its listing and token spec). Raises KeyError for an unknown name."""
        for a in self.assets:
            if a.name == name:
                return a
        raise KeyError(name)


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate a story: a story file's contents (``kind: story``, resolved against its protocol, a
    relative protocol path taken from ``source``) or the resolved form (pool and assets in full, as
    ``Scenario.model_dump`` writes it). Raises ScenarioError naming the source, the field and the rule."""
    if "protocol" in data or "kind" in data:
        return resolve_story(data, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_error(err, source)) from None


def scenario_on(protocol: ProtocolFile, story: dict, assets: list[str] | None = None,
                source: str = "scenario") -> Scenario:
    """A story (accounts, steps, ... as data) on ``protocol``'s pool and the named assets (default: all)."""
    data = {k: v for k, v in story.items() if k not in ("kind", "protocol", "overrides", "assets")}
    data["pool"] = protocol.pool
    data["assets"] = protocol.asset_specs(assets, source)
    return parse_scenario(data, source)


def resolve_story(data: dict, source: str | Path) -> Scenario:
    """A story file's contents resolved against its protocol (overrides applied), validated.

    Raises ScenarioError naming the file, the field path and the rule.
    """
    try:
        StoryFile.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_error(err, str(source))) from None
    return scenario_on(referred_protocol(data, source), data, data.get("assets"), str(source))


def load_scenario(path: str | Path) -> Scenario:
    """Read a story file (``kind: story``) and resolve it; ``ScenarioError`` names the file, field and rule
    (a file of another kind: which command takes it)."""
    _, data = read_kind(path, "story")
    return resolve_story(data, path)
