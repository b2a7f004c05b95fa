"""`ape run loops [--story open_3x|crash_cascade|stable_depeg|oracle_lag] [--file FILE]`: a loop story on chain
and in the exact model, step by step: outcome on both sides, whether every field agrees, each looper's
collateral, debt, leverage and health factor, the pair's price and the oracle's.

`open_3x` opens a 3x flash loop and a 3-round iterative loop and unwinds them (half, then all);
`crash_cascade` is the crash whose liquidations sell into the pair; `stable_depeg` and `oracle_lag` the rest.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand
from rich.table import Table

from protocol_model.chain.console import make_console, verbose_option
from protocol_model.chain.replay import Replay
from protocol_model.chain.story_chain import deploy_story
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.scenario.story import ScenarioError, load_scenario

LOOPS = Path(__file__).resolve().parents[1] / "scenarios" / "loops"


def _loopers(scenario) -> list[tuple[str, str, str]]:
    seen = []
    for s in scenario.steps:
        if s.op == "loop_open" and (s.account, s.collateral, s.debt) not in seen:
            seen.append((s.account, s.collateral, s.debt))
    return seen


@click.command(cls=ConnectedProviderCommand, short_help="A loop story on chain and in the exact model, step by step.")
@verbose_option
@click.option("--story", type=click.Choice(sorted(p.stem for p in LOOPS.glob("*.yaml"))), default="open_3x",
              show_default=True, help="a loop story of scenarios/loops/")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="any loop story file (instead of --story)")
def cli(story, path):
    console = make_console()
    try:
        scenario = load_scenario(path or LOOPS / f"{story}.yaml")
        replay = Replay.start(scenario, deploy_story(scenario, project, accounts.test_accounts))
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    console.print(f"[bold]{scenario.name}[/bold]: {' '.join(scenario.description.split())}")
    loopers = _loopers(scenario)
    table = Table(title="steps (model == chain after every step, every field)")
    cols = ["#", "action", "expected", "model", "chain", "equal"]
    for who, coll, debt in loopers:
        cols += [f"{who} {coll}", f"{who} {debt} debt", f"{who} lev", f"{who} HF"]
    cols += [f"{p.name} price" for p in scenario.amm_pairs] + [f"oracle {p.assets[0]}" for p in scenario.amm_pairs]
    for c in cols:
        table.add_column(c, justify="right" if c not in ("action",) else "left")
    for r in replay.run():
        snap = r.snapshot
        a = r.action
        label = " ".join(x for x in (a.kind, a.account or a.asset, a.borrower and f"-> {a.borrower}") if x)
        row = [str(r.index), label, r.expected, r.model, r.chain,
               "yes" if not r.mismatches else f"NO ({len(r.mismatches)})"]
        for who, coll, debt in loopers:
            c_spec, d_spec = scenario.asset(coll), scenario.asset(debt)
            c_units = snap.field("position", (coll, who), "supply_balance")
            d_units = snap.field("position", (debt, who), "debt_balance")
            c_value = c_units * snap.field("asset", coll, "price_wad") / 10**c_spec.decimals
            d_value = d_units * snap.field("asset", debt, "price_wad") / 10**d_spec.decimals
            lev = f"{c_value / (c_value - d_value):.3f}" if d_units and c_value > d_value else "-"
            hf = snap.field("account", who, "health_factor_wad")
            row += [f"{c_units / 10**c_spec.decimals:,.4f}", f"{d_units / 10**d_spec.decimals:,.2f}", lev,
                    "∞" if hf == UINT256_MAX else f"{hf / WAD:.4f}"]
        for p in scenario.amm_pairs:
            ra, rb = snap.pairs[p.name][:2]
            a, b = (scenario.asset(x) for x in p.assets)
            row.append(f"{rb / 10**b.decimals / (ra / 10**a.decimals):,.4f}")
        for p in scenario.amm_pairs:
            row.append(f"{snap.field('asset', p.assets[0], 'price_wad') / WAD:,.4f}")
        table.add_row(*row)
    console.print(table)
    unexpected = [r for r in replay.results if not r.as_expected]
    console.print(f"crosscheck: 1 sequences, {len(replay.results)} operations, {replay.mismatches} mismatches")
    if replay.mismatches or unexpected:
        raise click.ClickException(f"{replay.mismatches} mismatches, {len(unexpected)} unexpected outcomes")
