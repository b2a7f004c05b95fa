"""`ape run play --scenario FILE [--report FILE] [--keep-chain] [-v]`

Deploys the scenario and opens its positions, runs its steps, then walks its price path: after every
point the keeper liquidates whatever the model says is liquidatable (deterministic choice, see
docs/fork_testing.md), both twins are compared on every field after every call, and the scenario's
checks are evaluated. The report (JSON lines) is written as the run goes: if the chain dies in any phase
(deploy, opening positions, steps, path) it keeps what was done and ends with one ``error`` line; the
command prints one line naming the phase and the step, and exits 1. The bad debt left in each asset is
printed in tokens and USD (and reported as a ``bad_debt`` record). ``--keep-chain`` leaves the chain
running afterwards (its RPC URL and anvil pid are printed; Ctrl+C stops it).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.console import make_console, progress_of, stop_with, verbose_option
from protocol_model.chain.faults import ChainFault, ape_node, pause_point, watch
from protocol_model.chain.play import Player, Report, load_checked
from protocol_model.chain.session import bad_debt_rows, deploy_and_open_watched, hold_chain, keep_chain_option
from protocol_model.scenario.story import ScenarioError

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "fork" / "populated.yaml"


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Deploy a story, run its steps "
    "and price path with a keeper, cross-checked."))
@click.option("--scenario", "path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT),
              show_default=True, help="the story (with a price path and checks) to play")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="JSON-lines report (default out/reports/<scenario name>.play.jsonl)")
@keep_chain_option
@verbose_option
def cli(path, report_path, keep_chain):
    try:
        scenario, signers = load_checked(path, accounts.test_accounts)
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    report = Report.open(report_path or f"out/reports/{scenario.name}.play.jsonl")
    node = ape_node()
    try:
        report.write("start", scenario=scenario.name, network=chain.provider.network_choice,
                     chain_id=chain.chain_id)
        replay = deploy_and_open_watched(scenario, project, accounts.test_accounts[0], signers, node)
        report.write("opened", positions=len(replay.results), block=chain.blocks.head.number, time=replay.now)
        player = Player(scenario, replay, report)
        with watch("steps", lambda: len(replay.results), node.alive), \
                progress_of(make_console(), f"{scenario.name}: calls", lambda: len(replay.results)):
            pause_point("steps", node.pid)
            ok = player.run()
        bad = bad_debt_rows(scenario, replay.model.snapshot())
        report.write("bad_debt", assets={a: {"tokens": t, "usd": u} for a, t, u in bad})
    except ChainFault as err:  # reported: the report with its error record is kept
        if report.records[-1]["event"] != "error":
            report.write("error", message=str(err))
        report.close()
        stop_with(f"{err} Report: {report.path}")
    except BaseException:  # interrupted, or an error not reported: the previous report stays whole
        report.discard()
        raise
    report.close()
    end = next(r for r in reversed(report.records) if r["event"] == "end")
    points = [r for r in report.records if r["event"] == "point"]
    liquidations = sum(1 for r in report.records if r["event"] == "step" and r["phase"] == "keeper")
    click.echo(f"{scenario.name}: {end['steps']} calls, {end['mismatches']} mismatches, {len(points)} path points, "
               f"{liquidations} keeper liquidations, {sum(len(p['checks']) for p in points)} checks; "
               f"report: {report.path}")
    for asset, amount, usd in bad:
        click.echo(f"  bad debt {asset}: {amount} tokens = {usd} USD")
    if not bad:
        click.echo("  bad debt: none")
    for failure in end["failures"]:
        click.echo(f"  FAILED {failure}")
    if keep_chain:
        hold_chain(node)
    if not ok:
        raise SystemExit(1)
