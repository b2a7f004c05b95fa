"""``protocol-model check`` warns about pair feeds one transaction can move (review-flash; docs/oracles/
spot_manipulation.md "Within one transaction"): a spot feed without a breaker, a breaker with ltv × (1 + jump) ≥ 1,
and a Looper trading on a pair whose spot price is its own oracle. A TWAP feed, or a breaker tight enough, is not
warned about; the warnings never refuse the file."""

from __future__ import annotations

import pytest

from protocol_model.cli import main
from protocol_model.scenario.amm import manipulable_pair_feeds
from protocol_model.scenario.story import parse_scenario
from tests.chain.test_inprocess_flash_manipulation import SPOT, TWAP, _spec


@pytest.mark.parametrize(("feed", "oracle", "expected"), [
    (SPOT, None, ["no circuit breaker"]),
    (SPOT, {"max_jump_bps": 5000}, ["ltv × (1 + max_jump) = 1.1250 ≥ 1"]),
    (SPOT, {"max_jump_bps": 3333}, []),  # 0.75 × 1.3333 = 0.99998
    (SPOT, {"max_jump_bps": 3334}, ["ltv × (1 + max_jump) = 1.0001 ≥ 1"]),  # 1.00005
    (TWAP, None, []),
])
def test_each_unsafe_pair_feed_is_named(feed, oracle, expected):
    found = manipulable_pair_feeds(parse_scenario(_spec(feed, oracle)))
    assert len(found) == len(expected)
    for line, part in zip(found, expected, strict=True):
        assert line.startswith("amm_pairs.0.price_feed: 'TKN'") and part in line


def test_a_looper_on_its_own_oracle_pair_is_named():
    spec = _spec(SPOT, {"max_jump_bps": 1000})
    spec["accounts"].append({"name": "alice", "balances": {"TKN": "10"}})
    spec["steps"] = [{"op": "loop_open", "account": "alice", "collateral": "TKN", "debt": "USDC", "equity": "1",
                      "mode": "iterative", "rounds": 1}]
    (line,) = manipulable_pair_feeds(parse_scenario(spec))
    assert "the Looper trades on TKN_USDC" in line and "sandwich bound" in line


def test_check_prints_the_warning_and_accepts_the_file(capsys):
    assert main(["check", "scenarios/oracle/spot_manipulation_naive.yaml",
                 "scenarios/oracle/spot_manipulation_protected.yaml"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("warning: scenarios/oracle/spot_manipulation_naive.yaml: amm_pairs.0")


@pytest.mark.parametrize(("oracle", "moved"), [({"max_jump_bps": 1000}, "by up to the breaker's max_jump (10%)"),
                                               (None, "at will (no breaker)")])
def test_a_looper_on_another_pair_priced_by_a_spot_feed_is_named(oracle, moved):
    """A loop of TKN against WETH trades on TKN_WETH, but its slippage bound prices TKN at TKN_USDC's spot (the
    oracle), which a swap on TKN_USDC moves: named, with how far (the breaker's max_jump, or at will)."""
    from tests.crosscheck.test_pool_faults import WETH

    spec = _spec(SPOT, oracle)
    spec["assets"].append(WETH)
    spec["amm_pairs"].append({"name": "TKN_WETH", "assets": ["TKN", "WETH"],
                              "reserves": {"TKN": "20000", "WETH": "10"}})
    spec["accounts"].append({"name": "alice", "balances": {"TKN": "10"}})
    spec["steps"] = [{"op": "loop_open", "account": "alice", "collateral": "TKN", "debt": "WETH", "equity": "1",
                      "mode": "iterative", "rounds": 1}]
    lines = [line for line in manipulable_pair_feeds(parse_scenario(spec)) if "Looper" in line]
    assert lines == [f"amm_pairs.0.price_feed: the Looper's slippage bound prices 'TKN' at TKN_USDC's spot price, "
                     f"which a swap earlier in the same transaction moves {moved}: the sandwich bound (SPEC §9 S2) "
                     "loosens by as much"]
