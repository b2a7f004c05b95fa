"""How a chain script runs and what it leaves behind: the deployment and the opening positions in watched
phases (``deploy_and_open_watched``), the bad debt per asset, and (``--keep-chain``) a running chain.

``bad_debt_rows`` reads the bad debt of every asset from a lending snapshot, in whole tokens and in USD
at the oracle price the pool reads. ``hold_chain`` keeps the node up after a run (a node ape started
stops when the script's process ends, so the script waits until Ctrl+C) and prints how to reach it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.console import tokens
from protocol_model.chain.faults import Node, pause_point, watch
from protocol_model.chain.play import open_positions
from protocol_model.chain.replay import Replay
from protocol_model.exact.decimal_context import EXACT
from protocol_model.world.model_world import whole


def keep_chain_option(command: Any) -> Any:
    """Decorator: ``--keep-chain`` (flag, parameter ``keep_chain``): leave the chain running at the end."""
    return click.option("--keep-chain", is_flag=True,
                        help="leave the chain running at the end (prints its RPC URL and anvil pid; "
                             "Ctrl+C stops it)")(command)


def bad_debt_rows(scenario: Any, snapshot: Any) -> list[tuple[str, str, str]]:
    """``(asset, bad debt in whole tokens, its USD value at the pool's price to 2 decimals)`` for every
    asset of ``scenario`` with bad debt in ``snapshot`` (a world.snapshot.Snapshot: ``bad_debt`` in token
    units, ``price_wad`` the USD price × 1e18); assets without bad debt are left out."""
    rows = []
    for spec in scenario.assets:
        units = int(snapshot.field("asset", spec.name, "bad_debt"))
        if units:
            price = whole(int(snapshot.field("asset", spec.name, "price_wad")), 18)
            usd = EXACT.multiply(whole(units, spec.decimals), price)  # exact, rounded to print
            rows.append((spec.name, tokens(units, spec.decimals), f"{usd:,.2f}"))
    return rows


def hold_chain(node: Node) -> None:
    """Print the node's RPC URL and process id, then wait until interrupted (Ctrl+C / SIGTERM; ape then
    stops a node it started). Returns at once, with a note, when the node was not started by this run
    (it keeps running anyway)."""
    if node.pid is None:
        click.echo(f"chain: {node.uri} (not started by this run: it keeps running)")
        return
    click.echo(f"chain kept running: RPC {node.uri}, anvil pid {node.pid}. Attach from another terminal, e.g. "
               f"`cast block-number --rpc-url {node.uri}`; Ctrl+C stops it.")
    sys.stdout.flush()
    while True:
        time.sleep(1)


def deploy_and_open_watched(scenario: Any, project: Any, deployer: Any, signers: dict[str, Any],
                            node: Node, open_accounts: bool = True) -> Any:
    """``chain.play.deploy_and_open`` in two watched phases, ``deploy`` and ``opening positions``
    (each a ``pause_point``); a dead chain raises ``ChainStopped`` naming the phase and the step. Returns
    the ``Replay`` with the opening positions done (model == chain checked; skipped when
    ``open_accounts`` is False, as the demo plays a story's steps from the bare deployment)."""
    with watch("deploy", lambda: 0, node.alive):
        pause_point("deploy", node.pid)
        replay = Replay.start(scenario, ChainWorld.deploy(scenario, project, deployer, signers))
    if not open_accounts:
        return replay
    with watch("opening positions", lambda: len(replay.results), node.alive):
        pause_point("opening positions", node.pid)
        open_positions(replay, scenario)
    return replay
