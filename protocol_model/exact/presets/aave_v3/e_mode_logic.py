"""Aave's ``EModeLogic``: a user's efficiency-mode category and its parameters."""

from __future__ import annotations

from protocol_model.exact.presets.aave_v3.pool_storage import PoolStorage


def get_emode_configuration(ps: PoolStorage, category_id: int) -> tuple[int, int, int]:
    """``getEModeConfiguration``: (ltv, liquidation threshold, price of the category's source or 0)."""
    category = ps.emode_categories[category_id]
    price = ps.get_asset_price(category.price_source) if category.price_source is not None else 0
    return category.ltv, category.liquidation_threshold, price


def is_in_emode_category(user_category: int, asset_category: int) -> bool:
    """``isInEModeCategory``: the user is in a category and the asset belongs to it."""
    return user_category != 0 and asset_category == user_category
