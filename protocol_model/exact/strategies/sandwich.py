"""The sandwich bound of a Uniswap V2 pair (docs/SPEC.md §9 S2): how far from the oracle a strategy's swap may
execute before a front-run of it can pay. Used by ``Looper.sol`` / ``LeveragedToken.sol`` (their
``MAX_SLIPPAGE_BPS``) and by the tests; pure floats of the closed form, no state.

Notation: ``γ = 997/1000`` (the pair keeps 0.3% of every input), ``u = V/R`` a swap's input over the pair's
reserve of the input token, the pair's mid price at the oracle before anyone trades.
"""

from __future__ import annotations

from math import floor, sqrt

from protocol_model.exact.math_lib import BPS

FEE_FACTOR = 997 / 1000
"""γ: the share of an input a Uniswap V2 pair swaps (``UniV2MathLib.getAmountOut``'s 997/1000)."""


def front_run_marginal_gain(u: float, gamma: float = FEE_FACTOR) -> float:
    """What the first unit of a front-run earns per unit, around a victim's swap of ``u`` (share of the input
    reserve): ``γ²(1 + u)(1 + γu) − 1``. The attacker buys at the mid price less the fee, the victim's swap
    raises the price by ``(1 + u)(1 + γu)``, and the attacker sells back less the fee. Negative for
    ``u < u*``: no front-run of any size pays then (the gain per unit only falls as the front-run grows)."""
    return gamma * gamma * (1 + u) * (1 + gamma * u) - 1


def critical_swap_share(gamma: float = FEE_FACTOR) -> float:
    """``u*``, the positive root of ``γ³u² + γ²(1 + γ)u + γ² − 1 = 0`` (where ``front_run_marginal_gain`` is 0):
    0.30135% of the input reserve for the 0.3% fee."""
    a, b, c = gamma**3, gamma**2 * (1 + gamma), gamma**2 - 1
    return (-b + sqrt(b * b - 4 * a * c)) / (2 * a)


def sandwich_bound(gamma: float = FEE_FACTOR) -> float:
    """``t* = 1 − γ³(1 + u*)``: the execution shortfall versus the oracle of an unmanipulated swap of ``u*``
    (``1 − γ/(1 + γu*)``, simplified with the root's equation). A swap whose output must be at least
    ``(1 − t)`` of its input's oracle worth, ``t ≤ t*``, is either no larger than ``u*`` (a front-run only
    shrinks the room it leaves) or reverts: no sandwich of it pays. 0.59865% for the 0.3% fee (about twice it)."""
    return 1 - gamma**3 * (1 + critical_swap_share(gamma))


def sandwich_bound_bps(gamma: float = FEE_FACTOR) -> int:
    """``⌊t*·10,000⌋``: 59 for the 0.3% fee, the contracts' ``MAX_SLIPPAGE_BPS``."""
    return floor(sandwich_bound(gamma) * BPS)


def largest_swap_share(max_slippage_bps: int, gamma: float = FEE_FACTOR) -> float:
    """The largest ``u`` one swap (or one transaction's swaps in one direction) can have within
    ``max_slippage_bps`` of the oracle on a pair at the oracle: ``γ/(1 + γu) = 1 − t`` gives
    ``u = (γ/(1 − t) − 1)/γ``; 0.2926% at 59 bps, 0.2016% at 50 bps (0 at 30 bps: the fee alone is 0.3%)."""
    t = max_slippage_bps / BPS
    return max(gamma / (1 - t) - 1, 0.0) / gamma
