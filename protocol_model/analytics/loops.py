"""Leverage-loop analytics: closed forms a designer reasons with, next to the exact engine that runs them.

All functions are pure and take plain fractions (``ltv = 0.8`` for 80%) or token amounts; they are the
continuous-math statements of what ``looper.py`` does in integers. ``tests/model/test_loop_analytics.py``
checks each one against the exact engine. Notation: equity ``E = 1`` (collateral value at the oracle),
``f`` the share of the remaining capacity borrowed per round, ``c`` the cost of one swap (fee + price
impact, as a fraction of the value swapped), ``q = f · ltv · (1 − c)`` the growth ratio of one round.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.amm.uniswap_v2_pair import FEE_DENOMINATOR, FEE_NUMERATOR, get_amount_in, get_amount_out

V2_FEE = 1 - FEE_NUMERATOR / FEE_DENOMINATOR
"""Uniswap V2's swap fee (0.3%)."""


@dataclass(frozen=True)
class LoopShape:
    """A position after ``rounds`` rounds, per unit of equity (values at oracle prices; docs/loops.md §4)."""

    collateral: float
    """Collateral value ÷ equity: the leverage L (gross exposure)."""
    debt: float
    """Debt value ÷ equity."""

    @property
    def net(self) -> float:
        """Equity left after the swap costs, ÷ initial equity (= L − debt)."""
        return self.collateral - self.debt

    def health_factor(self, liquidation_threshold: float) -> float:
        """HF = threshold × collateral ÷ debt (the lending pool's health factor at oracle prices); inf with no debt."""
        return float("inf") if self.debt == 0 else liquidation_threshold * self.collateral / self.debt


def leverage_after_rounds(ltv: float, rounds: int) -> float:
    """(1 − LTVⁿ⁺¹) / (1 − LTV): collateral ÷ equity after n full-capacity rounds with free swaps.

    The geometric series Σₖ₌₀ⁿ LTVᵏ (docs/loops.md §4). ``ltv`` is a fraction in [0, 1); ``ltv == 1`` raises
    ``ZeroDivisionError``.
    """
    return (1 - ltv ** (rounds + 1)) / (1 - ltv)


def max_leverage(ltv: float) -> float:
    """1 / (1 − LTV): the limit of infinitely many rounds (and the ceiling of a flash-loan loop).

    docs/loops.md §4. ``ltv == 1`` raises ``ZeroDivisionError``.
    """
    return 1 / (1 - ltv)


def loop_shape(ltv: float, rounds: int, swap_cost: float = 0.0, borrow_fraction: float = 1.0) -> LoopShape:
    """Collateral and debt per unit of equity after ``rounds`` rounds, each borrowing ``borrow_fraction`` of
    the capacity left and losing ``swap_cost`` of it in the swap.

    Round k supplies q^k (q = f·LTV·(1 − c)): collateral C = (1 − qⁿ⁺¹)/(1 − q); round k borrows
    f·LTV·q^(k−1), so debt D = f·LTV·(1 − qⁿ)/(1 − q). With c = 0 and f = 1, C is the formula above.
    Fractions in [0, 1) (docs/loops.md §4); ``q == 1`` raises ``ZeroDivisionError``.
    """
    q = borrow_fraction * ltv * (1 - swap_cost)
    collateral = (1 - q ** (rounds + 1)) / (1 - q)
    debt = borrow_fraction * ltv * (1 - q**rounds) / (1 - q)
    return LoopShape(collateral, debt)


def flash_loop_shape(leverage: float, swap_cost: float = 0.0, flash_fee: float = 0.0) -> LoopShape:
    """A one-shot loop to ``leverage``: it buys L − 1 of collateral, paying (L − 1)/(1 − c) of debt asset,
    borrowed with the flash fee on top (docs/loops.md §4). Fractions: ``swap_cost`` < 1, ``flash_fee`` ≥ 0.
    """
    return LoopShape(leverage, (leverage - 1) / (1 - swap_cost) * (1 + flash_fee))


def max_flash_leverage(ltv: float, swap_cost: float = 0.0, flash_fee: float = 0.0) -> float:
    """The largest L a flash loop can reach: debt ≤ LTV × collateral, i.e. (L − 1)·k ≤ LTV·L with
    k = (1 + fee)/(1 − c)  ⇒  L ≤ k / (k − LTV). Equal to 1/(1 − LTV) with no costs (docs/loops.md §4)."""
    k = (1 + flash_fee) / (1 - swap_cost)
    return k / (k - ltv)


def max_loop_health_factor(ltv: float, liquidation_threshold: float) -> float:
    """HF of a loop that used all its capacity: threshold ÷ LTV (swap costs shrink L, not this ratio).

    docs/loops.md §4; fractions (``0.825``, ``0.8``). ``ltv == 0`` raises ``ZeroDivisionError``.
    """
    return liquidation_threshold / ltv


def liquidating_price_move(health_factor: float) -> float:
    """Fall of the collateral price (debt price fixed) that brings HF to 1: 1 − 1/HF.
    For a maximal loop: 1 − LTV/threshold (3.03% at LTV 80%, threshold 82.5%; docs/loops.md §4).
    A fraction of the price; ``health_factor == 0`` raises ``ZeroDivisionError``.
    """
    return 1 - 1 / health_factor


def liquidation_price(collateral_units: float, debt_value: float, liquidation_threshold: float) -> float:
    """Collateral price at which threshold × collateral value = debt value (HF = 1): D / (LT × units).

    Price in the unit of ``debt_value`` per collateral unit; a zero denominator raises ``ZeroDivisionError``.
    """
    return debt_value / (liquidation_threshold * collateral_units)


def net_yield(supply_rate: float, borrow_rate: float, leverage: float, debt: float | None = None,
              swap_costs: float = 0.0, years: float = 1.0) -> float:
    """Yield on equity per year: supply rate × L − borrow rate × (L − 1), less the opening and closing
    swap costs (a fraction of equity) spread over the holding period. Pass ``debt`` when the swap costs
    made it differ from L − 1. Rates and the result are annual fractions (docs/loops.md §4).
    ``years == 0`` raises ``ZeroDivisionError``.
    """
    debt = leverage - 1 if debt is None else debt
    return supply_rate * leverage - borrow_rate * debt - swap_costs / years


def swap_cost(amount_in: int, reserve_in: int, reserve_out: int) -> float:
    """What an exact-input swap loses against the pair's mid price, as a fraction of its value: the 0.3%
    fee plus price impact, 1 − 0.997·x / (x + 0.997·a) in closed form (``amm.get_amount_out`` exactly).

    Amounts and reserves in token units. Raises ``AmmError`` as ``get_amount_out`` (zero input or reserve).
    """
    out = get_amount_out(amount_in, reserve_in, reserve_out)
    return 1 - out * reserve_in / (amount_in * reserve_out)


def unwind_cost(debt_units: int, reserve_collateral: int, reserve_debt: int, flash_fee_bps: int = 0) -> int:
    """Collateral units sold to repay ``debt_units`` (plus the flash fee) on the pair, minus their worth at
    the pair's mid price: what a full unwind costs, in collateral units (integers, rounded as the pool: the
    fee up, ``get_amount_in`` up). Raises ``AmmError`` as ``get_amount_in`` (e.g. the pair lacks the debt).
    """
    need = debt_units + -(-debt_units * flash_fee_bps // 10_000)
    sold = get_amount_in(need, reserve_collateral, reserve_debt)
    return sold - need * reserve_collateral // reserve_debt
