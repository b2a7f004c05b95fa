"""The report's Method paragraph names the liquidation rule the lab applied: the generic pool's, or the preset's
(Aave V3's close factor and no write-off, Morpho Blue's incentive factor and bad debt on suppliers)."""

from __future__ import annotations

import pytest

from protocol_model.sim import report

DOC = {"paths": 10, "steps": 5, "seed": 1, "positions": 3}


@pytest.mark.parametrize("rules,says,not_says", [
    ("generic", ["LendingPool.liquidate", "when written off"], ["Aave", "Morpho"]),
    ("aave-v3", ["Aave V3 1.19.3", "close factor 50% while HF > 0.95", "writes none off"], ["LendingPool"]),
    ("morpho-blue", ["Morpho Blue 1.0.0", "min(1.15, 1/(0.3·LLTV + 0.7))", "realised on the suppliers"],
     ["LendingPool"]),
])
def test_method_names_the_rule_applied(rules, says, not_says):
    text = report._method({**DOC, "rules": rules})
    assert all(s in text for s in says), text
    assert not any(s in text for s in not_says), text


def test_a_document_without_rules_reads_as_generic():
    assert "LendingPool.liquidate" in report._method(DOC)
