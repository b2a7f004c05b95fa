"""`ape run leveraged_token [--days N]`: the 2x and 3x tokens through a trending and a sideways WETH path.

Deploys the pool, the Uniswap V2 pair and both vaults; alice deposits 10 WETH in each. Every day the oracle
moves (the pair is arbitraged to it), a day passes and a keeper rebalances each token (due daily by the
schedule). The table prints NAV per share in WETH and in USD and the leverage, from the chain, with the
exact model's value checked equal to the wei after every call (the run stops on the first difference),
next to the idealised float NAV (no swap cost, no interest) and L × the underlying's return.
"""

from __future__ import annotations

import click
import numpy as np
from ape import accounts, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from protocol_model.analytics import leverage as la
from protocol_model.chain.console import keep_whole, make_console, progress, step_table, verbose_option
from protocol_model.chain.leveraged import LevOp, LevWorld
from protocol_model.exact.math_lib import WAD
from protocol_model.world.leveraged_world import KEEPER

NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
E18 = 10**18


def paths(days: int) -> dict[str, np.ndarray]:
    trend = la.geometric_path(0.30, days, 2000.0)
    sideways = 2000.0 * np.array([1.0] + [1.06 if i % 2 == 0 else 1 / 1.06 for i in range(days)]).cumprod()
    return {"trending (+30%)": trend, "sideways (±6% a day)": sideways}


def _checked(world: LevWorld, op: LevOp) -> str:
    got_m, got_c = world.step(op)
    if got_m != got_c:
        raise click.ClickException(f"{op.describe()}: model {got_m}, chain {got_c}")
    bad = world.mismatches()
    if bad:
        raise click.ClickException(f"after {op.describe()}: model and chain differ: {bad[:5]}")
    return got_m


def run_path(console: Console, world: LevWorld, title: str, prices: np.ndarray) -> None:
    for name in world.vaults_m:
        _checked(world, LevOp("deposit", name, "alice", 10 * E18))
        _checked(world, LevOp("rebalance", name, KEEPER))
    start = {name: v.convert_to_assets(10**v.decimals) * prices[0] / E18 for name, v in world.vaults_m.items()}
    cols = ("day", "WETH $", "token", "NAV/sh WETH", "NAV/sh $", "lev", "vs start", "ideal", "L×spot")
    table = step_table(f"{title}: NAV per share (chain = model, checked every call)", cols, whole=cols,
                       right=[c for c in cols if c != "token"])
    for day, price in progress(console, enumerate(prices), len(prices), title):
        if day:
            _checked(world, LevOp("price", answer=int(round(price * 1e8))))
            _checked(world, LevOp("warp", seconds=86_400 - 3))
            for name in world.vaults_m:
                _checked(world, LevOp("rebalance", name, KEEPER))
        for i, (name, v) in enumerate(world.vaults_m.items()):
            lev = v.params.target_leverage_wad / WAD
            nav_weth = v.convert_to_assets(10**v.decimals) / E18  # one whole share
            ideal = la.nav_fixed_schedule(prices[: day + 1], lev)[-1]
            table.add_row(*((str(day), f"{price:,.2f}") if i == 0 else ("", "")), name, f"{nav_weth:.6f}",
                          f"{nav_weth * price:,.2f}", f"{v.leverage_wad() / WAD:.3f}x",
                          f"{nav_weth * price / start[name] - 1:+.2%}", f"{ideal - 1:+.2%}",
                          f"{lev * (price / prices[0] - 1):+.2%}", end_section=i == len(world.vaults_m) - 1)
    console.print(keep_whole(table))


@click.command(cls=ConnectedProviderCommand, short_help=(
    "2x and 3x leveraged tokens through "
    "a trending and a sideways WETH path."))
@verbose_option
@click.option("--days", default=10, show_default=True, type=click.IntRange(2, 60),
              help="days of each price path (one oracle move and one rebalance a day)")
def cli(days):
    console = make_console()
    signers = {name: accounts.test_accounts[i + 1] for i, name in enumerate(NAMES)}
    world = LevWorld.deploy(project, accounts.test_accounts[0], signers)
    for title, prices in paths(days).items():
        saved = world.checkpoint()
        run_path(console, world, title, prices)
        world.restore(saved)
    console.print("Every call ran on chain and in the exact model at the same block time; all fields agreed.")
