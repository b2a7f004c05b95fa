"""``compare --verify-on-chain`` on a book with cross-collateral accounts (several collaterals and debts, issue #18).

The worst paths of both configurations are cut down to the positions that matter on them — cross-collateral
accounts among them, their debts capped at ``LendingPool``'s borrow check (``MultiPositions.borrowable``) — and
replayed on a fresh in-process chain by the exact keeper (the project keeper's choice of collateral and debt):
model == chain to the wei on every step, the chain makes the lab's liquidations, and its bad debt per asset is
the lab's within ``sim.onchain.bad_debt_tolerance`` (docs/risk_lab.md). The shipped example
(``scenarios/lab/eth_crash_multi.yaml``) runs end to end through the CLI and writes its report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protocol_model.chain import lab_verify
from protocol_model.cli import main
from protocol_model.sim import compare as cmp
from tests.lab.test_compare import PROPOSAL, SIM

REPO = Path(__file__).resolve().parents[2]
BOOKS = {
    "two-collaterals": "{positions: 120, debt_asset: USDC, collateral_weights: {WETH: 2, WBTC: 1}, "
                       "utilization_beta: [8, 1.3], loop_share: 0.2, loop_leverage: 5, multi_collateral_share: 0.5}",
    # WBTC is borrowed only (never a collateral): no written-off debt asset is a collateral, a caveat of the lab
    # without interest (docs/risk_lab.md); the accounts' second debts exercise sim.onchain.event_debt_assets
    "two-debts": "{positions: 120, debt_asset: USDC, collateral_weights: {WETH: 1}, utilization_beta: [20, 1], "
                 "multi_collateral_share: 0.5, collaterals_per_position: 1, multi_debt_weights: {USDC: 1, WBTC: 1}}",
}


@pytest.fixture(scope="module", params=list(BOOKS))
def result(request, tmp_path_factory):
    d = tmp_path_factory.mktemp("compare_multi_on_chain")
    sim = SIM[:SIM.index("  synthetic:")] + f"  synthetic: {BOOKS[request.param]}\n"
    (d / "sim.yaml").write_text(sim)
    (d / "proposal.yaml").write_text(PROPOSAL)
    cur, prop, notes = cmp.load_sides("generic", d / "proposal.yaml", d / "sim.yaml")
    return cmp.compare(cur, prop, resamples=50, workers=1, fan_paths=0, notes=notes)


def test_worst_paths_with_cross_collateral_accounts_agree_on_chain(result):
    book = result.book
    assert book.multi is not None and len(book.multi) == 60
    accounts = set(book.all_names[book.n_pairs:])
    verified = lab_verify.verify_worst_paths(result, per_side=2)
    assert [v.replay.side for v in verified] == ["current", "current", "proposed", "proposed"]
    liquidated = 0
    two_debts = 0
    for v in verified:
        assert v.check.ok, v.check.failures
        two_debts += sum(x > 0 for x in v.check.bad_debt_chain.values()) > 1
        assert v.check.chain_liquidations == v.check.lab_liquidations
        calls = [s.borrower for s in v.replay.scenario.steps if s.op == "liquidate"]
        liquidated += sum(b in accounts for b in calls)
    print(f"\n{len(verified)} paths, {sum(v.check.chain_liquidations for v in verified)} liquidations on chain, "
          f"{liquidated} of cross-collateral accounts; bad debt lab/chain: "
          + "; ".join(", ".join(f"{a} {v.check.bad_debt_lab[a]:.8g}/{v.check.bad_debt_chain[a]:.8g}"
                                for a in v.check.bad_debt_chain if v.check.bad_debt_chain[a]) for v in verified))
    assert liquidated > 0, "cross-collateral accounts liquidated on chain"
    assert any(sum(v.check.bad_debt_chain.values()) > 0 for v in verified), "and bad debt left"
    if book.multi.debt.astype(bool).sum(axis=1).max() > 1:
        assert two_debts > 0, "a path leaves bad debt in both of the accounts' debt assets"


def test_shipped_cross_collateral_example_writes_its_report(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", "generic", str(REPO / "scenarios/lab/weth_lt80_bonus8.yaml"), "--simulation",
                 str(REPO / "scenarios/lab/eth_crash_multi.yaml"), "--paths", "40", "--out", str(out), "--workers",
                 "1", "--no-progress", "--resamples", "50", "--verify-on-chain", "1"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    doc = json.loads((out / "compare.json").read_text())
    assert doc["book"] == {"held": "fixed", "source": doc["book"]["source"], "positions": 1000,
                           "cross_collateral": 300}
    rows = doc["on_chain"]
    assert [r["side"] for r in rows] == ["current", "proposed"] and all(r["ok"] for r in rows)
    md = (out / "report.md").read_text()
    assert "Book: fixed — 1,000 positions, of which 300 cross-collateral accounts" in md
    assert "| WETH liquidation threshold | 82.5% | 80% |" in md
    assert "## On-chain check of the worst paths" in md and "Model and chain agreed to the wei" in md
    assert (out / "report.html").exists()
