"""`ape run demo [--scenario FILE]`: deploy a scenario, play it on chain and in the exact model, report.

Every step runs at the same block time on both sides; after each one the full observable state (every
account's supply, debt and health factor, pool totals, indexes, reserves, bad debt, token balances,
prices) is compared to the wei.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console
from rich.table import Table

from protocol_model.chain.replay import Replay
from protocol_model.chain.story_chain import crosscheck_line, deploy_story, failures
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
def cli(path):
    """Deploy a story's pool, play every step on chain and in the exact model at the same block time, and
    compare every field after each step; exit 1 on any disagreement or unexpected outcome."""
    console = Console(width=200)
    try:
        scenario = load_scenario(path)
        world = deploy_story(scenario, project, accounts.test_accounts)
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    replay = Replay.start(scenario, world)
    console.print(f"[bold]{scenario.name}[/bold]: {scenario.description.strip()}")

    table = Table(title="steps (model == chain after every step)")
    hf_columns = [f"HF {a.name}" for a in scenario.accounts]
    for col in ("#", "action", "expected", "model", "chain", "fields equal", *hf_columns):
        table.add_column(col)
    for result in replay.run():
        snap = result.snapshot
        hfs = [_hf(snap.field("account", a.name, "health_factor_wad")) for a in scenario.accounts]
        table.add_row(str(result.index), result.action.describe(), result.expected, result.model, result.chain,
                      "yes" if not result.mismatches else f"NO ({len(result.mismatches)})", *hfs)
    console.print(table)

    final = replay.results[-1].snapshot if replay.results else world.snapshot()
    positions = Table(title="final positions (whole tokens)")
    for col in ("account", "asset", "supplied", "debt", "wallet"):
        positions.add_column(col)
    for acct in scenario.accounts:
        for spec in scenario.assets:
            _, _, sup, debt, bal = final.positions[(spec.name, acct.name)]
            if sup or debt or bal:
                positions.add_row(acct.name, spec.name, f"{whole(sup, spec.decimals):,f}",
                                  f"{whole(debt, spec.decimals):,f}", f"{whole(bal, spec.decimals):,f}")
    console.print(positions)

    pool = Table(title="pool")
    for col in ("asset", "supplied", "borrowed", "reserves", "bad debt", "supply index", "borrow index"):
        pool.add_column(col)
    for spec in scenario.assets:
        s = replay.model.pool.assets[spec.name].state
        pool.add_row(spec.name, f"{whole(s.total_supply(), spec.decimals):,f}",
                     f"{whole(s.total_debt(), spec.decimals):,f}",
                     f"{whole(s.reserves, spec.decimals):,f}", f"{whole(s.bad_debt, spec.decimals):,f}",
                     f"{s.supply_index_ray / 10**27:.9f}", f"{s.borrow_index_ray / 10**27:.9f}")
    console.print(pool)

    console.print(crosscheck_line(replay))
    bad = failures(replay)
    for r in bad:
        console.print(f"step {r.index}: model={r.model} chain={r.chain} expected={r.expected} {r.mismatches[:5]}")
    if bad:
        raise SystemExit(1)
