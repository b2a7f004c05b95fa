"""Every property of docs/PROPERTIES.md has a mutation test: a violation injected into the twin or its state,
caught by the check the catalogue names for it (tests/mutation/injections.py holds one injection per id).

Runs without a node: ``model`` injections call model-only checks, ``in-process`` ones drive the lending fuzzer's
checks and differential on the in-process chain. ``anvil`` injections (chain-only checks) run in
tests/mutation/test_property_injections_chain.py under ape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.architecture.test_properties import rows
from tests.mutation.injections import INJECTIONS, Injection, undo_settings

NODELESS = sorted(pid for pid, inj in INJECTIONS.items() if inj.side != "anvil")


@dataclass
class Context:
    """What an injection gets: the monkeypatch it breaks things with, its check's reference, cleanup callbacks
    and the lazily built in-process fixtures."""

    monkeypatch: pytest.MonkeyPatch
    pid_check: str
    request: pytest.FixtureRequest
    finalizers: list[Any] = field(default_factory=list)

    def fixture(self, name: str):
        """The value of fixture ``name`` (the chain-side checks' own fixtures, under ape)."""
        return self.request.getfixturevalue(name)

    @property
    def fuzz_world(self):
        """The lending fuzz scenario on the in-process chain, and its model (module fixture)."""
        return self.request.getfixturevalue("fuzz_world")

    @property
    def artifacts(self):
        """The compiled contracts (module fixture)."""
        return self.request.getfixturevalue("artifacts")


@pytest.fixture(scope="module")
def fuzz_world():
    from protocol_model.chain.inprocess_world import deploy_in_process
    from protocol_model.scenario.fuzz import fuzz_scenario
    from protocol_model.world.model_world import ModelWorld

    scenario = fuzz_scenario()
    world = deploy_in_process(scenario)
    return world, ModelWorld(scenario, world.listed_at, world.feed_times)


@pytest.fixture(scope="module")
def artifacts():
    from protocol_model.chain.inprocess_abi import Artifacts

    return Artifacts.load()



def borrowed_fixture(module: str, name: str, scope: str = "module", as_name: str | None = None):
    """Fixture ``name`` of test module ``module`` (here called ``as_name``, default ``name``), built here afresh:
    its function body (through ``__wrapped__``) with the fixtures it takes requested by name."""
    def build(request):
        import importlib
        import inspect

        fn = getattr(importlib.import_module(module), name).__wrapped__
        return fn(*(request.getfixturevalue(arg) for arg in inspect.signature(fn).parameters))
    return pytest.fixture(scope=scope, name=as_name or name)(build)


amm_in_process = borrowed_fixture("tests.crosscheck.test_amm", "amm_in_process")
lev_in_process = borrowed_fixture("tests.crosscheck.conftest", "lev_in_process")
looper_world_in_process = borrowed_fixture("tests.crosscheck.test_looper_fuzz", "looper_world_in_process")
perp_fuzz_world_in_process = borrowed_fixture("tests.crosscheck.test_perp_fuzz", "perp_fuzz_world_in_process")
fuzz_base = borrowed_fixture("tests.crosscheck.test_morpho_blue", "fuzz_base")
aave_world = borrowed_fixture("tests.crosscheck.test_aave_fuzz_inprocess", "aave_world")
aave_market_chain = borrowed_fixture("tests.crosscheck.test_aave_stories_inprocess", "market_chain",
                                     as_name="aave_market_chain")


@pytest.fixture
def crosscheck_suite():
    """Counts of the mismatches an injection provokes, apart from the session's cross-check totals."""
    from tests.crosscheck.conftest import CrosscheckStats

    return lambda name: CrosscheckStats()

def run_injection(inj: Injection, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Inject ``inj``'s violation and assert its check raises ``inj.raises``."""
    ctx = Context(monkeypatch, inj.check, request)
    try:
        with pytest.raises(inj.raises, match=inj.match):
            inj.run(ctx)
    finally:
        undo_settings()
        for finalize in reversed(ctx.finalizers):
            finalize()


def test_every_property_has_an_injection():
    ids = {pid for pid, _, _ in rows()}
    assert not ids - set(INJECTIONS), f"properties without a mutation test: {sorted(ids - set(INJECTIONS))}"
    assert not set(INJECTIONS) - ids, f"injections of no property: {sorted(set(INJECTIONS) - ids)}"


def test_each_injection_is_caught_by_a_check_its_row_names():
    where = {pid: w for pid, _, w in rows()}
    for pid, inj in INJECTIONS.items():
        assert f"`{inj.check}`" in where.get(pid, ""), f"{pid}: {inj.check} is not listed in its row"
        assert inj.side in ("model", "in-process", "anvil"), f"{pid}: side {inj.side}"


@pytest.mark.parametrize("pid", NODELESS)
def test_an_injected_violation_is_caught(pid, monkeypatch, request):
    run_injection(INJECTIONS[pid], monkeypatch, request)


def test_the_catalogue_lists_every_injection():
    """docs/PROPERTIES.md's "Mutation tests" table is the registry's (regenerate it with
    ``python -c "from tests.mutation.injections import injection_table; print(injection_table())"``)."""
    from tests.architecture.test_properties import CATALOGUE
    from tests.mutation.injections import injection_table

    assert injection_table() in CATALOGUE.read_text(), "docs/PROPERTIES.md: the injection table is out of date"
