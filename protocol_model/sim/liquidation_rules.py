"""The liquidation rules of the protocol presets, in the lab's floats (``rules:`` of a protocol file).

The vectorized engine (``cascade``) and the scalar reference (``reference``) run the generic pool's rule inline
(``LendingPool.liquidate``: close factor below/above the full-close line, bonus capped at the full-close line,
bad debt written off against reserves, then suppliers). A simulation whose protocol says ``rules: aave-v3`` or
``rules: morpho-blue`` replaces three things, with the rule objects here:

* the amounts of one liquidation by a keeper repaying the most it may (:meth:`PresetRule.amounts` over arrays,
  :meth:`PresetRule.amount_one` for one position): repaid = debt × close factor(HF); seized = repaid × debt
  price / collateral price × LIF; when that exceeds the collateral, all of it is seized and the repayment
  shrinks to collateral / LIF × price ratio; the part of the bonus the protocol keeps is the asset's protocol
  fee (0 for Morpho), computed by the engine as before;
* the close factor and the incentive factor (:class:`AaveV3Rule`, :class:`MorphoBlueRule`);
* what happens to the debt left when the collateral is gone (:func:`write_off`).

The exact twins these follow are ``protocol_model.exact.presets.aave_v3.liquidation_logic`` and
``protocol_model.exact.presets.morpho_blue.morpho.Morpho.liquidate``; ``sim.exact_presets`` replays lab paths in
them and ``tests/lab/test_presets_lab.py`` checks the amounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, TypeVar

import numpy as np

RuleName = Literal["generic", "aave-v3", "morpho-blue"]
"""The ``rules:`` of a protocol file (``scenario.protocol.ProtocolFile.rules``)."""


Amounts = TypeVar("Amounts", float, np.ndarray)
"""Token amounts: one float (the scalar reference) or an array (the vectorized engine)."""


class _Asset(Protocol):
    @property
    def reserves_tokens(self) -> float: ...
    @property
    def liquidation_protocol_fee_bps(self) -> int: ...


class CascadeParams(Protocol):
    """What :meth:`PresetRule.check` reads of ``sim.config.CascadeParams`` (which imports this module)."""

    @property
    def close_factor_bps(self) -> int:
        """The pool close factor (bps)."""
        ...

    @property
    def full_close_hf_bps(self) -> int:
        """The full-close line (bps of HF)."""
        ...

    @property
    def interest(self) -> bool:
        """Whether interest is asked for."""
        ...

    @property
    def assets(self) -> Sequence[_Asset]:
        """The listed assets."""
        ...


@dataclass(frozen=True)
class PresetRule:
    """A preset's liquidation rule. Subclasses give the close factor and the liquidation incentive factor (LIF)."""

    name: ClassVar[str] = ""
    reserves_absorb: ClassVar[bool] = False
    """whether the protocol's reserves absorb bad debt before its suppliers"""
    socialises: ClassVar[bool] = False
    """whether bad debt is written off (realised) at all; if not, it stays owed and is only reported"""
    close_factor_bps: ClassVar[int] = 10_000
    """the pool close factor the simulation must state (``CascadeParams.close_factor_bps``)"""
    full_close_hf_bps: ClassVar[int] = 10_000
    """the full-close line the simulation must state (``CascadeParams.full_close_hf_bps``)"""

    def incentive(self, lt: float, bonus1: float) -> float:
        """The LIF (1 + bonus) of a collateral with threshold (or LLTV) ``lt`` and stated ``bonus1`` (fractions)."""
        return bonus1

    def close_factor(self, hf: np.ndarray | float) -> np.ndarray | float:
        """Share of the debt one liquidation may repay at health factor ``hf`` (array, or a float)."""
        raise NotImplementedError

    def amounts(self, C: np.ndarray, D: np.ndarray, pc: np.ndarray, pd: np.ndarray, lt: float,
                bonus1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One liquidation of each position: collateral ``C`` and debt ``D`` (whole tokens), oracle prices ``pc`` and
        ``pd`` (USD), all shaped (n,), the block's threshold ``lt`` and bonus ``bonus1`` (1 + bonus).

        Returns (repaid (n,) debt tokens, seized (n,) collateral tokens including the protocol fee, the LIF (n,),
        indices of the seize-alls: every unit of collateral taken, the debt left is bad debt). New arrays; inputs
        untouched.
        """
        lif = self.incentive(lt, bonus1)
        repaid = D * self.close_factor(C * pc * lt / (D * pd))
        seized = repaid * pd / pc * lif
        sa = np.flatnonzero(seized >= C)
        if sa.size:
            seized[sa] = C[sa]
            repaid[sa] = np.minimum(C[sa] / lif * pc[sa] / pd[sa], D[sa])
        return repaid, seized, np.full(C.shape, lif), sa

    def amount_one(self, C: float, D: float, pc: float, pd: float, lt: float,
                   bonus1: float) -> tuple[float, float, float]:
        """:meth:`amounts` for one position in plain floats (the scalar reference): (repaid, seized, LIF)."""
        lif = self.incentive(lt, bonus1)
        repaid = D * float(self.close_factor(C * pc * lt / (D * pd)))
        seized = repaid * pd / pc * lif
        if seized >= C:
            return min(C / lif * pc / pd, D), C, lif
        return repaid, seized, lif

    def check(self, params: CascadeParams) -> None:
        """Raise ValueError naming the field when ``params`` do not fit this rule: the close-factor fields are the
        rule's own, and the lab's interest model is the generic pool's (not this protocol's)."""
        got = (params.close_factor_bps, params.full_close_hf_bps)
        if got != (self.close_factor_bps, self.full_close_hf_bps):
            raise ValueError(f"close_factor_bps/full_close_hf_bps: fixed by rules {self.name} "
                             f"({self.close_factor_bps}/{self.full_close_hf_bps}), got {got[0]}/{got[1]}")
        if params.interest:
            raise ValueError(f"interest: the lab accrues the generic pool's kinked curve; rules {self.name} accrue "
                             f"interest their own way (not modelled in the lab: leave interest off)")


@dataclass(frozen=True)
class AaveV3Rule(PresetRule):
    """Aave V3 (npm ``@aave/core-v3`` 1.19.3) ``LiquidationLogic.executeLiquidationCall``: close factor 50 %
    (``DEFAULT_LIQUIDATION_CLOSE_FACTOR``) while HF > 0.95 (``CLOSE_FACTOR_HF_THRESHOLD``), 100 %
    (``MAX_LIQUIDATION_CLOSE_FACTOR``) at or below; LIF = 1 + the reserve's liquidation bonus; the protocol fee a
    share of the bonus part (to the treasury: the lab's reserves). This version writes off no bad debt: the debt
    left after the collateral is gone stays owed (reported as bad debt, neither reserves nor suppliers lose it)."""

    name: ClassVar[str] = "aave-v3"
    close_factor_bps: ClassVar[int] = 5_000
    full_close_hf_bps: ClassVar[int] = 9_500
    default_close_factor: float = 0.5
    close_factor_hf_threshold: float = 0.95

    def close_factor(self, hf: np.ndarray | float) -> np.ndarray:
        """0.5 where ``hf`` > 0.95, 1.0 at or below (Aave's ``>`` comparison: 0.95 itself closes fully)."""
        return np.where(hf > self.close_factor_hf_threshold, self.default_close_factor, 1.0)


@dataclass(frozen=True)
class MorphoBlueRule(PresetRule):
    """Morpho Blue 1.0.0 ``Morpho.liquidate`` by a keeper that takes everything it may: no close factor, seized by
    collateral (all of it when the debt's worth × LIF reaches it, else the collateral the whole debt buys); LIF =
    min(``MAX_LIQUIDATION_INCENTIVE_FACTOR`` 1.15, 1 / (1 − ``LIQUIDATION_CURSOR`` 0.3 × (1 − LLTV))) =
    min(1.15, 1 / (0.3 · LLTV + 0.7)), the threshold being the market's LLTV; no protocol fee on liquidations; when
    the collateral reaches 0 the debt left is realised as bad debt and socialised on the suppliers (no reserves)."""

    name: ClassVar[str] = "morpho-blue"
    socialises: ClassVar[bool] = True
    max_lif: float = 1.15
    cursor: float = 0.3

    def incentive(self, lt: float, bonus1: float) -> float:
        """min(1.15, 1 / (1 − 0.3 × (1 − LLTV))) with LLTV = ``lt``; the stated bonus is not read."""
        return min(self.max_lif, 1.0 / (1.0 - self.cursor * (1.0 - lt)))

    def close_factor(self, hf: np.ndarray | float) -> float:
        """1: a liquidator may repay the whole debt at any HF below 1."""
        return 1.0

    def check(self, params: CascadeParams) -> None:
        """As :meth:`PresetRule.check`; also no reserves and no protocol fee (Morpho has neither)."""
        super().check(params)
        if any(a.reserves_tokens for a in params.assets):
            raise ValueError("reserves_tokens: Morpho Blue has no reserves (bad debt falls on the suppliers); set 0")
        if any(a.liquidation_protocol_fee_bps for a in params.assets):
            raise ValueError("liquidation_protocol_fee_bps: Morpho Blue takes no fee on liquidations; set 0")


RULES: dict[str, PresetRule] = {"aave-v3": AaveV3Rule(), "morpho-blue": MorphoBlueRule()}
"""The preset rules by ``rules:`` name (``generic`` is the engines' inline rule)."""


def rule_for(name: str) -> PresetRule | None:
    """The preset rule named ``name``, or None for ``generic``. Raises ValueError for an unknown name."""
    if name == "generic":
        return None
    if name not in RULES:
        raise ValueError(f"rules: unknown rule set '{name}' (known: generic, {', '.join(RULES)})")
    return RULES[name]


def write_off(rule: PresetRule | None, reserves: Amounts, bad: Amounts) -> tuple[Amounts, Amounts]:
    """One step's bad debt (``bad``, tokens per asset, any shape matching ``reserves``) under ``rule``: returns
    (taken from reserves, lost by suppliers). Generic (None): reserves first, then suppliers
    (``_writeOffBadDebt``); Morpho Blue: all of it on the suppliers; Aave V3 1.19.3: nothing (the debt stays owed)."""
    if rule is None or rule.reserves_absorb:
        from_res = np.minimum(reserves, bad)
        return from_res, bad - from_res
    zero = bad * 0.0
    return zero, bad if rule.socialises else zero
