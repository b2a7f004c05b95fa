"""`ape run gas_snapshot` (`make gas-snapshot`): re-measure every entry point of LendingPool, PriceRouter,
Looper, LeveragedToken and PerpEngine (protocol_model/chain/gas.py) and rewrite `.gas-snapshot`; prints each
figure that changed. `--check` only compares with the committed file (exit 1 on a rise above 1%)."""

from __future__ import annotations

import click
from ape import project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.gas import (
    SNAPSHOT_FILE,
    UPDATE_COMMAND,
    compare,
    measure_snapshot,
    parse_snapshot,
    unmeasured,
    write_snapshot,
)


@click.command(cls=ConnectedProviderCommand, short_help="Re-measure the gas snapshot (.gas-snapshot).")
@click.option("--check", is_flag=True, help="Compare with the committed snapshot instead of rewriting it.")
def cli(check: bool):
    measured = measure_snapshot(project)
    if not check:
        write_snapshot(measured, SNAPSHOT_FILE, click.echo, unmeasured(project, measured))
        click.echo(f"{SNAPSHOT_FILE.name}: {len(measured)} operations")
        return
    problems = compare(parse_snapshot(SNAPSHOT_FILE.read_text(), str(SNAPSHOT_FILE)), measured)
    for p in problems:
        click.echo(p)
    if problems:
        click.echo(f"update with `{UPDATE_COMMAND}` if the change is intended")
        raise SystemExit(1)
    click.echo(f"{SNAPSHOT_FILE.name}: {len(measured)} operations hold")
