"""`ape run bench_inprocess --network ethereum:local:foundry`: cross-checked operations per second in process
(revm) and over anvil's JSON-RPC, on the same seeded operations, measured in this one run, with the ratio.

One operation = model step + chain call + full-state comparison (protocol_model/chain/inprocess_bench.py).
Exits non-zero on any mismatch.
"""

from __future__ import annotations

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.inprocess_bench import DEFAULT_SCENARIO, bench_anvil, bench_inprocess
from protocol_model.scenario.story import load_scenario


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Cross-checked operations per second in process "
    "and over anvil, with the ratio."))
@click.option("--ops", default=3_000, show_default=True, help="operations in process")
@click.option("--anvil-ops", default=300, show_default=True, help="operations over anvil (slower)")
@click.option("--seed", default=1, show_default=True, help="seed of the random operations")
def cli(ops: int, anvil_ops: int, seed: int) -> None:
    scenario = load_scenario(DEFAULT_SCENARIO)
    signers = {a.name: accounts.test_accounts[i + 1] for i, a in enumerate(scenario.accounts)}
    fast = bench_inprocess(ops, seed)
    slow = bench_anvil(project, accounts.test_accounts[0], signers, anvil_ops, seed)
    for result in (fast, slow):
        click.echo(result.line())
    click.echo(f"     ratio: {fast.ops_per_second / slow.ops_per_second:,.1f}x wall, "
               f"{fast.ops_per_cpu_second / slow.ops_per_cpu_second:,.1f}x CPU (in-process / anvil)")
    if fast.mismatches or slow.mismatches:
        raise SystemExit(1)
