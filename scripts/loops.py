"""`ape run loops [--story open_3x|crash_cascade|stable_depeg|oracle_lag] [--file FILE] [--raw]`: a loop story on chain
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

from protocol_model.chain.console import (
    ActionText,
    keep_whole,
    make_console,
    outcome,
    progress_of,
    step_table,
    verbose_option,
)
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


def _looper_row(scenario, snap, who: str, coll: str, debt: str) -> list[str]:
    """One looper after a step: collateral and debt in whole tokens, leverage (collateral value over equity)
    and health factor."""
    c_spec, d_spec = scenario.asset(coll), scenario.asset(debt)
    c_units = snap.field("position", (coll, who), "supply_balance")
    d_units = snap.field("position", (debt, who), "debt_balance")
    c_value = c_units * snap.field("asset", coll, "price_wad") / 10**c_spec.decimals
    d_value = d_units * snap.field("asset", debt, "price_wad") / 10**d_spec.decimals
    lev = f"{c_value / (c_value - d_value):.3f}x" if d_units and c_value > d_value else "-"
    hf = snap.field("account", who, "health_factor_wad")
    return [who, f"{c_units / 10**c_spec.decimals:,.4f} {coll}", f"{d_units / 10**d_spec.decimals:,.2f} {debt}",
            lev, "∞" if hf == UINT256_MAX else f"{hf / WAD:.4f}"]


def _prices(scenario, snap) -> str:
    """Each pair's spot price and its oracle's, in USD per first asset (``pair 1,234.5 / oracle 1,230``)."""
    out = []
    for p in scenario.amm_pairs:
        ra, rb = snap.pairs[p.name][:2]
        a, b = (scenario.asset(x) for x in p.assets)
        spot = rb / 10**b.decimals / (ra / 10**a.decimals)
        oracle = snap.field("asset", p.assets[0], "price_wad") / WAD
        out.append(f"{spot:,.2f} / {oracle:,.2f}")
    return " · ".join(out)


@click.command(cls=ConnectedProviderCommand, short_help="A loop story on chain and in the exact model, step by step.")
@verbose_option
@click.option("--story", type=click.Choice(sorted(p.stem for p in LOOPS.glob("*.yaml"))), default="open_3x",
              show_default=True, help="a loop story of scenarios/loops/")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="any loop story file (instead of --story)")
@click.option("--raw", is_flag=True, help="amounts and prices as the integers both twins run")
def cli(story, path, raw):
    """Replay a loop story on chain and in the exact model; print each step's outcome and every looper's
    position after it; exit 1 on any disagreement or unexpected outcome."""
    console = make_console()
    try:
        scenario = load_scenario(path or LOOPS / f"{story}.yaml")
        replay = Replay.start(scenario, deploy_story(scenario, project, accounts.test_accounts))
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    console.print(f"[bold]{scenario.name}[/bold]: {' '.join(scenario.description.split())}")
    with progress_of(console, "steps", lambda: len(replay.results), len(scenario.steps)):
        results = replay.run()
    text = ActionText(scenario, raw)
    pairs = ", ".join(p.name for p in scenario.amm_pairs)
    steps = step_table("steps (model == chain after every step, every field)",
                       ("#", "action", "outcome", "equal", f"{pairs} pair / oracle $"),
                       whole=("#", "outcome", "equal"), right=("#",))
    loopers = _loopers(scenario)
    positions = step_table("loopers after each step that changed them",
                           ("#", "looper", "collateral", "debt", "leverage", "HF"),
                           whole=("#", "looper", "collateral", "debt", "leverage", "HF"),
                           right=("#", "collateral", "debt", "leverage", "HF"))
    shown: dict[str, list[str]] = {}
    for r in results:
        steps.add_row(str(r.index), text.describe(r.action), outcome(r.model, r.chain, r.expected),
                      "yes" if not r.mismatches else f"NO ({len(r.mismatches)})", _prices(scenario, r.snapshot))
        for who, coll, debt in loopers:
            row = _looper_row(scenario, r.snapshot, who, coll, debt)
            key = f"{who} {coll} {debt}"
            if shown.get(key, [who, f"{0:,.4f} {coll}", f"{0:,.2f} {debt}", "-", "∞"]) != row:
                positions.add_row(str(r.index), *row)
            shown[key] = row
    console.print(keep_whole(steps))
    if loopers:
        console.print(keep_whole(positions))
    unexpected = [r for r in replay.results if not r.as_expected]
    console.print(f"crosscheck: 1 sequences, {len(replay.results)} operations, {replay.mismatches} mismatches")
    if replay.mismatches or unexpected:
        raise click.ClickException(f"{replay.mismatches} mismatches, {len(unexpected)} unexpected outcomes")
