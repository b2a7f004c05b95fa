"""Gas of the protocol on a connected anvil: the first-touch pool operations ``make bench`` compares with
Morpho Blue and Aave V3 (measured on the same anvil by ``chain/gas_references.py``), and the gas snapshot
(``.gas-snapshot``) of every entry point of LendingPool,
PriceRouter, Looper, LeveragedToken and PerpEngine that ``tests/contracts/test_gas_snapshot.py`` holds.

The snapshot is forge-snapshot style, one ``operation gas`` line per entry point (``LendingPool.borrow 103210``),
sorted. Each figure is ``gasUsed`` of the first successful transaction to that entry point while a fixed set of
flows runs on fresh deployments: the bench's first-touch flows (also recorded as ``bench/...`` lines), stories
(lending, Looper, perp) and a leveraged-token life. Every flow is deterministic (fixed block times), so a figure
moves only when the contracts (or the flows) change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from protocol_model.chain.driver import GAS_LIMIT
from protocol_model.sim.output import atomic_file

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_FILE = ROOT / ".gas-snapshot"
"""The committed snapshot (forge's file name)."""
SNAPSHOT_CONTRACTS = ("LendingPool", "PriceRouter", "Looper", "LeveragedToken", "PerpEngine")
"""Contracts whose entry points the snapshot records."""
TOLERANCE = 0.01
"""A figure may rise by at most this share over the committed one."""
UPDATE_COMMAND = "make gas-snapshot"
"""What rewrites ``.gas-snapshot`` from a fresh measurement."""
BLOCK_SECONDS = 12
WETH_CRASH_USD = "820"  # alice: 10 WETH, ~7000 USDC debt -> HF ~0.97 (one collateral), ~0.98 (three)
SNAPSHOT_STORIES = (
    "stories/bad_debt.yaml",
    "stories/full_close.yaml",
    "stories/pause.yaml",
    "loops/open_3x.yaml",
    "perp/funding_and_oracle.yaml",
    "perp/bankruptcy.yaml",
)
"""Story files (under scenarios/) the snapshot plays, besides the bench flows and the leveraged-token life."""
BENCH_OPERATIONS = ("supply", "collateral supply", "borrow", "repay", "withdraw", "liquidate")
"""The first-touch operations of the bench, in flow order."""


class Reverted(Exception):
    """A bench transaction reverted (the flow is broken: the bench exits non-zero)."""


@dataclass(frozen=True)
class Receipted:
    """One mined transaction: its target address, 4-byte selector and gas used."""

    to: str
    selector: bytes
    gas_used: int


# ------------------------------------------------------------------ first-touch flows (the bench)

def mined(label: str, method: Any, *args: Any, sender: Any) -> Any:
    """Mine one ape transaction ``method(*args)`` from ``sender`` BLOCK_SECONDS after the head (gas limit
    ``GAS_LIMIT``, no estimate); its receipt. Raises ``Reverted`` naming ``label`` when it reverts."""
    from ape import chain

    chain.pending_timestamp = chain.blocks.head.timestamp + BLOCK_SECONDS
    try:
        receipt = method(*args, sender=sender, gas=GAS_LIMIT)
    except Exception as err:  # ContractLogicError, or a failed receipt ape raises on
        raise Reverted(f"{label}: {type(err).__name__}: {err}") from None
    if receipt.failed:
        raise Reverted(f"{label}: transaction failed")
    return receipt


def _send(label: str, method: Any, *args: Any, sender: Any) -> int:
    """Mine one call BLOCK_SECONDS after the head (``mined``); its gas used, or Reverted."""
    return int(mined(label, method, *args, sender=sender).gas_used)


def first_touch(project: Any, multi_asset: bool) -> dict[str, int]:
    """Deploy scenarios/default.yaml afresh and run the first-touch flow; gas used per operation of
    ``BENCH_OPERATIONS``. bob's first USDC supply; alice's first WETH supply (with ``multi_asset`` then small
    WBTC and USDC supplies too); her first USDC borrow, a partial repay; bob's partial withdraw; WETH's feed
    drops until alice's HF < 1 and carol liquidates part. Raises ``Reverted`` if any transaction reverts."""
    from ape import accounts

    from protocol_model.chain.adapter import ChainWorld
    from protocol_model.exact.oracle.price_router import usd_to_answer
    from protocol_model.scenario.story import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "default.yaml")
    deployer = accounts.test_accounts[0]
    signers = {name: accounts.test_accounts[i] for i, name in enumerate(("alice", "bob", "carol"), start=1)}
    w = ChainWorld.deploy(scenario, project, deployer, signers)
    pool, tok = w.pool, w.tokens
    alice, bob, carol = signers["alice"], signers["bob"], signers["carol"]

    def units(asset: str, amount: str) -> int:
        return scenario.asset(asset).units(amount)

    gas = {"supply": _send("supply", pool.supply, tok["USDC"], units("USDC", "50000"), bob, sender=bob),
           "collateral supply": _send("collateral supply", pool.supply, tok["WETH"], units("WETH", "10"), alice,
                                      sender=alice)}
    if multi_asset:  # two more (small) collaterals; alice's approvals were set at deploy
        for asset, amount in (("WBTC", "0.001"), ("USDC", "10")):
            _send(f"mint {asset}", tok[asset].mint, alice, units(asset, amount), sender=deployer)
            _send(f"supply {asset}", pool.supply, tok[asset], units(asset, amount), alice, sender=alice)
    gas["borrow"] = _send("borrow", pool.borrow, tok["USDC"], units("USDC", "8000"), sender=alice)
    gas["repay"] = _send("repay", pool.repay, tok["USDC"], units("USDC", "1000"), alice, sender=alice)
    gas["withdraw"] = _send("withdraw", pool.withdraw, tok["USDC"], units("USDC", "1000"), bob, sender=bob)
    _send("WETH price", w.feeds["WETH"].setAnswer, usd_to_answer(WETH_CRASH_USD), sender=deployer)
    hf = pool.healthFactor(alice)
    if hf >= 10**18:
        raise Reverted(f"setup: alice's health factor {hf / 1e18:.4f} is not below 1")
    gas["liquidate"] = _send("liquidate", pool.liquidate, alice, tok["WETH"], tok["USDC"], units("USDC", "1000"),
                             sender=carol)
    return gas


# ------------------------------------------------------------------ snapshot flows

def _play_stories(project: Any, files: Iterable[str]) -> None:
    """Play each story on chain with its model twin; raises AssertionError if a step disagrees."""
    from ape import accounts

    from protocol_model.chain.replay import Replay
    from protocol_model.chain.story_chain import deploy_story, failures
    from protocol_model.scenario.perp import load_perp_scenario
    from protocol_model.scenario.story import load_scenario

    for name in files:
        path = ROOT / "scenarios" / name
        scenario = load_perp_scenario(path) if name.startswith("perp/") else load_scenario(path)
        replay = Replay.start(scenario, deploy_story(scenario, project, accounts.test_accounts))
        replay.run()
        bad = failures(replay)
        if bad:
            raise AssertionError(f"{name}: step {bad[0].index} model {bad[0].model}, chain {bad[0].chain}")


def _leveraged_life(project: Any) -> None:
    """Deposits, rebalances, a ripcord, a fee accrual, redemptions and a share transfer (past the deposit cooldown)
    of the 2x and 3x leveraged tokens (the crosscheck's scripted story, its passing steps); raises AssertionError
    if a step is not ok on both."""
    from ape import accounts

    from protocol_model.chain.leveraged import LevOp, LevWorld
    from protocol_model.exact.oracle.price_router import usd_to_answer
    from protocol_model.world.leveraged_world import KEEPER

    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory"]
    signers = {name: accounts.test_accounts[i + 1] for i, name in enumerate(names)}
    lev = LevWorld.deploy(project, accounts.test_accounts[0], signers)
    e18 = 10**18
    for op in (LevOp("deposit", "lev2x", "alice", 10 * e18), LevOp("deposit", "lev3x", "bob", 5 * e18),
               LevOp("rebalance", "lev2x", KEEPER), LevOp("rebalance", "lev3x", KEEPER),
               LevOp("price", answer=usd_to_answer("2160")), LevOp("price", answer=usd_to_answer("2380")),
               LevOp("rebalance", "lev3x", KEEPER), LevOp("warp", seconds=86_400), LevOp("accrue", "lev3x"),
               LevOp("price", answer=usd_to_answer("2070")), LevOp("ripcord", "lev3x", KEEPER),
               LevOp("warp", seconds=86_400), LevOp("redeem", "lev2x", "alice", 4 * e18),
               LevOp("transfer", "lev2x", "alice", e18, to="bob")):
        got = lev.step(op)
        if got != ("ok", "ok"):
            raise AssertionError(f"leveraged life: {op.describe()} gave (model, chain) = {got}")


def _pool_extras(project: Any) -> None:
    """The pool's and router's entry points the other flows do not reach, each called once with valid
    arguments on a fresh scenarios/default.yaml deployment: operator borrow / withdraw, collateral consent, a flash
    loan, ``accrueAll`` and the risk admin's setters, the router's policy. Raises ``Reverted`` on a revert."""
    from ape import accounts

    from protocol_model.chain.adapter import ChainWorld
    from protocol_model.exact.math_lib import WAD
    from protocol_model.scenario.story import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "default.yaml")
    d = accounts.test_accounts[0]
    alice, bob = accounts.test_accounts[1], accounts.test_accounts[2]
    w = ChainWorld.deploy(scenario, project, d, {"alice": alice, "bob": bob, "carol": accounts.test_accounts[3]})
    pool, tok = w.pool, w.tokens
    usdc, weth = scenario.asset("USDC"), scenario.asset("WETH")
    zero = "0x" + "0" * 40
    receiver = d.deploy(project.FlashBorrowerMock, pool)
    for label, method, args, sender in (
        ("supply USDC", pool.supply, (tok["USDC"], usdc.units("50000"), bob), bob),
        ("supply WETH", pool.supply, (tok["WETH"], weth.units("10"), alice), alice),
        ("authorize bob", pool.setAuthorization, (bob, True), alice),
        ("setUseAsCollateral", pool.setUseAsCollateral, (tok["WETH"], True), alice),
        ("borrowOnBehalf", pool.borrowOnBehalf, (tok["USDC"], usdc.units("1000"), alice, bob), bob),
        ("withdrawOnBehalf", pool.withdrawOnBehalf, (tok["WETH"], weth.units("1"), alice, bob), bob),
        ("flashLoan", pool.flashLoan, (receiver, tok["USDC"], usdc.units("1000"), b""), bob),
        ("accrueAll", pool.accrueAll, (), bob),
        ("setAssetConfig", pool.setAssetConfig, (tok["USDC"], usdc.config().as_tuple()), d),
        ("setRateModel", pool.setRateModel, (tok["USDC"], w.rate_models["WETH"]), d),
        ("setCloseFactor", pool.setCloseFactor, (5_000, 95 * WAD // 100), d),
        ("setMinLeftover", pool.setMinLeftover, (100 * WAD,), d),
        ("setOraclePolicy", w.router.setOraclePolicy, (tok["WETH"], (3_600, 0, 0, 0, 0, zero, zero)), d),
    ):
        _send(label, method, *args, sender=sender)


def _mined_since(first_block: int) -> list[Receipted]:
    """Every successful transaction with a target in blocks ``first_block``.. the head."""
    from ape import chain

    web3 = chain.provider.web3
    out = []
    for number in range(first_block, chain.blocks.head.number + 1):
        block = web3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if not tx.get("to"):
                continue
            receipt = web3.eth.get_transaction_receipt(tx["hash"])
            if receipt["status"] == 1:
                data = bytes(tx["input"])
                out.append(Receipted(str(tx["to"]), data[:4], int(receipt["gasUsed"])))
    return out


def _entry_name(to: str, selector: bytes, names: dict[tuple[str, bytes], str]) -> str | None:
    """``Contract.method`` of a call, or None when the target is not one of ``SNAPSHOT_CONTRACTS``."""
    return names.get((to.lower(), selector))


def _selector_names(contract_type: Any) -> dict[bytes, str]:
    """4-byte selector -> method name (the full signature when the name is overloaded)."""
    methods = list(contract_type.mutable_methods)
    counts: dict[str, int] = {}
    for m in methods:
        counts[m.name] = counts.get(m.name, 0) + 1
    return {keccak(text=m.selector)[:4]: m.name if counts[m.name] == 1 else m.selector for m in methods}


def measure_snapshot(project: Any) -> dict[str, int]:
    """Run every snapshot flow on the connected chain (fresh deployments) and return ``{operation: gas}``:
    ``Contract.method`` (first successful call of each entry point of ``SNAPSHOT_CONTRACTS``) and ``bench/<op>``
    / ``bench/<op> (multi-asset)`` for the first-touch flows. Raises ``Reverted`` / AssertionError when a flow
    breaks."""
    from ape import chain

    start = chain.blocks.head.number + 1
    measured: dict[str, int] = {}
    for multi in (False, True):
        suffix = " (multi-asset)" if multi else ""
        for op, gas in first_touch(project, multi).items():
            measured[f"bench/{op}{suffix}"] = gas
    _play_stories(project, SNAPSHOT_STORIES)
    _leveraged_life(project)
    _pool_extras(project)
    selectors = {name: _selector_names(getattr(project, name).contract_type) for name in SNAPSHOT_CONTRACTS}
    names: dict[tuple[str, bytes], str] = {}
    for tx in _mined_since(start):
        key = (tx.to.lower(), tx.selector)
        if key not in names:
            names[key] = _name_of(tx.to, tx.selector, selectors) or ""
        name = names[key]
        if name and name not in measured:
            measured[name] = tx.gas_used
    return dict(sorted(measured.items()))


def unmeasured(project: Any, measured: dict[str, int]) -> list[str]:
    """``Contract.method`` of every state-changing entry point of ``SNAPSHOT_CONTRACTS`` the flows never call
    (listed as a comment in the snapshot file)."""
    out = []
    for name in SNAPSHOT_CONTRACTS:
        for method in sorted(set(_selector_names(getattr(project, name).contract_type).values())):
            if f"{name}.{method}" not in measured:
                out.append(f"{name}.{method}")
    return out


def _name_of(to: str, selector: bytes, selectors: dict[str, dict[bytes, str]]) -> str | None:
    """``Contract.method`` of a call to ``to`` when ape knows ``to`` as one of ``SNAPSHOT_CONTRACTS``."""
    from ape import chain

    contract_type = chain.contracts.get(to)
    if contract_type is None or contract_type.name not in selectors:
        return None
    method = selectors[contract_type.name].get(selector)
    return None if method is None else f"{contract_type.name}.{method}"


# ------------------------------------------------------------------ the snapshot file

def format_snapshot(entries: dict[str, int], not_measured: Iterable[str] = ()) -> str:
    """The file text: a header comment, the entry points no flow calls (a comment), then ``operation gas`` per
    line, sorted by operation."""
    head = (f"# Gas snapshot ({UPDATE_COMMAND} rewrites it; tests/contracts/test_gas_snapshot.py fails when a figure "
            f"rises more than {TOLERANCE:.0%}).\n")
    missing = list(not_measured)
    if missing:
        head += "# not measured (no flow calls them): " + ", ".join(missing) + "\n"
    head += "# operation gas\n"
    return head + "".join(f"{op} {gas}\n" for op, gas in sorted(entries.items()))


def parse_snapshot(text: str, where: str = ".gas-snapshot") -> dict[str, int]:
    """``{operation: gas}`` from a snapshot's text (``#`` lines and blank lines skipped). Raises ValueError
    naming ``where`` and the line when a line is not ``operation gas`` with an integer gas."""
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        op, _, gas = line.rpartition(" ")
        if not op or not gas.isdigit():
            raise ValueError(f"{where}:{number}: expected 'operation gas', got {line!r}")
        entries[op] = int(gas)
    return entries


def compare(committed: dict[str, int], measured: dict[str, int], tolerance: float = TOLERANCE) -> list[str]:
    """Problems of ``measured`` against ``committed``: a figure above ``committed × (1 + tolerance)``, an
    operation no longer measured, a new operation the file lacks. Empty when the snapshot holds."""
    problems = []
    for op, gas in sorted(committed.items()):
        if op not in measured:
            problems.append(f"{op}: in the snapshot but no longer measured")
        elif measured[op] > gas * (1 + tolerance):
            problems.append(f"{op}: {measured[op]} gas, {measured[op] / gas - 1:+.2%} over the snapshot's {gas}")
    problems += [f"{op}: measured ({measured[op]} gas) but not in the snapshot"
                 for op in sorted(set(measured) - set(committed))]
    return problems


def write_snapshot(entries: dict[str, int], path: Path = SNAPSHOT_FILE, echo: Callable[[str], Any] = print,
                   not_measured: Iterable[str] = ()) -> None:
    """Write ``entries`` to ``path`` (``format_snapshot``) and echo one line per figure that changed."""
    old = parse_snapshot(path.read_text(), str(path)) if path.exists() else {}
    atomic_file(path, format_snapshot(entries, not_measured))  # a failed write keeps the committed snapshot whole
    for op, gas in sorted(entries.items()):
        if old.get(op) != gas:
            echo(f"{op}: {old.get(op, '-')} -> {gas}")
