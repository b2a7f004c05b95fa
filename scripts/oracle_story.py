"""`ape run oracle_story --name stale_crash`: one oracle story, naive and protected, replayed on chain and in
the exact model; prints its outcome table (and any model/chain disagreement)."""

from __future__ import annotations

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.console import ActionText, keep_whole, make_console, progress_of, step_table, verbose_option
from protocol_model.chain.driver import connect, restoring
from protocol_model.chain.oracle_replay import track_outcome
from protocol_model.chain.replay import Replay
from protocol_model.chain.story_chain import deploy_story
from protocol_model.scenario.story import ScenarioError, load_scenario
from protocol_model.world.oracle_stories import STORIES, VARIANTS, available, story_path


@click.command(cls=ConnectedProviderCommand, short_help=(
    "An oracle story, naive and protected, "
    "on chain and in the exact model."))
@verbose_option
@click.option("--name", type=click.Choice(list(STORIES)), required=True, help="story to run")
def cli(name):
    console = make_console()
    if name not in available():
        raise click.ClickException(f"story '{name}' has no scenario files yet (available: {', '.join(available())})")
    outcomes, disagreements = {}, 0
    driver = connect(project)
    for variant in VARIANTS:
        try:
            scenario = load_scenario(story_path(name, variant))
        except ScenarioError as err:
            raise click.ClickException(str(err)) from None
        with restoring(driver):
            replay = Replay.start(scenario, deploy_story(scenario, project, accounts.test_accounts, driver))
            done = replay.results.__len__
            with progress_of(console, f"{name} ({variant})", done, len(scenario.steps)):
                outcomes[variant] = track_outcome(replay)
            results = replay.results
        disagreements += replay.mismatches
        for r in results:
            if not r.agrees or not r.as_expected:
                console.print(f"[red]{variant} step {r.index} {ActionText(scenario).describe(r.action)}: "
                              f"model {r.model}, chain {r.chain}, expected {r.expected}; {r.mismatches[:3]}")
    table = step_table(f"{STORIES[name]} — outcome at market prices", ("measure", *VARIANTS),
                       whole=VARIANTS, right=VARIANTS)
    rows = {v: dict(outcomes[v].rows()) for v in VARIANTS}
    keys = list(dict.fromkeys(k for v in VARIANTS for k in rows[v]))
    for key in keys:
        table.add_row(key, *(rows[v].get(key, "0.00") for v in VARIANTS))
    console.print(keep_whole(table))
    console.print(f"model == chain on every field after every step: {'yes' if disagreements == 0 else 'NO'}")
    if disagreements:
        raise click.ClickException(f"{disagreements} steps disagree")
