"""`ape run demo`: the default scenario on the connected chain, with its model cross-check."""

from __future__ import annotations

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from protocol_model import fixed_point as fp


@click.command(cls=ConnectedProviderCommand)
def cli():
    account = accounts.test_accounts[0]
    harness = account.deploy(project.MathHarness)
    cases = [(10**18, 3, 7), (2**255, 3, 5), (1, 1, 3)]
    mismatches = 0
    for x, y, d in cases:
        for name, model in (("mulDivDown", fp.mul_div_down), ("mulDivUp", fp.mul_div_up)):
            chain_value = getattr(harness, name)(x, y, d)
            ok = chain_value == model(x, y, d)
            mismatches += not ok
            click.echo(f"{name}({x}, {y}, {d}) chain={chain_value} model={model(x, y, d)} {'ok' if ok else 'MISMATCH'}")
    click.echo(f"crosscheck: {len(cases) * 2} calls, {mismatches} mismatches")
    if mismatches:
        raise SystemExit(1)
