"""Morpho Blue's share conversions, twin of ``src/libraries/SharesMathLib.sol`` (1.0.0): every conversion adds
``VIRTUAL_SHARES`` to the total shares and ``VIRTUAL_ASSETS`` to the total assets (the inflation-attack
guard), and names its rounding direction."""

from __future__ import annotations

from protocol_model.exact.presets.morpho_blue.math_lib import checked, mul_div_down, mul_div_up

VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1


def to_shares_down(assets: int, total_assets: int, total_shares: int) -> int:
    """``assets × (totalShares + 1e6) / (totalAssets + 1)`` rounded down."""
    return mul_div_down(assets, checked(total_shares + VIRTUAL_SHARES), checked(total_assets + VIRTUAL_ASSETS))


def to_assets_down(shares: int, total_assets: int, total_shares: int) -> int:
    """``shares × (totalAssets + 1) / (totalShares + 1e6)`` rounded down."""
    return mul_div_down(shares, checked(total_assets + VIRTUAL_ASSETS), checked(total_shares + VIRTUAL_SHARES))


def to_shares_up(assets: int, total_assets: int, total_shares: int) -> int:
    """``assets × (totalShares + 1e6) / (totalAssets + 1)`` rounded up."""
    return mul_div_up(assets, checked(total_shares + VIRTUAL_SHARES), checked(total_assets + VIRTUAL_ASSETS))


def to_assets_up(shares: int, total_assets: int, total_shares: int) -> int:
    """``shares × (totalAssets + 1) / (totalShares + 1e6)`` rounded up."""
    return mul_div_up(shares, checked(total_assets + VIRTUAL_ASSETS), checked(total_shares + VIRTUAL_SHARES))
