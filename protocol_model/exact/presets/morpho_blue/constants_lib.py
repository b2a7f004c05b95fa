"""Morpho Blue's constants, twin of ``src/libraries/ConstantsLib.sol`` (and ``WAD`` of MathLib.sol), 1.0.0."""

from __future__ import annotations

WAD = 10**18
"""1.0 in 18-decimal fixed point (MathLib.sol)."""
MAX_FEE = 25 * 10**16
"""Highest market fee: 25% of the interest (WAD)."""
ORACLE_PRICE_SCALE = 10**36
"""Scale of ``IOracle.price()``: loan-token units per collateral-token unit × 1e36."""
LIQUIDATION_CURSOR = 3 * 10**17
"""0.3 (WAD): the cursor of the liquidation incentive factor formula."""
MAX_LIQUIDATION_INCENTIVE_FACTOR = 115 * 10**16
"""1.15 (WAD): the incentive factor's cap."""
UINT128_MAX = 2**128 - 1
UINT256_MAX = 2**256 - 1
