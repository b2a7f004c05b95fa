"""`ape run bench`: gas of first-touch pool operations, next to Morpho Blue's, measured in this one run.

Deploys a fresh pool from scenarios/default.yaml (as a fresh Morpho market would be) and records
``receipt.gas_used`` of each account's first operation of a kind:

* supply           bob's first USDC supply (also the first USDC in the pool)
* collateral supply alice's first WETH supply
* borrow           alice's first borrow, USDC against that WETH
* repay            alice repays part of it
* withdraw         bob withdraws part of his USDC (Morpho reference: none)
* liquidate        WETH's feed drops (MockAggregator.setAnswer) until alice's HF < 1; carol liquidates part

Every transaction is mined 12 s after the previous one, so each call accrues interest for real.
A second, fresh deployment repeats the flow with alice also holding WBTC and USDC collateral
("multi-asset"): every entry point accrues all listed assets and reads one price per asset the account
uses, which Morpho's single-collateral markets never do. Exits non-zero if any transaction reverts.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.table import Table

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.console import make_console, verbose_option
from protocol_model.chain.driver import GAS_LIMIT
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.story import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"
BLOCK_SECONDS = 12
WETH_CRASH_USD = "820"  # alice: 10 WETH, ~7000 USDC debt -> HF ~0.97 (one collateral), ~0.98 (three)
MORPHO = {  # Morpho Blue first-touch references (measured on anvil, given; not re-measured here)
    "supply": 115_600, "collateral supply": 91_100, "borrow": 103_200,
    "repay": 64_200, "withdraw": None, "liquidate": 107_800,
}


class Reverted(Exception):
    pass


def send(label: str, method, *args, sender) -> int:
    """Mine one call BLOCK_SECONDS after the head; its gas used, or Reverted."""
    chain.pending_timestamp = chain.blocks.head.timestamp + BLOCK_SECONDS
    try:
        receipt = method(*args, sender=sender, gas=GAS_LIMIT)
    except Exception as err:  # ContractLogicError, or a failed receipt ape raises on
        raise Reverted(f"{label}: {type(err).__name__}: {err}") from None
    if receipt.failed:
        raise Reverted(f"{label}: transaction failed")
    return receipt.gas_used


def run_flow(multi_asset: bool) -> dict[str, int]:
    """Deploy a fresh world and run the first-touch flow; gas used per operation."""
    scenario = load_scenario(SCENARIO)
    deployer = accounts.test_accounts[0]
    signers = {name: accounts.test_accounts[i] for i, name in enumerate(("alice", "bob", "carol"), start=1)}
    w = ChainWorld.deploy(scenario, project, deployer, signers)
    pool, tok = w.pool, w.tokens
    alice, bob, carol = signers["alice"], signers["bob"], signers["carol"]

    def units(asset: str, amount: str) -> int:
        return scenario.asset(asset).units(amount)

    gas = {}
    gas["supply"] = send("supply", pool.supply, tok["USDC"], units("USDC", "50000"), bob, sender=bob)
    gas["collateral supply"] = send("collateral supply", pool.supply, tok["WETH"], units("WETH", "10"), alice,
                                    sender=alice)
    if multi_asset:  # two more (small) collaterals; alice's approvals were set at deploy
        for asset, amount in (("WBTC", "0.001"), ("USDC", "10")):
            send(f"mint {asset}", tok[asset].mint, alice, units(asset, amount), sender=deployer)
            send(f"supply {asset}", pool.supply, tok[asset], units(asset, amount), alice, sender=alice)
    gas["borrow"] = send("borrow", pool.borrow, tok["USDC"], units("USDC", "8000"), sender=alice)
    gas["repay"] = send("repay", pool.repay, tok["USDC"], units("USDC", "1000"), alice, sender=alice)
    gas["withdraw"] = send("withdraw", pool.withdraw, tok["USDC"], units("USDC", "1000"), bob, sender=bob)
    send("WETH price", w.feeds["WETH"].setAnswer, usd_to_answer(WETH_CRASH_USD), sender=deployer)
    hf = pool.healthFactor(alice)
    if hf >= 10**18:
        raise Reverted(f"setup: alice's health factor {hf / 1e18:.4f} is not below 1")
    repay = units("USDC", "1000")
    gas["liquidate"] = send("liquidate", pool.liquidate, alice, tok["WETH"], tok["USDC"], repay, sender=carol)
    return gas


def ratio(ours: int, ref: int | None) -> str:
    return "-" if ref is None else f"{ours / ref:.2f}"


def kgas(ref: int | None) -> str:
    return "-" if ref is None else f"{ref / 1000:.1f}k"


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Gas of first-touch pool operations next "
    "to Morpho Blue's, measured in this run."))
@verbose_option
def cli():
    console = make_console()
    try:
        single = run_flow(multi_asset=False)
        multi = run_flow(multi_asset=True)
    except Reverted as err:
        console.print(f"[red]reverted[/red] {err}")
        raise SystemExit(1) from None

    table = Table(title="First-touch gas, one collateral (WETH) vs Morpho Blue")
    for col in ("operation", "gas used", "Morpho Blue", "ours / Morpho"):
        table.add_column(col, justify="left" if col == "operation" else "right", no_wrap=True)
    for op, ref in MORPHO.items():
        table.add_row(op, f"{single[op]:,}", kgas(ref), ratio(single[op], ref))
    console.print(table)

    table = Table(title="multi-asset: collateral in WETH + WBTC + USDC")
    for col in ("operation", "gas used", "Morpho Blue", "ours / Morpho", "vs single"):
        table.add_column(col, justify="left" if col == "operation" else "right", no_wrap=True)
    for op in ("borrow", "liquidate"):
        table.add_row(f"{op} (multi-asset)", f"{multi[op]:,}", kgas(MORPHO[op]), ratio(multi[op], MORPHO[op]),
                      f"{multi[op] - single[op]:+,}")
    console.print(table)
    console.print(f"3 listed assets; every call mined {BLOCK_SECONDS} s after the last, so each one accrues "
                  "interest on every listed asset. 'vs single': extra gas over the one-collateral row.")
