"""`ape run deploy --scenario FILE [--out FILE] [--state FILE] [--mine-to BLOCK]`

Deploys a scenario's protocol on the connected network (tokens, feeds, rate models, router, pool, lens),
opens every account's positions on chain and in the exact model (compared to the wei), and writes a
deployment record (chain id, block, addresses, parameters, accounts). The file is validated and the
opening positions are tried in the model first: a bad scenario gets one error naming the field, and
nothing is deployed or written. ``--state`` saves the chain (anvil) so the populated protocol is a
reusable fixture (``anvil --load-state FILE``). A chain that dies during the deployment or the opening
positions ends the command with one line naming the phase and the step (exit 1, no record written).
``--keep-chain`` leaves the chain running afterwards (RPC URL and anvil pid printed; Ctrl+C stops it).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.console import stop_with, verbose_option
from protocol_model.chain.driver import is_anvil
from protocol_model.chain.faults import ChainFault, ape_node
from protocol_model.chain.play import load_checked
from protocol_model.chain.record import record_of
from protocol_model.chain.session import deploy_and_open_watched, hold_chain, keep_chain_option
from protocol_model.chain.state import dump_state
from protocol_model.scenario.story import ScenarioError

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml"


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Deploy a story's protocol, open its "
    "positions and write a deployment record."))
@click.option("--scenario", "path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT),
              show_default=True, help="the story whose protocol and opening positions to deploy")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="deployment record (default out/deployments/<scenario name>.json)")
@click.option("--state", type=click.Path(dir_okay=False), default=None,
              help="also save the chain state here (anvil only)")
@click.option("--mine-to", type=int, default=None, help="mine empty blocks until the head is this block")
@keep_chain_option
@verbose_option
def cli(path, out, state, mine_to, keep_chain):
    try:
        scenario, signers = load_checked(path, accounts.test_accounts)
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    if state and not is_anvil():
        raise click.ClickException(f"--state needs an anvil node, not {chain.provider.name}")
    node = ape_node()
    try:
        replay = deploy_and_open_watched(scenario, project, accounts.test_accounts[0], signers, node)
    except ChainFault as err:
        stop_with(str(err))
    if mine_to is not None:
        head = chain.blocks.head.number
        if head > mine_to:
            raise click.ClickException(f"--mine-to {mine_to}: the deployment already reached block {head}")
        if head < mine_to:
            chain.provider.make_request("anvil_mine", [hex(mine_to - head)])
    record = record_of(replay.chain, chain.provider.network_choice)
    out = Path(out or f"out/deployments/{scenario.name}.json")
    if state:
        dump_state(chain.provider.web3.provider.make_request, state)
        click.echo(f"state: {state}")
    record.write(out)
    click.echo(f"{scenario.name}: pool {record.pool} on chain {record.chain_id} at block {record.block_number}; "
               f"{len(replay.results)} opening positions, model == chain; record: {out}")
    if keep_chain:
        hold_chain(node)
