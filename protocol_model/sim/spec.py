"""Simulation (``kind: simulation``) and sweep (``kind: sweep``) files, validated by pydantic.

A simulation names its protocol (``protocol:``, with optional ``overrides:``) and gives each asset it
simulates a market model (``assets: {WETH: {driver: ..., amm_depth_usd: ...}}``, in the order of the
correlation matrix); the risk parameters come from the protocol only. ``SimulationSpec`` is the resolved
form. A bad file gets one ``LabSpecError`` (= ``ScenarioError``) naming the file, the field and the rule.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Annotated, Literal, TypedDict, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol_model.scenario.base import ScenarioError, Strict, format_error, unknown_key
from protocol_model.scenario.kinds import read_kind
from protocol_model.scenario.params import AssetSpec, PoolSpec
from protocol_model.scenario.protocol import ReferringFile, referred_protocol
from protocol_model.scenario.units import Bps
from protocol_model.sim.books import check_weights
from protocol_model.sim.config import AssetRisk, CascadeParams, Liquidators, OracleLag
from protocol_model.sim.liquidation_rules import RuleName
from protocol_model.sim.paths import Bridge, Gbm, Historical, JumpDiffusion, MarketModel
from protocol_model.sim.preset_assets import lab_assets
from protocol_model.sim.stable import stable_market

LabSpecError = ScenarioError
"""A simulation or sweep file is invalid (the one file error type)."""




class LabStrict(Strict):
    """A lab file's model: :class:`~protocol_model.scenario.base.Strict`, and every number must be finite (a NaN
    or an infinity is refused naming the field, "Input should be a finite number", before any work; pydantic
    would otherwise let NaN through ``ge``/``le`` bounds or report it as out of range)."""

    model_config = ConfigDict(allow_inf_nan=False)


class GbmSpec(LabStrict):
    """``driver: {kind: gbm}``: geometric Brownian motion, d ln S = (μ − σ²/2) dt + σ dW, with annualised
    ``sigma_annual`` (0..20) and ``drift_annual`` μ (−10..10), per year of 365 days."""
    kind: Literal["gbm"]
    sigma_annual: float = Field(default=0.0, ge=0, le=20)
    drift_annual: float = Field(default=0.0, ge=-10, le=10)

    def driver(self, vol_scale: float = 1.0):
        """The path driver ``paths.Gbm``; ``vol_scale`` (a sweep's ``volatility_scale`` axis) multiplies the
        volatility. Raises nothing."""
        return Gbm(self.sigma_annual * vol_scale, self.drift_annual)


class JumpSpec(LabStrict):
    """``driver: {kind: jump}``: Merton (1976) jump diffusion, GBM (annual ``sigma_annual``, ``drift_annual``) plus
    Poisson jumps at ``jumps_per_year`` with normal log sizes N(``jump_mean_log``, ``jump_std_log``²)."""
    kind: Literal["jump"]
    sigma_annual: float = Field(ge=0, le=20)
    jumps_per_year: float = Field(ge=0, le=10_000)
    jump_mean_log: float = Field(ge=-20, le=20)
    jump_std_log: float = Field(ge=0, le=20)
    drift_annual: float = Field(default=0.0, ge=-10, le=10)

    def driver(self, vol_scale: float = 1.0):
        """The path driver ``paths.JumpDiffusion``; ``vol_scale`` (a sweep's ``volatility_scale`` axis) multiplies
        the volatility: the diffusion's and the jump sizes' dispersion alike. Raises nothing."""
        return JumpDiffusion(self.sigma_annual * vol_scale, self.jumps_per_year, self.jump_mean_log,
                             self.jump_std_log * vol_scale, self.drift_annual)


class BridgeSpec(LabStrict):
    """``driver: {kind: bridge}``: a log-Brownian bridge with annual ``sigma_annual`` through ``pins`` (step, price
    relative to the start), driftless GBM after the last pin. Raises ValueError (a ScenarioError naming the field)
    unless the pin steps are increasing, distinct and ≥ 1 and the prices > 0."""
    kind: Literal["bridge"]
    sigma_annual: float = Field(default=0.0, ge=0, le=20)
    pins: list[tuple[int, float]] = Field(min_length=1)
    """(step, price relative to the start), e.g. [[3, 0.87], [10, 1.0]]"""

    @model_validator(mode="after")
    def _pins(self) -> BridgeSpec:
        Bridge(self.sigma_annual, tuple(self.pins))
        return self

    def driver(self, vol_scale: float = 1.0):
        """The path driver ``paths.Bridge``; ``vol_scale`` (a sweep's ``volatility_scale`` axis) multiplies the
        volatility. Raises nothing (the pins were checked on validation)."""
        return Bridge(self.sigma_annual * vol_scale, tuple(self.pins))


class HistoricalSpec(LabStrict):
    """``driver: {kind: historical}``: a stylised historical ``episode``'s ``series`` (``history.EPISODES``) plus
    optional GBM noise of annual ``noise_sigma_annual``. Raises ValueError (a ScenarioError naming the field) for an
    unknown episode/series."""
    kind: Literal["historical"]
    episode: str
    series: str
    noise_sigma_annual: float = Field(default=0.0, ge=0, le=20)

    @model_validator(mode="after")
    def _known(self) -> HistoricalSpec:
        from protocol_model.sim.history import EPISODES

        if self.series not in EPISODES.get(self.episode, {}):
            raise ValueError(f"unknown episode/series '{self.episode}/{self.series}' "
                             f"(known: {', '.join(f'{e}/{s}' for e in EPISODES for s in EPISODES[e])})")
        return self

    def driver(self, vol_scale: float = 1.0):
        """The path driver ``paths.Historical``; ``vol_scale`` (a sweep's ``volatility_scale`` axis) multiplies the
        volatility: the noise's only. Raises nothing."""
        return Historical(self.episode, self.series, self.noise_sigma_annual * vol_scale)


DriverSpec = Annotated[GbmSpec | JumpSpec | BridgeSpec | HistoricalSpec, Field(discriminator="kind")]


class RedemptionSpec(LabStrict):
    """Issuer redemption at par of a stablecoin (``protocol_model.sim.stable.Redemption``)."""

    delay_days: float = Field(1.0, ge=0, le=365)
    fee_bps: int = Field(10, ge=0, le=10_000)
    minimum_usd: float = Field(100_000.0, ge=0)
    daily_capacity_usd: float = Field(gt=0, allow_inf_nan=False)
    wait_cost_bps_per_day: float = Field(50.0, ge=0, le=10_000)
    depth_usd: float | None = Field(None, gt=0)
    """market depth the arbitrage buys in (default: the asset's amm_depth_usd)"""
    closed_steps: list[tuple[int, int]] = Field(default_factory=list)
    """[start, end) step windows in which the issuer processes nothing"""

    @model_validator(mode="after")
    def _windows(self) -> RedemptionSpec:
        for i, (a, b) in enumerate(self.closed_steps):
            if not 0 <= a < b:
                raise ValueError(f"closed_steps.{i}: window [{a}, {b}) must have 0 <= start < end")
        return self


class WrongWaySpec(LabStrict):
    """The coin weakens by ``beta`` × another asset's rise (or fall) since step 0."""

    asset: str
    beta: float = Field(ge=0, le=100)
    when: Literal["rise", "fall"] = "rise"

M = TypeVar("M", bound=BaseModel)
"""A file model loaded by ``load_with_simulation``."""


class AssetOverrides(TypedDict, total=False):
    """Per-asset parameters a sweep cell replaces (``sweep.PER_ASSET``)."""

    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int
    amm_depth_usd: float


class LabMarket(LabStrict):
    """How the lab simulates one asset's market (the asset's parameters come from the protocol)."""

    amm_depth_usd: float | None = Field(default=None, gt=0)
    """USD per side of the constant-product pool liquidators sell into; omitted = no price impact"""
    reserves_tokens: float = Field(default=0.0, ge=0)
    """protocol reserves of this asset at step 0 (whole tokens); absorb bad debt before suppliers"""
    start_utilization_bps: Bps = Field(default=5_000, alias="start_utilization", gt=0, le=10_000)
    """with ``interest: true``: the asset's utilization at step 0 — suppliers deposit debt / this − the book's
    collateral in the asset (never below 0)"""
    driver: DriverSpec = GbmSpec(kind="gbm")
    """the price process"""
    redemption: RedemptionSpec | None = None
    """a stablecoin's issuer redemption (docs/stablecoin_quality.md)"""
    wrong_way: WrongWaySpec | None = None
    """the coin weakens as another asset moves"""

    @model_validator(mode="after")
    def _redemption_depth(self) -> LabMarket:
        if self.redemption is not None and self.redemption.depth_usd is None and self.amm_depth_usd is None:
            raise ValueError("redemption.depth_usd: needed when the asset has no amm_depth_usd")
        return self


class LabAsset(AssetSpec, LabMarket):
    """A simulated asset: the protocol's parameters (``AssetSpec``) and its market model (``LabMarket``)."""

    def risk(self, override: AssetOverrides | None = None) -> AssetRisk:
        """The cascade's parameters of this asset, with a sweep cell's ``override`` applied."""
        o: AssetOverrides = override or {}
        risk = {k: int(v) for k, v in dict(o).items() if k != "amm_depth_usd" and isinstance(v, (int, float))}
        return AssetRisk.from_spec(self, o.get("amm_depth_usd", self.amm_depth_usd or math.inf),
                                   self.reserves_tokens, self.start_utilization_bps, **risk)


class SyntheticBook(LabStrict):
    """``book: {synthetic: ...}``: the parameters of ``books.synthetic_book``: ``positions`` (1..10^6) borrowing
    ``debt_asset`` against collateral drawn by ``collateral_weights``; lognormal USD size (``size_median_usd``,
    ``size_sigma_log``); borrowed share u × LTV with u ~ Beta(``utilization_beta``); a ``loop_share`` of leverage
    loops at ``loop_leverage``× equity; a ``multi_collateral_share`` of cross-collateral accounts holding
    ``collaterals_per_position`` collaterals and borrowing ``multi_debt_weights`` (default ``debt_asset``)."""
    positions: int = Field(ge=1, le=1_000_000)
    debt_asset: str
    collateral_weights: dict[str, float]
    size_median_usd: float = Field(default=20_000.0, gt=0)
    size_sigma_log: float = Field(default=1.0, ge=0, le=5)
    utilization_beta: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] = (4.0, 2.0)
    """the Beta distribution's two shape parameters a, b (each > 0) of the borrowed share u"""
    loop_share: float = Field(default=0.0, ge=0, le=1)
    loop_leverage: float = Field(default=4.0, ge=1, le=100)
    multi_collateral_share: float = Field(default=0.0, ge=0, le=1)
    """share of positions that are cross-collateral accounts (several collaterals, and debts)"""
    collaterals_per_position: int = Field(default=2, ge=1, le=20)
    """distinct collaterals of each cross-collateral account"""
    multi_debt_weights: dict[str, float] | None = None
    """debt assets of the cross-collateral accounts and their weights (default: ``debt_asset`` alone)"""


class BookSpec(LabStrict):
    """The simulation's positions: exactly one of ``synthetic`` (a drawn population, ``SyntheticBook``),
    ``scenario`` (a story file whose positions after its steps, played in the exact model, are imported) or
    ``file`` (a book file, e.g. a deployment's positions from ``protocol-model import --book-out``). Raises
    ValueError (a ScenarioError) when several or none are given."""
    synthetic: SyntheticBook | None = None
    scenario: str | None = None
    """a scenario file (protocol_model.scenario.story): positions after its steps, played in the exact model"""
    file: str | None = None
    """a book file (CSV: position,collateral,debt,collateral_tokens,debt_tokens; whole tokens), relative to this
    file"""

    @model_validator(mode="after")
    def _one(self) -> BookSpec:
        if [self.synthetic, self.scenario, self.file].count(None) != 2:
            raise ValueError("give exactly one of 'synthetic', 'scenario' or 'file'")
        return self


class LiquidatorsSpec(LabStrict):
    """``liquidators:``: the keepers' economics (``config.Liquidators``). A liquidation is made only if the
    keeper's expected profit at the oracle prices, net of ``gas_usd``, is at least ``min_profit_usd``, and
    within its ``capital_usd`` per step (omitted: unlimited)."""

    gas_usd: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    """gas cost of one liquidation, USD"""
    min_profit_usd: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    """the least profit (after gas) a keeper liquidates for, USD"""
    capital_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """debt a keeper can repay per step, USD (omitted: unlimited)"""
    redeem: list[str] = []
    """assets (stablecoins) whose seized collateral keepers redeem at par ($1) instead of selling into the AMM"""

    def rules(self) -> Liquidators:
        """The engine's ``config.Liquidators``."""
        return Liquidators(self.gas_usd, self.min_profit_usd,
                           math.inf if self.capital_usd is None else self.capital_usd, tuple(self.redeem))


class _SimulationBody(LabStrict):
    name: str
    description: str = ""
    seed: int = Field(ge=0)
    """seed of the book and of every path (common random numbers across runs)"""
    paths: int = Field(ge=1, le=10_000_000)
    steps: int = Field(ge=1, le=100_000)
    step_seconds: float = Field(default=86_400.0, gt=0)
    paths_per_chunk: int = Field(default=500, ge=1)
    oracle: dict[str, int] = Field(default_factory=dict)
    """delay_steps, deviation_bps, heartbeat_steps (see OracleLag)"""
    arb_recovery: float = Field(default=0.5, ge=0, le=1)
    """fraction of an AMM's log price dislocation that arbitrage removes per step"""
    liquidators: LiquidatorsSpec = LiquidatorsSpec()
    """the keepers' gas, minimum profit and capital (default: every position below HF 1 is liquidated)"""
    interest: bool = False
    """accrue interest along the paths from each asset's ``rate`` curve and reserve factor (``sim.interest``)"""
    correlation: list[list[float]] | None = None
    """correlation of the assets' price shocks, in the order of ``assets``"""
    book: BookSpec


class SimulationFile(_SimulationBody, ReferringFile):
    """A simulation file as written: a protocol reference, overrides, a market model per asset, a book."""

    kind: Literal["simulation"]
    assets: dict[str, LabMarket] = Field(min_length=1)
    """The simulated assets (protocol asset names) and their market models, in the correlation's order."""


class SimulationSpec(_SimulationBody):
    """A simulation resolved against its protocol: the pool and each simulated asset in full."""

    pool: PoolSpec = PoolSpec()
    assets: list[LabAsset] = Field(min_length=1)
    rules: RuleName = "generic"
    """the protocol's rule set: which liquidation rule the lab applies (``sim.liquidation_rules``)"""

    @model_validator(mode="after")
    def _consistent(self) -> SimulationSpec:
        names = [a.name for a in self.assets]
        if len(set(names)) != len(names):
            raise ValueError(f"assets: names repeat: {names}")
        known = [f.name for f in dataclasses.fields(OracleLag)]
        for key in self.oracle:
            if key not in known:
                raise ValueError(f"oracle: {unknown_key(key, known)}")
        try:
            OracleLag(**self.oracle)
        except ValueError as err:
            raise ValueError(f"oracle: {err}") from None
        for a in self.assets:
            pins = getattr(a.driver, "pins", [])
            for i, (step, _) in enumerate(pins):
                if step > self.steps:
                    raise ValueError(f"assets.{a.name}.driver.pins.{i}: step {step} is past the run's last step "
                                     f"(steps: {self.steps}); a pin must lie within the run")
        try:
            self.market()
        except ValueError as err:
            raise ValueError(str(err)) from None
        syn = self.book.synthetic
        if syn is not None:
            if syn.debt_asset not in names:
                raise ValueError(f"book.synthetic.debt_asset: unknown asset '{syn.debt_asset}' (known: {names})")
            for field_name in ("collateral_weights", "multi_debt_weights"):
                for k in getattr(syn, field_name) or {}:
                    if k not in names:
                        raise ValueError(f"book.synthetic.{field_name}: unknown asset '{k}' (known: {names})")
            try:
                check_weights(names, syn.debt_asset, syn.collateral_weights, syn.multi_debt_weights)
            except ValueError as err:
                raise ValueError(f"book.synthetic.{err}") from None
        for k in self.liquidators.redeem:
            if k not in names:
                raise ValueError(f"liquidators.redeem: unknown asset '{k}' (known: {names})")
        return self

    def params(self, asset_overrides: dict[str, AssetOverrides] | None = None, *, close_factor_bps: int | None = None,
               oracle: OracleLag | None = None) -> CascadeParams:
        """The cascade's parameters; a sweep cell overrides per-asset values, the close factor or the oracle."""
        over = asset_overrides or {}
        cf = self.pool.close_factor_bps if close_factor_bps is None else close_factor_bps
        return CascadeParams(tuple(a.risk(over.get(a.name)) for a in self.assets), close_factor_bps=cf,
                             full_close_hf_bps=self.pool.full_close_hf_bps,
                             oracle=OracleLag(**self.oracle) if oracle is None else oracle,
                             arb_recovery=self.arb_recovery, liquidators=self.liquidators.rules(),
                             interest=self.interest, step_seconds=self.step_seconds, rules=self.rules)

    def market(self, vol_scale: float = 1.0) -> MarketModel:
        """The lab's ``paths.MarketModel``: one driver per asset (in ``assets`` order), the correlation of their
        shocks and ``step_seconds``; wrapped by ``stable.stable_market`` when an asset has a redemption or wrong-way
        model. ``vol_scale`` (a sweep's ``volatility_scale`` axis) multiplies the volatility. Raises ValueError for a
        correlation that is not a symmetric unit-diagonal positive-definite matrix."""
        corr = tuple(map(tuple, self.correlation)) if self.correlation is not None else None
        base = MarketModel(tuple(a.driver.driver(vol_scale) for a in self.assets), corr, self.step_seconds)
        if any(a.redemption is not None or a.wrong_way is not None for a in self.assets):
            return stable_market(base, self.assets)
        return base

    def book_rng(self) -> np.random.Generator:
        """The book's random generator: ``default_rng(SeedSequence(seed).spawn(2)[0])``, the first child of the seed
        (the paths use the second), so the book never shares draws with the paths. Raises nothing."""
        return np.random.default_rng(np.random.SeedSequence(self.seed).spawn(2)[0])


class Axis(Strict):
    """One sweep axis: the ``parameter`` varied (bps parameters in bps, ``amm_depth_usd`` in USD per side,
    ``volatility_scale`` a factor, ``oracle_delay_steps`` in steps), its 1..50 ``values``, and the ``assets`` a
    per-asset parameter applies to (default: every collateral asset of the book). Not a ``LabStrict``: its own
    check refuses a non-finite value naming the parameter and its range (``AXIS_RANGES``)."""
    parameter: Literal["liquidation_threshold_bps", "ltv_bps", "liquidation_bonus_bps", "close_factor_bps",
                       "volatility_scale", "amm_depth_usd", "oracle_delay_steps"]
    values: list[float] = Field(min_length=1, max_length=50)
    assets: list[str] | None = None
    """assets the per-asset parameters apply to (default: every collateral asset of the book)"""

    @model_validator(mode="after")
    def _values_in_range(self) -> Axis:
        whole, low, high = AXIS_RANGES[self.parameter]
        for i, v in enumerate(self.values):
            if not (math.isfinite(v) and low <= v <= high and (not whole or v == int(v))):
                raise ValueError(f"values.{i}: {v:g} is not a valid {self.parameter} (a "
                                 f"{'whole number' if whole else 'number'} from {low:g} to {high:g})")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"values: {self.values} repeat a value (each cell would run twice)")
        return self


AXIS_RANGES: dict[str, tuple[bool, float, float]] = {
    "liquidation_threshold_bps": (True, 0, 10_000), "ltv_bps": (True, 0, 10_000),
    "liquidation_bonus_bps": (True, 0, 10_000), "close_factor_bps": (True, 1, 10_000),
    "volatility_scale": (False, 0, 1_000), "amm_depth_usd": (False, 1e-9, 1e18),
    "oracle_delay_steps": (True, 0, 100_000)}
"""Per sweep parameter: (whole numbers only, lowest, highest) value an axis may take; the finer rules between
parameters (LTV below the threshold, the bonus within the threshold) are checked per cell before any work."""


class SweepSpec(LabStrict):
    """A parameter sweep: one or two axes over a base simulation, every cell on the same seed."""

    kind: Literal["sweep"]
    name: str
    description: str = ""
    simulation: str
    """the base simulation file (relative to the sweep file)"""
    paths: int | None = Field(default=None, ge=1)
    """override the base file's path count for every cell"""
    axes: list[Axis] = Field(min_length=1, max_length=2)
    fan_chart_paths: int = Field(default=200, ge=0, le=100_000)
    book: Literal["fixed", "rebuilt"] = "fixed"
    """``fixed``: every cell runs the base simulation's book (today's borrowers after a parameter change);
    ``rebuilt``: each cell draws its book at the cell's parameters (a new market at those parameters: a
    synthetic book borrows against the cell's LTV). Printed in every report."""


def parse_simulation(data: dict, source: str = "simulation", base_dir: Path | None = None) -> SimulationSpec:
    """Validate a resolved simulation (pool and assets in full); a book scenario or file is found from
    ``base_dir``."""
    try:
        spec = SimulationSpec.model_validate(data)
    except ValidationError as err:
        raise LabSpecError(format_error(err, source)) from None
    for key in ("scenario", "file"):
        name = getattr(spec.book, key)
        if name is not None and base_dir is not None:
            found = base_dir / name
            if not found.is_file():
                raise LabSpecError(f"{source}: book.{key}: no such file '{name}'")
            spec = spec.model_copy(update={"book": BookSpec.model_validate({key: str(found)})})
    return spec


def resolve_simulation(data: dict, source: str | Path) -> SimulationSpec:
    """A simulation file's contents resolved against its protocol (overrides applied), validated."""
    source = Path(source)
    try:
        SimulationFile.model_validate(data)
    except ValidationError as err:
        raise LabSpecError(format_error(err, str(source))) from None
    protocol = referred_protocol(data, source)
    assets, pool = lab_assets(protocol, data, str(source))
    resolved = {k: v for k, v in data.items() if k not in ("kind", "protocol", "overrides", "assets")}
    resolved["pool"], resolved["rules"] = pool, protocol.rules
    resolved["assets"] = [{**a.model_dump(), **(data["assets"][a.name] or {})} for a in assets]
    return parse_simulation(resolved, str(source), source.parent)


def load_simulation(path: str | Path) -> SimulationSpec:
    """Read a simulation file (``kind: simulation``) and resolve it against its protocol."""
    _, data = read_kind(path, "simulation")
    return resolve_simulation(data, path)


def load_with_simulation(path: str | Path, kind: str, model: type[M]) -> tuple[M, SimulationSpec]:
    """Read a file of ``kind`` validated by ``model`` (which has a ``simulation`` field) and the simulation
    file it names, relative to it. Raises ``LabSpecError`` (file, field, rule) for bad fields or a missing
    simulation file, and as :func:`load_simulation`."""
    path = Path(path)
    _, data = read_kind(path, kind)
    try:
        spec = model.model_validate(data)
    except ValidationError as err:
        raise LabSpecError(format_error(err, str(path))) from None
    name = str(spec.model_dump()["simulation"])
    base = path.parent / name
    if not base.is_file():
        raise LabSpecError(f"{path}: simulation: no such file '{name}'")
    return spec, load_simulation(base)


def load_sweep(path: str | Path) -> tuple[SweepSpec, SimulationSpec]:
    """Read a sweep file (``kind: sweep``) and the simulation it names (relative to the sweep file)."""
    path = Path(path)
    sweep, sim = load_with_simulation(path, "sweep", SweepSpec)
    names = [a.name for a in sim.assets]
    for i, axis in enumerate(sweep.axes):
        for a in axis.assets or []:
            if a not in names:
                raise LabSpecError(f"{path}: axes.{i}.assets: unknown asset '{a}' (known: {names})")
    return sweep, sim
