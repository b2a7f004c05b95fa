"""`ape run bench_inprocess --network ethereum:local:foundry` (`make bench` runs it): cross-checked operations per
second in process (revm), over anvil's JSON-RPC and through ape, on the same seeded operations, measured in
this one run, with the ratios in-process / anvil and in-process / ape.

One operation = model step + chain call + full-state comparison, every field after every operation
(protocol_model/chain/inprocess_bench.py). A fourth line, labelled "sampled", is the cheaper mode (stored
fields every operation, the full comparison every N and at the end); the ratios use the full mode only.
Exits non-zero on any mismatch.
"""

from __future__ import annotations

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from protocol_model.chain.inprocess_bench import (
    DEFAULT_SCENARIO,
    FULL_EVERY,
    bench_anvil,
    bench_ape,
    bench_inprocess,
    bench_inprocess_sampled,
)
from protocol_model.scenario.story import load_scenario

TARGET_OPS_PER_SECOND = 25_000
"""issue 16's in-process target (full cross-check)."""
TARGET_RATIO = 100
"""issue 16's in-process / anvil target."""


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Cross-checked operations per second in process, "
    "over anvil and through ape, with the ratios."))
@click.option("--ops", default=3_000, show_default=True, help="operations in process")
@click.option("--anvil-ops", default=300, show_default=True, help="operations over anvil's JSON-RPC")
@click.option("--ape-ops", default=60, show_default=True, help="operations through ape (slowest)")
@click.option("--full-every", default=FULL_EVERY, show_default=True, help="sampled mode: full comparison period")
@click.option("--seed", default=1, show_default=True, help="seed of the random operations")
def cli(ops: int, anvil_ops: int, ape_ops: int, full_every: int, seed: int) -> None:
    logger.set_level("ERROR")  # ape's per-transaction lines would bury the report
    scenario = load_scenario(DEFAULT_SCENARIO)
    signers = {a.name: accounts.test_accounts[i + 1] for i, a in enumerate(scenario.accounts)}
    deployer = accounts.test_accounts[0]
    fast = bench_inprocess(ops, seed)
    sampled = bench_inprocess_sampled(ops, seed, full_every)
    anvil = bench_anvil(project, deployer, signers, anvil_ops, seed)
    ape = bench_ape(project, deployer, signers, ape_ops, seed)
    for result in (fast, anvil, ape, sampled):
        click.echo(result.line())
    click.echo(f"{'ratio':>34}: {fast.ratio(anvil)}")
    click.echo(f"{'ratio':>34}: {fast.ratio(ape)}")
    best = fast.ops_per_cpu_second  # CPU: the stable figure on a shared machine
    ratio = fast.ops_per_total_cpu_second / anvil.ops_per_total_cpu_second if anvil.operations else 0.0
    click.echo(f"{'targets':>34}: {TARGET_OPS_PER_SECOND:,} ops/s in process (full): "
               f"{'met' if best >= TARGET_OPS_PER_SECOND else 'NOT met'} ({best:,.0f} CPU); "
               f">= {TARGET_RATIO}x anvil: {'met' if ratio >= TARGET_RATIO else 'NOT met'} ({ratio:,.1f}x CPU)")
    if fast.mismatches or sampled.mismatches or anvil.mismatches or ape.mismatches:
        raise SystemExit(1)
