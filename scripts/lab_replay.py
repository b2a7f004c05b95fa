"""`ape run lab_replay [--simulation FILE]`: the risk lab picks paths (the worst and some at random) and replays
them on chain.

Without ``--simulation`` the built-in case runs (``sim.onchain.default_case``: six borrowers, a violent
market); with it, the user's simulation file (its protocol, market, book, steps and seed; paths numbered
as ``protocol-model simulate`` numbers them). For each picked path the lab's oracle prices and a keeper's
liquidations become a scenario, played on the connected chain and in the exact model with every field
compared after every step; the table shows the lab's liquidation count and bad debt next to the chain's.
Exits non-zero on any disagreement.
"""

from __future__ import annotations

import click
from ape import accounts
from ape import project as ape_project
from ape.cli import ConnectedProviderCommand

from protocol_model.chain.console import keep_whole, make_console, progress, progress_of, step_table, verbose_option
from protocol_model.chain.driver import connect, restoring
from protocol_model.chain.replay import Replay
from protocol_model.chain.story_chain import deploy_story
from protocol_model.scenario.base import ScenarioError
from protocol_model.sim.onchain import check_path, default_case, pick_paths, simulation_case
from protocol_model.sim.spec import load_simulation


@click.command(cls=ConnectedProviderCommand, short_help="Replay a lab's worst and sampled paths on chain, model "
               "== chain after every step.")
@verbose_option
@click.option("--simulation", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="a simulation file (kind: simulation) to replay; default: the built-in six-borrower case")
@click.option("--paths", type=int, default=None, help="lab paths to simulate  [default: 200 for the built-in "
              "case, the file's paths with --simulation]")
@click.option("--steps", default=20, show_default=True, help="daily steps per path of the built-in case (a "
              "simulation file states its own)")
@click.option("--random", "n_random", default=2, show_default=True, help="random paths replayed besides the worst")
@click.option("--seed", default=42, show_default=True, help="seed of the built-in case's lab run and of the "
              "random picks (a simulation file's lab run uses the file's seed)")
def cli(path, paths, steps, n_random, seed):
    """Run the lab, pick its worst path (most bad debt) and --random others, and replay each through the
    contracts and the exact model; every field must agree after every step and the chain must show the
    lab's liquidations and bad debt."""
    console = make_console()
    try:
        case = simulation_case(load_simulation(path), paths) if path else default_case(paths or 200, steps, seed)
    except ScenarioError as err:
        raise click.ClickException(str(err)) from None
    available = len(accounts.test_accounts) - 1
    if case.accounts > available:
        raise click.ClickException(f"{path}: book.synthetic.positions: {len(case.names)} positions need "
                                   f"{case.accounts} accounts with the supplier and keeper, but this network "
                                   f"offers {available} besides the deployer")
    with progress_of(console, "risk lab", lambda: 0):
        lab = case.run()
    picks = pick_paths(lab, n_random, seed)
    title = f"lab paths on chain ({case.n_paths} paths × {len(case.book)} positions × {case.n_steps} steps)"
    cols = ("path", "why", "steps", "liq. lab", "liq. chain", "bad debt lab", "bad debt chain", "equal")
    table = step_table(f"{title}, {path or 'built-in case'}", cols, whole=cols,
                       right=[c for c in cols if c not in ("why", "equal")])
    driver = connect(ape_project)
    checks = []
    for n, p in progress(console, enumerate(picks), len(picks), "paths on chain"):
        scenario = case.exact(lab, p).scenario
        with restoring(driver):
            replay = Replay.start(scenario, deploy_story(scenario, ape_project, accounts.test_accounts, driver))
            check = check_path(case, lab, p, replay.run())
        checks.append(check)
        bad = "\n".join(f"{v:,.6f} {k}" for k, v in check.bad_debt_lab.items() if v) or "0"
        chain_bad = "\n".join(f"{v:,.6f} {k}" for k, v in check.bad_debt_chain.items() if v) or "0"
        table.add_row(str(p), "worst" if n == 0 else "random", str(check.steps), str(check.lab_liquidations),
                      str(check.chain_liquidations), bad, chain_bad, "yes" if check.ok else "NO")
    console.print(keep_whole(table))
    for check in checks:
        for failure in check.failures:
            console.print(f"[red]path {check.path}: {failure}")
    operations = sum(c.steps for c in checks)
    console.print(f"crosscheck: {len(checks)} sequences, {operations} operations, "
                  f"{sum(not c.ok for c in checks)} paths with a disagreement")
    if not all(c.ok for c in checks):
        raise SystemExit(1)
