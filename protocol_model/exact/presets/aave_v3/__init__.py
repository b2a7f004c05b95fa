"""Aave V3 (npm ``@aave/core-v3`` 1.19.3, protocol version 3.0.2) as an exact integer twin.

Modules mirror Aave's libraries by name: ``wad_ray_math``, ``percentage_math``, ``math_utils``,
``reserve_logic``, ``default_reserve_interest_rate_strategy``, ``generic_logic``, ``validation_logic``,
``liquidation_logic``, ``supply_logic``, ``borrow_logic``, ``e_mode_logic``; ``pool`` is the ``Pool``
contract's entry points and ``errors`` Aave's ``Errors`` library (numeric string codes). Stable-rate borrowing
is disabled and this version writes off no bad debt (docs/presets.md).
"""
