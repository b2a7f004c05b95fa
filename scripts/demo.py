"""`ape run demo [--scenario FILE]`: deploy a scenario, play it on chain and in the exact model, report.

Every step runs at the same block time on both sides; after each one the full observable state (every
account's supply, debt and health factor, pool totals, indexes, reserves, bad debt, token balances,
prices) is compared to the wei. The step table shows amounts in the file's units (tokens, USD, %; raw
integers with ``--raw``) and fits the terminal; ape's per-transaction logs show with ``-v``. A chain that
dies mid-run ends with the steps done so far and one line naming the phase and step (exit 1).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.console import (
    ActionText,
    keep_whole,
    make_console,
    outcome,
    step_table,
    stop_with,
    verbose_option,
)
from protocol_model.chain.faults import ChainFault, ape_node, pause_point, watch
from protocol_model.chain.record import scenario_signers
from protocol_model.chain.session import deploy_and_open_watched
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.scenario.story import ScenarioError, load_scenario
from protocol_model.world.model_world import whole

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml"


def _hf(value: int) -> str:
    return "∞" if value == UINT256_MAX else f"{value / WAD:.4f}"


@click.command(cls=ConnectedProviderCommand, short_help="Play a story on chain and in the exact model, "
               "compared after every step.")
@click.option("--scenario", "path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT),
              show_default=True, help="a story file (kind: story); its accounts, by any names, play the "
              "provider's test accounts 1, 2, ... in file order")
@click.option("--raw", is_flag=True, help="amounts and prices as the integers both twins run")
@verbose_option
def cli(path, raw):
    """Deploy a story's pool, play every step on chain and in the exact model at the same block time, and
    compare every field after each step; exit 1 on any disagreement or unexpected outcome."""
    console = make_console()
    try:
        scenario = load_scenario(path)
        signers = scenario_signers(scenario, accounts.test_accounts)
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    node = ape_node()
    try:
        replay = deploy_and_open_watched(scenario, project, accounts.test_accounts[0], signers, node,
                                         open_accounts=False)
    except ChainFault as err:
        stop_with(str(err))
    world = replay.chain
    console.print(f"[bold]{scenario.name}[/bold]: {' '.join(scenario.description.split())}")

    text = ActionText(scenario, raw)
    hf_columns = [f"HF {a.name}" for a in scenario.accounts]
    table = step_table("steps (model == chain after every step)",
                       ("#", "action", "outcome", "equal", *hf_columns),
                       whole=("#", "outcome", "equal", *hf_columns), right=hf_columns)
    try:
        with watch("steps", lambda: len(replay.results), node.alive):
            for i, step in enumerate(world.scenario_steps()):
                pause_point("steps", node.pid, i)
                result = replay.step(world.resolve(step), step.expect)
                snap = result.after()
                hfs = [_hf(snap.field("account", a.name, "health_factor_wad")) for a in scenario.accounts]
                table.add_row(str(result.index), text.describe(result.action),
                              outcome(result.model, result.chain, result.expected),
                              "yes" if not result.mismatches else f"NO ({len(result.mismatches)})", *hfs)
    except ChainFault as err:
        console.print(keep_whole(table))
        stop_with(str(err))
    console.print(keep_whole(table))

    final = replay.results[-1].snapshot if replay.results else world.snapshot()
    positions = step_table("final positions (whole tokens)", ("account", "asset", "supplied", "debt", "wallet"))
    for acct in scenario.accounts:
        for spec in scenario.assets:
            _, _, sup, debt, bal, *_ = final.positions[(spec.name, acct.name)]
            if sup or debt or bal:
                positions.add_row(acct.name, spec.name, f"{whole(sup, spec.decimals):,f}",
                                  f"{whole(debt, spec.decimals):,f}", f"{whole(bal, spec.decimals):,f}")
    console.print(positions)

    pool = step_table("pool", ("asset", "supplied", "borrowed", "reserves", "bad debt", "supply index",
                               "borrow index"))
    for spec in scenario.assets:
        s = replay.model.pool.assets[spec.name].state
        pool.add_row(spec.name, f"{whole(s.total_supply(), spec.decimals):,f}",
                     f"{whole(s.total_debt(), spec.decimals):,f}",
                     f"{whole(s.reserves, spec.decimals):,f}", f"{whole(s.bad_debt, spec.decimals):,f}",
                     f"{s.supply_index_ray / 10**27:.9f}", f"{s.borrow_index_ray / 10**27:.9f}")
    console.print(pool)

    unexpected = [r for r in replay.results if not r.as_expected]
    console.print(f"crosscheck: 1 sequences, {len(replay.results)} operations, {replay.mismatches} mismatches")
    if replay.mismatches or unexpected:
        for r in replay.results:
            if not r.agrees or not r.as_expected:
                console.print(f"step {r.index}: model={r.model} chain={r.chain} expected={r.expected} "
                              f"{r.mismatches[:5]}")
        raise SystemExit(1)
