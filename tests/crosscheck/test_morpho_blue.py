"""Morpho Blue preset, cross-checked on the in-process chain (revm): every story of scenarios/presets/morpho/
and the differential fuzzer (tests/crosscheck/morpho_fuzz.py) against the REAL Morpho Blue 1.0.0 bytecode
(compiled by `make setup` from npm @morpho-org/morpho-blue with solc-js 0.8.19), with every observable
compared to the wei after every step. Runs without a node
(`pytest -p no:ape_test tests/crosscheck/test_morpho_blue.py`).
MORPHO_FUZZ_EXAMPLES sets the fuzzer's sequences (default 280 sequences of up to 50 operations: over 10,000)."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis.stateful import run_state_machine_as_test

from protocol_model.chain.morpho_blue import in_process_chain, replay_story
from protocol_model.exact.presets.morpho_blue.morpho import ZERO_ADDRESS
from protocol_model.scenario.morpho_story import load_morpho_story
from tests.crosscheck.morpho_fuzz import deploy_fuzz_world, fuzz_settings, make_machine, reset

STORIES = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "presets" / "morpho").glob("*.yaml"))
EXAMPLES = int(os.environ.get("MORPHO_FUZZ_EXAMPLES", "250"))
STORY_SUITE = "in-process Morpho Blue stories"
FUZZ_SUITE = "in-process Morpho Blue fuzz"
MIN_OPERATIONS_PER_SEQUENCE = 20
"""Far fewer per sequence means a broken rule stopped the machine early, not a pass."""


def check_story(path: Path, driver, deployer, accounts, stats) -> list:
    """Replay one story on ``driver`` and assert every step agreed and had the expected outcome."""
    story, spec = load_morpho_story(path)
    results = replay_story(story, spec, driver, deployer, accounts)
    stats.sequences += 1
    stats.operations += len(results)
    stats.mismatches += sum(not r.agreed for r in results)
    assert len(results) > 1, "a story with no steps proves nothing"
    for r in results:
        at = f"{path.name} step {r.index} {r.op.describe()}"
        assert r.chain == r.model, f"{at}: chain {r.chain}, model {r.model}"
        assert not r.mismatches, f"{at}: {r.mismatches[:5]}"
        assert r.model == r.expected, f"{at}: expected {r.expected}, got {r.model}"
    return results


def test_at_least_eight_stories():
    assert len(STORIES) >= 8, STORIES


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_story_on_real_morpho_in_process(path, crosscheck_suite):
    chain = in_process_chain()
    results = check_story(path, chain, chain.accounts[0], chain.accounts[1:], crosscheck_suite(STORY_SUITE))
    assert any(r.expected != "ok" for r in results), "every story also checks at least one revert"


@pytest.fixture(scope="module")
def fuzz_base():
    chain = in_process_chain()
    return deploy_fuzz_world(chain, chain.accounts[0], chain.accounts[1:])


def test_model_and_real_morpho_agree_in_process(fuzz_base, crosscheck_suite, capsys):
    stats, reached = crosscheck_suite(FUZZ_SUITE), Counter()
    start, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(make_machine(fuzz_base, stats, reached), settings=fuzz_settings(EXAMPLES))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with capsys.disabled():
        print(f"\n{FUZZ_SUITE}: {stats.operations} operations in {wall:.1f} s wall, {cpu:.1f} s CPU, "
              f"{stats.mismatches} mismatches; {reached['liquidation']} liquidations, "
              f"{reached['bad debt']} realising bad debt; {reached['created']} new markets created, "
              f"{reached['extra used']} supplies into them")
    assert stats.mismatches == 0
    assert stats.sequences >= EXAMPLES
    assert stats.operations >= MIN_OPERATIONS_PER_SEQUENCE * stats.sequences, stats
    if EXAMPLES >= 250:
        assert stats.operations >= 10_000, stats
    assert stats.on_behalf_authorized and stats.on_behalf_unauthorized, "on-behalf calls never ran both ways"
    if EXAMPLES >= 250:
        assert reached["bad debt"] >= 10, f"too few liquidations realised bad debt: {reached}"
        assert reached["created"] >= 50 and reached["extra used"] >= 50, f"new markets too rarely used: {reached}"


@pytest.mark.parametrize("target,replacement", [
    ("protocol_model.exact.presets.morpho_blue.morpho.to_shares_up",
     "protocol_model.exact.presets.morpho_blue.shares_math_lib.to_shares_down"),
    ("protocol_model.exact.presets.morpho_blue.morpho.w_taylor_compounded",
     "protocol_model.exact.presets.morpho_blue.math_lib.w_mul_down"),
])
def test_fuzzer_catches_an_injected_fault(fuzz_base, monkeypatch, target, replacement):
    """A model with one rounding flipped (or the compounding replaced by a simple product) must be caught."""
    from tests.crosscheck.conftest import CrosscheckStats

    module, name = target.rsplit(".", 1)
    rmod, rname = replacement.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", getattr(__import__(rmod, fromlist=[rname]), rname))
    stats = CrosscheckStats()
    with pytest.raises(AssertionError, match="chain"):
        run_state_machine_as_test(make_machine(fuzz_base, stats), settings=fuzz_settings(60, shrink=False))
    assert stats.mismatches >= 1


def test_fuzzer_catches_one_wei_less_bad_debt(fuzz_base, monkeypatch):
    """The bad debt written off one unit short (``min(totalBorrowAssets, badDebtShares.toAssetsUp(...)) - 1``;
    the incentive factor's ``min`` is left alone): only a liquidation that takes the last collateral shows it,
    so this fails if the fuzzer stops realising bad debt."""
    from protocol_model.exact.presets.morpho_blue import morpho
    from protocol_model.exact.presets.morpho_blue.constants_lib import MAX_LIQUIDATION_INCENTIVE_FACTOR
    from tests.crosscheck.conftest import CrosscheckStats

    real_min = morpho.min_
    monkeypatch.setattr(morpho, "min_", lambda a, b: real_min(a, b) - (a != MAX_LIQUIDATION_INCENTIVE_FACTOR))
    stats = CrosscheckStats()
    with pytest.raises(AssertionError, match="chain"):
        run_state_machine_as_test(make_machine(fuzz_base, stats), settings=fuzz_settings(60, shrink=False))
    assert stats.mismatches >= 1


def test_fuzzer_creates_and_uses_a_new_market(fuzz_base, crosscheck_suite):
    """The ``create_market`` rule creates ``extra`` (a new collateral / LLTV / IRM) and the user rules then
    move money in it: a short run ends with at least one created market and one with supply in it."""
    from tests.crosscheck.conftest import CrosscheckStats

    reached: Counter = Counter()
    run_state_machine_as_test(make_machine(fuzz_base, CrosscheckStats(), reached),
                              settings=fuzz_settings(40, shrink=False))
    assert reached["created"] >= 5, reached
    assert reached["extra used"] >= 1, reached


CONFIG_FAULTS = {
    "owner": lambda m, a: setattr(m, "owner", a.accounts["alice"]),
    "feeRecipient": lambda m, a: setattr(m, "fee_recipient", a.accounts["alice"]),
    "isLltvEnabled 860000000000000000": lambda m, a: m.is_lltv_enabled.discard(860_000_000_000_000_000),
    f"isIrmEnabled {ZERO_ADDRESS}": lambda m, a: m.is_irm_enabled.add(ZERO_ADDRESS),
    "isAuthorized alice bob": lambda m, a: m.is_authorized.add((a.accounts["alice"], a.accounts["bob"])),
}


@pytest.mark.parametrize("field", CONFIG_FAULTS)
def test_observe_compares_configuration(fuzz_base, field):
    """One configuration value flipped in the twin (an owner, a fee recipient, an LLTV, an IRM, an
    authorization) shows as exactly that observable differing from real Morpho Blue."""
    from protocol_model.chain.morpho_blue import compare

    chain, model = fuzz_base["chain"], reset(fuzz_base)
    assert compare(chain.observe(), model.observe()) == []
    CONFIG_FAULTS[field](model.morpho, model.addresses)
    assert [d.split(":")[0] for d in compare(chain.observe(), model.observe())] == [field]


@pytest.mark.parametrize("method,fault", [
    ("enable_lltv", lambda real: lambda self, sender, lltv: real(self, sender, lltv + (lltv < 10**18 - 1))),
    ("set_authorization", lambda real: lambda self, sender, who, flag: real(self, who, sender, flag)),
])
def test_fuzzer_catches_a_wrong_configuration_write(fuzz_base, monkeypatch, method, fault):
    """The twin enabling LLTV + 1 instead of the LLTV, or writing ``isAuthorized`` with the two accounts
    swapped: the fuzzer reports the configuration observable that differs."""
    from protocol_model.exact.presets.morpho_blue.morpho import Morpho
    from tests.crosscheck.conftest import CrosscheckStats

    monkeypatch.setattr(Morpho, method, fault(getattr(Morpho, method)))
    stats = CrosscheckStats()
    with pytest.raises(AssertionError, match="isLltvEnabled|isAuthorized|chain"):
        run_state_machine_as_test(make_machine(fuzz_base, stats), settings=fuzz_settings(30, shrink=False))
    assert stats.mismatches >= 1
