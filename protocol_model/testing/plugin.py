"""The pytest plugin (entry point ``pytest11: protocol_model``): a protocol file and its exact model as fixtures.

Installed with the package, it is active in every pytest or ``ape test`` session of the environment. It only
adds fixtures, one marker and two ini options; it imports nothing heavy at import time (no ape, no
hypothesis, no pandas: the fixtures import what they need when used).

Which protocol (first found wins):

1. the marker ``@pytest.mark.protocol_model(protocol="protocols/mine.yaml", overrides={...}, accounts={...})``
   on the test, its class or module (``pytestmark``);
2. the ini option ``protocol_model_protocol = protocols/mine.yaml`` (a path relative to the rootdir, or a
   bundled name such as ``generic``);
3. the bundled ``generic`` protocol.

Or override the ``protocol_file`` fixture (or ``protocol`` itself) in a ``conftest.py``.

Fixtures (function scope: each test gets its own world):

- ``protocol_file``: the protocol file's path.
- ``protocol``: the validated ``ProtocolFile`` (the marker's ``overrides`` applied, validated like the file).
- ``roles``: a :class:`~protocol_model.testing.roles.Roles` (deployer, suppliers, borrowers, liquidator,
  attacker) whose names are the model's accounts.
- ``model_accounts``: name -> whole tokens minted per asset: the marker's ``accounts``, else every role
  account with $1,000,000 of each asset at the protocol's starting price (whole tokens, rounded down, at
  least 1; for a perp-only protocol 1,000,000 settlement tokens).
- ``model``: the exact twin built from ``protocol`` and ``model_accounts`` in one call
  (:func:`protocol_model.model`): a ``ModelWorld`` (``.pool``, ``.apply(Action, now)``, ``.snapshot()``) or,
  for a perp-only protocol, a ``PerpModelWorld``; with ``deployed`` in the same test, the deployment's twin.

Chain fixtures (need ``ape test``; ape is imported only when they are used):

- ``deployed``: the protocol deployed on the active ape network (:class:`~protocol_model.testing.chain.Deployed`).
- ``cross_check``: ``cross_check()`` compares the model and chain snapshots, every field to the wei.
- ``run_story``: ``run_story(path)`` plays a story file on chain and in the model, step by step.

They send through ape's transactions (``ape test --gas`` lists the pool's calls) unless the ini option
``protocol_model_via_ape = false`` or the marker's ``via_ape=False`` picks the raw JSON-RPC path.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from protocol_model.testing.roles import Roles

if TYPE_CHECKING:
    from protocol_model.scenario.protocol import ProtocolFile
    from protocol_model.testing.chain import Deployed
    from protocol_model.world.model_world import ModelWorld
    from protocol_model.world.perp_world import PerpModelWorld

MARKER = "protocol_model"
INI_PROTOCOL = "protocol_model_protocol"
INI_VIA_APE = "protocol_model_via_ape"
DEFAULT_PROTOCOL = "generic"
STARTING_USD = Decimal(1_000_000)
"""What each role account holds of each asset in the default ``model_accounts``, in USD."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini option naming the protocol file the ``protocol`` fixture loads."""
    parser.addini(INI_PROTOCOL, "protocol file the `protocol` fixture loads: a path relative to the rootdir or a "
                  f"bundled name (default: {DEFAULT_PROTOCOL})", default=DEFAULT_PROTOCOL)
    parser.addini(INI_VIA_APE, "chain fixtures send through ape's transactions (seen by `ape test --gas`); false: "
                  "the raw JSON-RPC fast path on anvil (default: true)", default="true")


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``protocol_model`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line("markers", f"{MARKER}(protocol=None, overrides=None, accounts=None, via_ape=None): the "
                            "protocol file (path or bundled name), field overrides and model accounts of the "
                            "protocol_model fixtures; via_ape: chain fixtures send through ape's transactions")


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The closest ``protocol_model`` marker's keyword arguments (test over class over module), ``{}`` if none."""
    marker = request.node.get_closest_marker(MARKER)
    return dict(marker.kwargs) if marker is not None else {}


def user_path(request: pytest.FixtureRequest, name: str | Path) -> Path:
    """A file the user's test names: a path relative to the rootdir (then to the current folder), else a bundled
    name (``generic``, ``stories/bad_debt``; :func:`protocol_model.api.load.resolve_path`). Raises
    ``FileNotFoundError`` naming what was tried."""
    from protocol_model.api.load import resolve_path

    candidate = request.config.rootpath / str(name)
    return resolve_path(candidate if candidate.is_file() else name)


def _set_up_fails(where: str, err: Exception) -> NoReturn:
    """Fail the test's set-up with one line (``where: error``), no traceback into the package."""
    pytest.fail(f"{where}: {err}", pytrace=False)


@pytest.fixture
def protocol_file(request: pytest.FixtureRequest) -> Path:
    """The protocol file the ``protocol`` fixture loads (marker, ini option, then the bundled ``generic``); a
    missing file fails the test's set-up with one line naming the marker or ini option and what was tried."""
    marked = _marker_kwargs(request).get("protocol")
    name = marked or request.config.getini(INI_PROTOCOL) or DEFAULT_PROTOCOL
    try:
        return user_path(request, name)
    except FileNotFoundError as err:
        _set_up_fails(f"marker {MARKER}(protocol=...)" if marked else f"ini option {INI_PROTOCOL}", err)


@pytest.fixture
def protocol(request: pytest.FixtureRequest, protocol_file: Path) -> ProtocolFile:
    """The validated protocol (``ProtocolFile``) with the marker's ``overrides`` applied; a bad file or
    override fails the test's set-up with the one-line ``ScenarioError`` (file, field, rule), after the marker
    when the overrides are the marker's."""
    from protocol_model.scenario.base import ScenarioError
    from protocol_model.scenario.protocol import load_protocol

    overrides = _marker_kwargs(request).get("overrides")
    try:
        return load_protocol(protocol_file, overrides)
    except ScenarioError as err:
        _set_up_fails(f"marker {MARKER}(overrides=...)" if overrides else str(protocol_file), err)


@pytest.fixture
def roles() -> Roles:
    """Who does what: :class:`~protocol_model.testing.roles.Roles` with the default names."""
    return Roles()


def starting_balances(protocol: ProtocolFile, usd: Decimal = STARTING_USD) -> dict[str, Decimal]:
    """Whole tokens worth ``usd`` of each asset at its starting price (rounded down, at least 1)."""
    return {name: max(Decimal(1), (usd / Decimal(str(a.price_usd))).to_integral_value(ROUND_FLOOR))
            for name, a in protocol.assets.items()}


@pytest.fixture
def model_accounts(request: pytest.FixtureRequest, protocol: ProtocolFile, roles: Roles) -> dict[str, dict]:
    """Accounts of the ``model`` fixture: the marker's ``accounts``, else every role account with
    :func:`starting_balances` (a perp-only protocol: ``{"balance": 1000000}`` settlement tokens)."""
    given = _marker_kwargs(request).get("accounts")
    if given is not None:
        return dict(given)
    balances: dict[str, Any] = starting_balances(protocol) if protocol.assets else {"balance": STARTING_USD}
    return {name: dict(balances) for name in roles.accounts}


@pytest.fixture
def model(request: pytest.FixtureRequest, protocol: ProtocolFile,
          model_accounts: dict[str, dict]) -> ModelWorld | PerpModelWorld:
    """The protocol's exact twin, every asset listed at ``protocol_model.api.load.START``, the accounts funded;
    in a test that also uses ``deployed``, the twin of the deployment at the same state (``deployed.model``)."""
    from protocol_model.api.load import model as build

    if "deployed" in request.fixturenames:
        return request.getfixturevalue("deployed").model

    return build(protocol, model_accounts)



# ---------------------------------------------------------------------------------------------------------------
# Chain fixtures (issue #19, items 2 and 3): ape's ``project`` and ``accounts`` fixtures are looked up only when a
# chain fixture is used, and ape / the chain layer are imported inside protocol_model.testing.chain's functions.
# ---------------------------------------------------------------------------------------------------------------


def via_ape(request: pytest.FixtureRequest) -> bool:
    """Whether the chain fixtures send through ape's transaction path: the marker's ``via_ape``, else the ini
    option ``protocol_model_via_ape`` (default true; false picks the raw JSON-RPC fast path on anvil)."""
    given = _marker_kwargs(request).get("via_ape")
    if given is not None:
        return bool(given)
    return str(request.config.getini(INI_VIA_APE)).strip().lower() not in ("0", "false", "no", "off")


@pytest.fixture
def deployed(request: pytest.FixtureRequest, protocol: ProtocolFile, model_accounts: dict[str, dict]) -> Deployed:
    """The protocol and ``model_accounts`` deployed as a story world on the active ape network
    (:class:`~protocol_model.testing.chain.Deployed`: ``.chain``, ``.model`` at the same state, ``.step``,
    ``.mirror``). Contracts come from the user's ape project when it compiles every one the deployment needs
    (``chain.story_chain.PROTOCOL_CONTRACTS``: a fork of the pool), else from the package's bundled artifacts; a
    project with a ``LendingPool`` but not the rest, or too few test accounts, fails the set-up in one line.
    Model accounts play ape's test accounts 1, 2, ... (0 deploys). Needs ``ape test``."""
    from protocol_model.api.load import model as build
    from protocol_model.scenario.base import ScenarioError
    from protocol_model.testing.chain import deploy

    scenario = build(protocol, model_accounts).scenario
    try:
        return deploy(scenario, request.getfixturevalue("project"), request.getfixturevalue("accounts"),
                      via_ape(request))
    except ScenarioError as err:
        _set_up_fails("deployed", err)


@pytest.fixture
def cross_check(deployed: Deployed) -> Callable[..., None]:
    """``cross_check(model=deployed.model, chain=deployed.chain)``: compares every field of the two snapshots to
    the wei; raises ``AssertionError`` listing each differing field (model != chain)."""
    from protocol_model.testing.chain import assert_agree

    def check(model: Any = None, chain: Any = None) -> None:
        assert_agree(model if model is not None else deployed.model, chain if chain is not None else deployed.chain)

    return check


@pytest.fixture
def run_story(request: pytest.FixtureRequest) -> Callable[[str | Path], Any]:
    """``run_story(path)``: deploy a story file (a path relative to the rootdir, or a bundled name such as
    ``stories/bad_debt``: :func:`user_path`) on the active ape network and play every step on chain and in the
    model; returns the ``Replay``. Raises ``AssertionError`` naming each step where the twins disagree or the
    outcome is not the file's, ``FileNotFoundError`` naming what was tried."""
    from protocol_model.testing.chain import play_story

    def run(path: str | Path) -> Any:
        return play_story(user_path(request, path), request.getfixturevalue("project"),
                          request.getfixturevalue("accounts"), via_ape(request))

    return run
