"""'Same 3×, different fragility' (seed 000) on the risk lab's Monte Carlo.

Both positions are 3× short one volatile asset (VOL), on the *same* lab price paths
(``protocol_model.sim.paths``: GBM for VOL, jump diffusion for the bridged stablecoin):

* **perp**: a short-dated perp on a well-run venue, margined in a par stablecoin and marked by the lab's
  oracle price of VOL; maintenance 5%, liquidated whole when equity < maintenance × notional, paying a 1%
  penalty and 5 bps slippage on the notional; otherwise closed at the horizon paying the slippage.
* **loop**: a lending-pool position in the lab's cascade engine (``protocol_model.sim.cascade``, the
  pool's own liquidation rules): collateral in a *bridged* stablecoin (BSTABLE), VOL borrowed and sold
  into more collateral until the debt is 3× the capital (4 legs costing 0.5% each). BSTABLE suffers
  bridge events (Poisson, 0.2%/day, log-normal losses around 30%) and its liquidators sell seized
  collateral into a thin constant-product pool, whose price the oracle then reads (a one-position
  cascade). At the horizon the borrower buys back the debt with 3% slippage.

Losses are fractions of the posted capital (1 = everything). The chunks and their seeds are the lab's
(``Job.chunks``): results are identical on one process or many. docs/perp_margin.md quotes the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from protocol_model.sim.books import Book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import AssetRisk, CascadeParams
from protocol_model.sim.metrics import LEVELS, var_cvar
from protocol_model.sim.parallel import map_chunks
from protocol_model.sim.paths import Gbm, JumpDiffusion, MarketModel
from protocol_model.sim.run import Job

VOL, BSTABLE = 0, 1
VOL_PRICE_USD = 2_000.0


@dataclass(frozen=True)
class FragilityParams:
    """The two 3× short structures of seed 000 and the lab run that compares them (docs/perp_margin.md).

    Fractions are of notional or capital; bps as in the pool; ``capital_usd`` in USD.
    Raises ``ValueError`` unless leverage > 1, days > 0, paths > 0, daily_vol ≥ 0, the bridge loss median is
    within [0, 1), the bridge event rate is ≥ 0 and the pool would lend the loop's debt (debt ÷ collateral
    ≤ ``loop_ltv_bps``).
    """

    leverage: float = 3.0
    days: int = 30
    daily_vol: float = 0.04
    seed: int = 8
    paths: int = 20_000
    paths_per_chunk: int = 2_000
    capital_usd: float = 1_000_000.0
    perp_maintenance: float = 0.05
    perp_penalty: float = 0.01
    perp_slippage: float = 0.0005
    loop_ltv_bps: int = 8_000
    loop_threshold_bps: int = 8_500
    loop_bonus_bps: int = 800
    loop_close_factor_bps: int = 5_000
    loop_slippage: float = 0.03
    loop_entry_cost_per_leg: float = 0.005
    loop_legs: int = 4
    loop_pool_depth_usd: float = 20_000_000.0
    """USD per side of the bridged stablecoin's constant-product pool (the position holds ~3.9M)."""
    arb_recovery: float = 0.5
    bridge_events_per_year: float = 0.002 * 365
    bridge_loss_median: float = 0.30
    bridge_loss_log_std: float = 0.20

    def __post_init__(self) -> None:
        if self.leverage <= 1 or self.days <= 0 or self.paths <= 0 or self.daily_vol < 0:
            raise ValueError("leverage > 1, days > 0, paths > 0 and daily_vol >= 0 are required")
        if not 0 <= self.bridge_loss_median < 1 or self.bridge_events_per_year < 0:
            raise ValueError("bridge_loss_median must be within [0, 1) and bridge_events_per_year >= 0")
        if self.leverage / self.loop_collateral() > self.loop_ltv_bps / 10_000:
            raise ValueError(f"leverage ({self.leverage}) needs a debt/collateral ratio above loop_ltv_bps "
                             f"({self.loop_ltv_bps}): the pool would not lend it")

    def loop_collateral(self) -> float:
        """Collateral per unit of capital: capital plus the sold debt, less the legs' swap costs."""
        return (1 + self.leverage) * (1 - self.loop_entry_cost_per_leg * self.loop_legs)

    def market(self) -> MarketModel:
        """VOL as GBM (daily vol × √365 annual) and the bridged stablecoin as a driftless jump diffusion: Poisson
        bridge events with log-normal losses around ``bridge_loss_median``; daily steps.
        """
        vol = Gbm(self.daily_vol * math.sqrt(365))
        bridge = JumpDiffusion(0.0, self.bridge_events_per_year, math.log(1 - self.bridge_loss_median),
                               self.bridge_loss_log_std)
        return MarketModel((vol, bridge), step_seconds=86_400.0)

    def job(self) -> Job:
        """The lab job: VOL and the bridged stablecoin, one loop position borrowing VOL."""
        assets = (AssetRisk("VOL", VOL_PRICE_USD, 7_000, 7_500, 500),
                  AssetRisk("BSTABLE", 1.0, self.loop_ltv_bps, self.loop_threshold_bps, self.loop_bonus_bps,
                            amm_depth_usd=self.loop_pool_depth_usd))
        params = CascadeParams(assets, close_factor_bps=self.loop_close_factor_bps, arb_recovery=self.arb_recovery)
        book = Book.sorted([BSTABLE], [VOL], [self.loop_collateral() * self.capital_usd],
                           [self.leverage * self.capital_usd / VOL_PRICE_USD], ("loop",))
        return Job(params, self.market(), book, self.paths, self.days, self.seed, self.paths_per_chunk, True)


def _chunk(p: FragilityParams, job: Job, seed: np.random.SeedSequence, n: int) -> dict[str, np.ndarray]:
    out = run_cascade(job.params, job.book, job.market, np.random.default_rng(seed), n, job.n_steps,
                      record_series=True, record_events=True)
    vol_rel = out.series["oracle"][:, 1:, VOL] / VOL_PRICE_USD  # the price both positions are marked at
    L = p.leverage
    perp_eq = 1 - L * (vol_rel - 1)
    perp_liq = _first(perp_eq < p.perp_maintenance * L * vol_rel)
    perp_loss = _perp_loss(perp_eq, perp_liq, L * vol_rel, p)
    seized, repaid = np.zeros(n), np.zeros(n)
    for path, _step, _pos, rep, sez, _fee, bad in out.events:
        seized[path] += sez
        repaid[path] += rep + bad  # a seize-all writes the rest of the debt off
    coll = job.book.coll_tokens[0] - seized
    debt = np.maximum(job.book.debt_tokens[0] - repaid, 0.0)
    end = out.series["market"][:, -1]
    debt_usd = debt * end[:, VOL]
    left = coll * end[:, BSTABLE] - debt_usd * (1 + p.loop_slippage)
    loop_loss = 1 - np.clip(left / p.capital_usd, 0, None)
    return {"perp_loss": perp_loss, "loop_loss": loop_loss, "perp_liquidated": perp_liq >= 0,
            "loop_liquidated": out.per_path["liquidation_count"] > 0,
            "loop_bad_debt_usd": out.per_path["bad_debt_usd"]}


def simulate(p: FragilityParams = FragilityParams(), *, workers: int | None = 1) -> dict[str, np.ndarray]:
    """Per path: loss of capital (fraction) of the perp and of the loop, whether each was liquidated, and
    the pool's bad debt from the loop. Same paths for both; reproducible for a seed.

    Every array has shape (paths,); losses are fractions of capital, bad debt USD.
    """
    job = p.job()
    parts = map_chunks(_chunk, [(p, *c) for c in job.chunks()], workers=workers)
    return {k: np.concatenate([x[k] for x in parts]) for k in parts[0]}


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True per row, -1 if none."""
    return np.where(mask.any(axis=1), mask.argmax(axis=1), -1)


def _perp_loss(equity: np.ndarray, liq_day: np.ndarray, notional: np.ndarray, p: FragilityParams) -> np.ndarray:
    """1 − what is left: at liquidation the equity less penalty and slippage on the notional (floored at 0;
    the venue's insurance fund takes the rest); otherwise the equity at the horizon less the slippage."""
    rows = np.arange(equity.shape[0])
    day = np.where(liq_day >= 0, liq_day, equity.shape[1] - 1)
    eq, notion = equity[rows, day], notional[rows, day]
    cost = np.where(liq_day >= 0, p.perp_penalty + p.perp_slippage, p.perp_slippage)
    return 1 - np.clip(eq - cost * notion, 0, None)


def summary(result: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Loss distribution of each structure: P(liquidated), mean, P(loss > half), VaR/CVaR at 90, 95, 99%
    (``sim.metrics.var_cvar``: the worst ⌈(1 − a)·n⌉ paths). ``result`` is :func:`simulate`'s output;
    losses are fractions of capital.
    """
    out = {}
    for name in ("perp", "loop"):
        loss = result[f"{name}_loss"]
        row = {"p_liquidated": float(result[f"{name}_liquidated"].mean()), "mean_loss": float(loss.mean()),
               "p_loss_over_half": float((loss > 0.5).mean())}
        for lvl in (0.90, *LEVELS):
            pct = round(lvl * 100)
            row[f"var{pct}"], row[f"cvar{pct}"] = var_cvar(loss, lvl)
        out[name] = row
    out["loop"]["p_bad_debt"] = float((result["loop_bad_debt_usd"] > 0).mean())
    return out
