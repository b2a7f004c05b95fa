"""`ape run bench`: gas of first-touch pool operations, next to Morpho Blue's and Aave V3's.

Deploys a fresh pool from scenarios/default.yaml (as a fresh Morpho market would be) and records
``receipt.gas_used`` of each account's first operation of a kind (protocol_model/chain/gas.py ``first_touch``):

* supply           bob's first USDC supply (also the first USDC in the pool)
* collateral supply alice's first WETH supply
* borrow           alice's first borrow, USDC against that WETH
* repay            alice repays part of it
* withdraw         bob withdraws part of his USDC
* liquidate        WETH's feed drops (MockAggregator.setAnswer) until alice's HF < 1; carol liquidates part

Every transaction is mined 12 s after the previous one, so each call accrues interest for real.
A second, fresh deployment repeats the flow with alice also holding WBTC and USDC collateral
("multi-asset"): each extra asset the account uses costs one more price read and one more valuation.

References: real Morpho Blue 1.0.0 (compiled from npm ``@morpho-org/morpho-blue``, .build-presets/) and real
Aave V3 1.19.3 (npm ``@aave/core-v3`` artifacts) are deployed on the same anvil in the same run and measured
under the same conditions (protocol_model/chain/gas_references.py); only a protocol whose package is not
installed shows the published figures of issue 20, labelled "published". Each row says by how much an
operation misses Morpho's figure (docs/gas.md says why). Exits non-zero if any transaction reverts.
"""

from __future__ import annotations

import click
from ape import project
from ape.cli import ConnectedProviderCommand
from rich.table import Table

from protocol_model.chain.console import make_console, verbose_option
from protocol_model.chain.gas import BENCH_OPERATIONS, BLOCK_SECONDS, Reverted, first_touch
from protocol_model.chain.gas_references import Reference, references

EXTRA_ASSET_TARGET = 15_000
"""Issue 20: each extra asset in the account adds at most this much to borrow and liquidate."""


def ratio(ours: int, ref: int | None) -> str:
    return "-" if ref is None else f"{ours / ref:.2f}"


def gas_cell(ref: int | None, measured: bool) -> str:
    if ref is None:
        return "-"
    return f"{ref:,}" if measured else f"{ref / 1000:.1f}k"


def verdict(ours: int, ref: int | None) -> str:
    if ref is None:
        return "-"
    return "met" if ours <= ref else f"missed by {ours - ref:,} gas"


@click.command(cls=ConnectedProviderCommand, short_help=(
    "Gas of first-touch pool operations next "
    "to Morpho Blue's and Aave V3's."))
@verbose_option
def cli():
    console = make_console()
    try:
        single = first_touch(project, multi_asset=False)
        multi = first_touch(project, multi_asset=True)
        refs: list[Reference] = references(project)
    except Reverted as err:
        console.print(f"[red]reverted[/red] {err}")
        raise SystemExit(1) from None

    morpho, aave = refs
    how = " and ".join(f"{r.name} {'measured' if r.measured else 'published'}" for r in refs)
    table = Table(title=f"First-touch gas, one collateral, same anvil: ours vs {how}")
    for col in ("operation", "ours", "Morpho Blue", "×Morpho", "target ≤ Morpho", "Aave V3", "×Aave"):
        table.add_column(col, justify="left" if col == "operation" else "right", no_wrap=True)
    for op in BENCH_OPERATIONS:
        m, a = morpho.gas[op], aave.gas[op]
        table.add_row(op, f"{single[op]:,}", gas_cell(m, morpho.measured), ratio(single[op], m),
                      verdict(single[op], m), gas_cell(a, aave.measured), ratio(single[op], a))
    console.print(table)

    table = Table(title="multi-asset: collateral in WETH + WBTC + USDC (2 extra assets)")
    for col in ("operation", "gas", "×Morpho", "vs single", "per extra", f"target ≤ {EXTRA_ASSET_TARGET / 1000:.0f}k"):
        table.add_column(col, justify="left" if col == "operation" else "right", no_wrap=True)
    for op in ("borrow", "liquidate"):
        extra = (multi[op] - single[op]) // 2
        target = "met" if extra <= EXTRA_ASSET_TARGET else f"missed by {extra - EXTRA_ASSET_TARGET:,} gas"
        table.add_row(op, f"{multi[op]:,}", ratio(multi[op], morpho.gas[op]), f"{multi[op] - single[op]:+,}",
                      f"{extra:+,}", target)
    console.print(table)
    for r in refs:
        console.print(f"{r.name}: {r.source}")
    console.print(f"Pool: 3 listed assets. Every call of every protocol mined {BLOCK_SECONDS} s after the last, by "
                  "the same test accounts. 'vs single': extra gas over the one-collateral row. Why a target is "
                  "missed: docs/gas.md.")
