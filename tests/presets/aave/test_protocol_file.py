"""``rules: aave-v3`` protocol files: the example loads into engine units, and the PoolConfigurator's rules
reject a bad market with one error naming the file, the field and the rule."""

from __future__ import annotations

import pytest

from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.protocol import load_protocol

EXAMPLE = "aave_v3_market"


def test_the_example_market_converts_to_engine_units():
    market = load_protocol(EXAMPLE).aave_v3.params()  # type: ignore[union-attr]
    weth = market.reserve("WETH")
    assert (weth.ltv, weth.liquidation_threshold, weth.liquidation_bonus, weth.price) == (8000, 8250, 10500,
                                                                                          2000 * 10**8)
    assert weth.rates.variable_rate_slope1 == 33 * 10**24 and weth.borrow_cap == 1000
    assert market.reserve("ISO").debt_ceiling == 10_000_000 and market.reserve("ISO").liquidation_bonus == 11000
    assert market.emodes[0].liquidation_bonus == 10100


@pytest.mark.parametrize("overrides,needle", [
    ({"aave_v3.reserves.WETH.ltv": "83%"}, "above the liquidation threshold"),
    ({"aave_v3.reserves.WETH.liquidation_bonus": "25%"}, "at most 100%"),
    ({"aave_v3.reserves.USDC.emode_category": 3}, "no eMode category 3"),
    ({"aave_v3.reserves.USDC.liquidation_threshold": "95%"}, "INVALID_EMODE_CATEGORY_ASSIGNMENT"),
    ({"aave_v3.reserves.ISO.debt_ceiling_usd": "0.001"}, "at most 2 decimals"),
    ({"aave_v3.reserves.WBTC.supply_cap": 2**36}, "supply_cap"),
    ({"rules": "generic"}, "aave-v3 and an aave_v3 section go together"),
])
def test_bad_markets_are_refused_with_the_rule(overrides, needle):
    with pytest.raises(ScenarioError, match=needle) as err:
        load_protocol(EXAMPLE, overrides)
    assert "aave_v3_market.yaml" in str(err.value)
