"""First-touch gas of real Morpho Blue and real Aave V3 on the connected anvil, under the bench's conditions
(``chain/gas.py`` ``first_touch``), for ``make bench`` to print beside the pool's figures.

Each protocol is deployed afresh from its npm package: Morpho Blue 1.0.0 from the bytecode
``toolchain/compile_morpho.cjs`` compiles out of ``@morpho-org/morpho-blue`` (``chain/morpho_blue.deploy``: market
wstETH/USDC of protocols/morpho_blue_wsteth.yaml, LLTV 86%, IrmMock, its fee set to 0 unless asked), Aave V3 1.19.3
from the hardhat artifacts of ``@aave/core-v3`` with its libraries linked (``chain/aave_v3/deploy``: the market of
protocols/aave_v3_market.yaml). Then the same flow as the pool's, every call an ape transaction mined
``BLOCK_SECONDS`` after the previous one by the same test accounts: bob's first supply of 50,000 of the loan token
(the market's first), alice's first 10 of collateral (Morpho: ``supplyCollateral`` of wstETH; Aave: ``supply`` of
WETH, which switches it on as collateral), her first borrow of 8,000, a repay of 1,000, bob's withdrawal of 1,000;
the collateral's price drops until alice is liquidatable and carol liquidates part (Morpho: ``liquidate`` seizing 1
wstETH; Aave: ``liquidationCall`` covering 1,000 USDC of debt). Each figure is ``gasUsed`` of that transaction's
receipt (:class:`GasFigure` keeps its hash).

When a package is not installed (or Morpho Blue not compiled), :func:`references` falls back to the figures
published in issue 20 and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from protocol_model.chain.driver import Call
from protocol_model.chain.gas import BENCH_OPERATIONS, WETH_CRASH_USD, mined

MORPHO_PUBLISHED: dict[str, int | None] = {  # issue 20: first touch on anvil (lower end of supply's range)
    "supply": 115_600, "collateral supply": 91_100, "borrow": 103_200,
    "repay": 64_200, "withdraw": None, "liquidate": 107_800,
}
"""Morpho Blue's first-touch gas as published in issue 20 (shown only when the package is absent)."""
AAVE_PUBLISHED: dict[str, int | None] = {  # issue 20: npm artifacts on anvil (lower end of the ranges)
    "supply": 214_000, "collateral supply": 214_000, "borrow": 264_000,
    "repay": 192_000, "withdraw": 233_000, "liquidate": 382_000,
}
"""Aave V3's first-touch gas as published in issue 20 (shown only when the package is absent)."""
MORPHO_MARKET = "wstETH_USDC"
"""The Morpho Blue market of protocols/morpho_blue_wsteth.yaml the bench uses (loan USDC, collateral wstETH)."""
MORPHO_CRASH_PRICE = Decimal("800")
"""USDC per wstETH after the drop: 10 wstETH × 800 × 86% = 6,880 < alice's ≈ 7,000 USDC debt."""


@dataclass(frozen=True)
class GasFigure:
    """One measured operation: ``gasUsed`` of its receipt and the transaction's hash."""

    gas: int
    txn_hash: str


Step = tuple[str | None, Call]
"""A flow step: the bench operation it measures (None: set-up, not measured) and its call."""


@dataclass(frozen=True)
class Reference:
    """A reference protocol's first-touch figures per ``BENCH_OPERATIONS`` entry (None: not published) and
    where they come from (``measured ...`` on this anvil, or ``published ...``)."""

    name: str
    source: str
    gas: dict[str, int | None]

    @property
    def measured(self) -> bool:
        """True when the figures were measured in this run."""
        return self.source.startswith("measured")


def _play(steps: Sequence[Step]) -> dict[str, GasFigure]:
    """Mine every step's call (``gas.mined``, one block each); the figure of each measured operation.
    Raises ``gas.Reverted`` when a call reverts."""
    out = {}
    for label, call in steps:
        receipt = mined(label or call.describe(), getattr(call.contract, call.method), *call.args,
                        sender=call.sender)
        if label is not None:
            out[label] = GasFigure(int(receipt.gas_used), str(receipt.txn_hash))
    return out


@dataclass(frozen=True)
class FlowRun:
    """A measured reference flow: the deployment (``morpho_blue.MorphoChainWorld`` or
    ``aave_v3.replay.AaveChainWorld``) and the figure of each ``BENCH_OPERATIONS`` entry."""

    world: Any
    figures: dict[str, GasFigure]


def morpho_first_touch(project: Any, fee_bps: int = 0) -> FlowRun:
    """Deploy real Morpho Blue on the connected anvil (test account 0 owns it and is the fee recipient) and run
    the first-touch flow on :data:`MORPHO_MARKET` with its fee set to ``fee_bps`` (default 0, the bench's: a fee
    makes Morpho's first accrual with interest mint the recipient's first supply shares, a cold zero-to-nonzero
    write of ≈ 20k that is no cost of the operation itself; docs/gas.md gives both). Raises
    ``MorphoArtifactsMissing`` when Morpho Blue is not compiled and ``gas.Reverted`` when a call reverts."""
    from ape import accounts

    from protocol_model.chain.driver import connect
    from protocol_model.chain.morpho_blue import deploy
    from protocol_model.scenario.protocol import load_protocol
    from protocol_model.world.morpho_blue_world import MorphoOp

    file_spec = load_protocol("morpho_blue_wsteth").morpho
    assert file_spec is not None
    market = file_spec.markets[MORPHO_MARKET].model_copy(update={"fee_bps": fee_bps})
    spec = file_spec.model_copy(update={"markets": {**file_spec.markets, MORPHO_MARKET: market}})
    test = accounts.test_accounts
    world, _, _ = deploy(connect(project), spec, test[0], {"alice": test[1], "bob": test[2], "carol": test[3]},
                         fee_recipient="owner")
    who, tokens, m = world.addresses.accounts, world.addresses.tokens, MORPHO_MARKET
    usdc, wsteth = 10**6, 10**18

    def op(kind: str, sender: str, **kw: Any) -> Call:
        return world.call_of(MorphoOp(kind, who[sender], market=m, **kw))

    def fund(name: str, token: str, amount: int) -> Step:
        return None, op("set_balance", "owner", token=tokens[token], on_behalf=who[name], value=amount)

    figures = _play([
        fund("bob", "USDC", 50_000 * usdc), fund("alice", "wstETH", 10 * wsteth), fund("carol", "USDC", 10_000 * usdc),
        ("supply", op("supply", "bob", assets=50_000 * usdc, on_behalf=who["bob"])),
        ("collateral supply", op("supply_collateral", "alice", assets=10 * wsteth, on_behalf=who["alice"])),
        ("borrow", op("borrow", "alice", assets=8_000 * usdc, on_behalf=who["alice"], receiver=who["alice"])),
        ("repay", op("repay", "alice", assets=1_000 * usdc, on_behalf=who["alice"])),
        ("withdraw", op("withdraw", "bob", assets=1_000 * usdc, on_behalf=who["bob"], receiver=who["bob"])),
        (None, op("set_price", "owner", value=spec.market_price(m, MORPHO_CRASH_PRICE))),
        ("liquidate", op("liquidate", "carol", assets=1 * wsteth, on_behalf=who["alice"])),
    ])
    return FlowRun(world, figures)


def aave_first_touch(project: Any) -> FlowRun:
    """Deploy real Aave V3 on the connected anvil (test account 0 administers, the last is the treasury) and
    run the first-touch flow: USDC lent against WETH. Raises ``AaveArtifactsMissing`` when ``@aave/core-v3`` is
    not installed and ``gas.Reverted`` when a call reverts."""
    from ape import accounts

    from protocol_model.chain.aave_v3.replay import AaveChainWorld, deploy_lensed_market
    from protocol_model.chain.driver import connect
    from protocol_model.exact.oracle.price_router import usd_to_answer
    from protocol_model.scenario.protocol import load_protocol
    from protocol_model.world.aave_v3 import AaveAction

    settings = load_protocol("aave_v3_market").aave_v3
    assert settings is not None
    params, driver, test = settings.params(), connect(project), list(accounts.test_accounts)
    usdc, weth = 10**6, 10**18
    balances = {"alice": {"WETH": 10 * weth}, "bob": {"USDC": 50_000 * usdc}, "carol": {"USDC": 10_000 * usdc}}
    world = AaveChainWorld.on_market(driver, deploy_lensed_market(driver, params, test), test, list(balances),
                                     balances)
    return FlowRun(world, _play([
        ("supply", world.call(AaveAction("supply", "bob", "USDC", 50_000 * usdc))),
        ("collateral supply", world.call(AaveAction("supply", "alice", "WETH", 10 * weth))),
        ("borrow", world.call(AaveAction("borrow", "alice", "USDC", 8_000 * usdc))),
        ("repay", world.call(AaveAction("repay", "alice", "USDC", 1_000 * usdc))),
        ("withdraw", world.call(AaveAction("withdraw", "bob", "USDC", 1_000 * usdc))),
        (None, world.call(AaveAction("price", asset="WETH", number=usd_to_answer(WETH_CRASH_USD)))),
        ("liquidate", world.call(AaveAction("liquidate", "carol", "WETH", 1_000 * usdc, other="alice",
                                            asset2="USDC"))),
    ]))


def reference(name: str, package: str, measure: Callable[[], FlowRun],
               published: dict[str, int | None]) -> Reference:
    """Measure ``name`` on this anvil, or, when its package is missing (a ``FileNotFoundError`` from its
    artifacts), its published figures."""
    try:
        figures = measure().figures
    except FileNotFoundError as err:
        return Reference(name, f"published (issue 20): {err}", dict(published))
    return Reference(name, f"measured on this anvil in this run ({package})",
                     {op: figures[op].gas for op in BENCH_OPERATIONS})


def references(project: Any) -> list[Reference]:
    """Morpho Blue's and Aave V3's first-touch figures for the bench: measured on the connected anvil from
    their npm packages, each falling back to the published figures only when its package is not installed.
    Raises ``gas.Reverted`` when a measured flow breaks."""
    from protocol_model.chain.aave_v3.artifacts import VERSION
    from protocol_model.chain.morpho_blue import artifacts

    def package() -> str:
        try:
            return str(artifacts()["_build"]["package"])
        except FileNotFoundError:
            return "@morpho-org/morpho-blue"

    return [reference("Morpho Blue", package(), lambda: morpho_first_touch(project), MORPHO_PUBLISHED),
            reference("Aave V3", f"@aave/core-v3@{VERSION}", lambda: aave_first_touch(project), AAVE_PUBLISHED)]
