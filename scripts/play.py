"""`ape run play --scenario FILE [--report FILE]`

Deploys the scenario and opens its positions, runs its steps, then walks its price path: after every
point the keeper liquidates whatever the model says is liquidatable (deterministic choice, see
docs/fork_testing.md), both twins are compared on every field after every call, and the scenario's
checks are evaluated. The report (JSON lines) is written as the run goes: if the chain dies mid-run it
keeps the steps already done and ends with one ``error`` line; the command exits with that message.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.play import ChainDied, Player, Report, deploy_and_open, preflight
from protocol_model.chain.record import scenario_signers
from protocol_model.scenario.story import ScenarioError, load_scenario

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "fork" / "populated.yaml"


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Deploy a story, run its steps "
    "and price path with a keeper, cross-checked."))
@click.option("--scenario", "path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT),
              show_default=True, help="the story (with a price path and checks) to play")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="JSON-lines report (default out/reports/<scenario name>.play.jsonl)")
def cli(path, report_path):
    try:
        scenario = load_scenario(path)
        preflight(scenario, path)
        signers = scenario_signers(scenario, accounts.test_accounts)
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    report = Report.open(report_path or f"out/reports/{scenario.name}.play.jsonl")
    try:
        report.write("start", scenario=scenario.name, network=chain.provider.network_choice,
                     chain_id=chain.chain_id)
        replay = deploy_and_open(scenario, project, accounts.test_accounts[0], signers)
        report.write("opened", positions=len(replay.results), block=chain.blocks.head.number, time=replay.now)
        player = Player(scenario, replay, report)
        ok = player.run()
    except ChainDied as err:
        raise click.ClickException(f"{err} Report: {report.stream.name}") from None
    finally:
        report.close()
    end = report.records[-1]
    points = [r for r in report.records if r["event"] == "point"]
    liquidations = sum(1 for r in report.records if r["event"] == "step" and r["phase"] == "keeper")
    click.echo(f"{scenario.name}: {end['steps']} calls, {end['mismatches']} mismatches, {len(points)} path points, "
               f"{liquidations} keeper liquidations, {sum(len(p['checks']) for p in points)} checks; "
               f"report: {report.stream.name}")
    for failure in end["failures"]:
        click.echo(f"  FAILED {failure}")
    if not ok:
        raise SystemExit(1)
