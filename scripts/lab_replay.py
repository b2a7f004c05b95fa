"""`ape run lab_replay`: the risk lab picks paths (the worst and some at random) and replays them on chain.

For each picked path the lab's oracle prices and a keeper's liquidations become a scenario, played on
the connected chain and in the exact model with every field compared after every step; the table shows
the lab's liquidation count and bad debt next to the chain's. Exits non-zero on any disagreement.
"""

from __future__ import annotations

import click
from ape import accounts
from ape import project as ape_project
from ape.cli import ConnectedProviderCommand
from rich.console import Console
from rich.table import Table

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import connect, restoring
from protocol_model.chain.replay import Replay
from protocol_model.sim.onchain import BORROWERS, KEEPER, SUPPLIER, default_case, pick_paths

NAMES = [*BORROWERS, SUPPLIER, KEEPER]


@click.command(cls=ConnectedProviderCommand)
@click.option("--paths", default=200, show_default=True, help="lab paths to simulate")
@click.option("--steps", default=20, show_default=True, help="daily steps per path")
@click.option("--random", "n_random", default=2, show_default=True, help="random paths replayed besides the worst")
@click.option("--seed", default=42, show_default=True)
def cli(paths, steps, n_random, seed):
    console = Console(width=160)
    case = default_case(paths, steps, seed)
    lab = case.run()
    picks = pick_paths(lab, n_random, seed)
    signers = {name: accounts.test_accounts[i + 1] for i, name in enumerate(NAMES)}
    table = Table(title=f"lab paths on chain ({paths} paths × {len(case.book)} positions × {steps} steps, seed {seed})")
    for col in ("path", "why", "steps", "liquidations lab", "chain", "bad debt lab (USDC)", "chain (USDC)",
                "model == chain"):
        table.add_column(col)
    failed = False
    driver = connect(ape_project)
    usdc = [a.name for a in case.params.assets].index("USDC")
    for n, p in enumerate(picks):
        scenario = case.exact(lab, p).scenario
        with restoring(driver):
            world = ChainWorld.deploy(scenario, ape_project, accounts.test_accounts[0], signers, driver)
            replay = Replay.start(scenario, world)
            results = replay.run()
        chain_liqs = sum(r.action.kind == "liquidate" and r.chain == "ok" for r in results)
        chain_bad = results[-1].snapshot.field("asset", "USDC", "bad_debt") / 1e6
        lab_bad = lab.bad_debt_tokens[p][usdc]
        ok = (replay.mismatches == 0 and all(r.as_expected for r in results)
              and chain_liqs == lab.per_path["liquidation_count"][p] and abs(chain_bad - lab_bad) <= 1e-4)
        failed |= not ok
        table.add_row(str(p), "worst" if n == 0 else "random", str(len(results)),
                      str(int(lab.per_path["liquidation_count"][p])), str(chain_liqs), f"{lab_bad:,.6f}",
                      f"{chain_bad:,.6f}", "yes" if ok else "NO")
    console.print(table)
    if failed:
        raise SystemExit(1)
