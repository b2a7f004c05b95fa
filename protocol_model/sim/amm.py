"""Constant-product pool (asset against USD), float64: where liquidators sell seized collateral.

A pool with depth ``depth_usd`` (USD value of each side at price ``p0``) has the invariant liquidity
``L = sqrt(x · y) = depth_usd / sqrt(p0)``; at price ``p`` it holds ``x = L / sqrt(p)`` tokens and
``y = L · sqrt(p)`` USD. Selling ``q`` tokens moves it to ``x' = x + q``, price ``p' = (L / x')²`` and pays
``y − y'`` USD: the price falls by the factor ``(x / (x + q))²``. Fees are ignored. Arbitrage between steps
is modelled in the cascade as a partial return of the pool price to the fundamental price.
"""

from __future__ import annotations

import math


def liquidity(depth_usd: float, price0_usd: float) -> float:
    """``sqrt(x · y)`` of a pool holding ``depth_usd`` of each side at ``price0_usd`` (inf stays inf).

    ``L = depth_usd / sqrt(price0_usd)`` (the constant-product invariant x·y = k of Uniswap V2); USD and
    USD per token. Raises ``ValueError`` (math domain) if ``price0_usd`` is negative, ``ZeroDivisionError`` if 0.
    """
    return depth_usd / math.sqrt(price0_usd)


def sell(price, liq, amount, sqrt=math.sqrt):
    """Sell ``amount`` tokens into the pool at ``price``: returns (new price, USD received).

    Works on floats (``sqrt=math.sqrt``) and on numpy arrays (``sqrt=np.sqrt``; any broadcastable shapes,
    e.g. (paths, assets)). New price ``(L / (L/√p + q))²`` USD per token; proceeds ``L·(√p − √p')`` USD.
    """
    root = sqrt(price)
    x_after = liq / root + amount
    root_after = liq / x_after
    return root_after * root_after, liq * (root - root_after)
