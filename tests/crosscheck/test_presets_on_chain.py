"""``compare --verify-on-chain`` and ``optimise``'s replay on preset simulations (issue #18, item 1): the worst paths
replayed on the REAL protocol's bytecode on the in-process chain (no node).

For each worst path the positions that matter on it play the lab's oracle prices in the exact preset twin
(``sim.onchain_presets``); every call of its keeper is sent to Aave V3 1.19.3 (npm ``@aave/core-v3``'s artifacts) or
Morpho Blue 1.0.0 (compiled by ``make setup``) with a fresh twin beside the chain: same outcomes and every
observable equal to the wei after every call, the chain's liquidations and bad debt (read from the chain) equal to
the twin's, and the lab's liquidations (step, position, in order) and bad debt within the lab's tolerance.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from protocol_model.chain import lab_verify
from protocol_model.chain.lab_verify_presets import play_preset
from protocol_model.cli import main
from protocol_model.sim import compare as cmp
from protocol_model.sim.onchain_presets import check_preset_replay, preset_path_replay, simulation_protocol
from protocol_model.sim.optimise import load_optimisation, optimise

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"
PATHS = 200
REAL = {"aave-v3": "real Aave V3 1.19.3 bytecode", "morpho-blue": "real Morpho Blue 1.0.0 bytecode"}
CASES = {
    "aave-v3": ("aave_v3_market", LAB / "aave_v3_crash.yaml", """\
kind: protocol
name: aave_weth_tighter
protocol: aave_v3_market
overrides: {aave_v3.reserves.WETH.liquidation_threshold: 80%, aave_v3.reserves.WETH.ltv: 75%,
            aave_v3.reserves.WETH.liquidation_bonus: 8%}
"""),
    "morpho-blue": ("morpho_blue_wsteth", LAB / "morpho_blue_crash.yaml", """\
kind: protocol
name: morpho_lower_lltv
protocol: morpho_blue_wsteth
overrides: {morpho.markets.wstETH_USDC.lltv: 77%}
"""),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    """(rules, current protocol, proposal file, simulation file, the compare result on ``PATHS`` paths)."""
    rules = request.param
    current, sim, text = CASES[rules]
    proposal = tmp_path_factory.mktemp(rules) / "proposal.yaml"
    proposal.write_text(text)
    cur, prop, notes = cmp.load_sides(current, proposal, sim)
    assert cur.params.rules == prop.params.rules == rules
    result = cmp.compare(cur, prop, paths=PATHS, resamples=50, workers=1, fan_paths=0, notes=notes)
    return rules, current, proposal, sim, result


def test_worst_paths_agree_on_the_real_protocol(case):
    rules, _, _, _, result = case
    verified = lab_verify.verify_worst_paths(result, per_side=2)
    assert [v.replay.side for v in verified] == ["current", "current", "proposed", "proposed"]
    assert [v.replay.path for v in verified] == result.worst_paths(2)["current"] + result.worst_paths(2)["proposed"]
    for v in verified:
        assert v.row()["protocol"] == rules
        assert v.check.ok, v.check.failures
        assert v.check.steps == len(v.replay.run.calls) > len(v.replay.positions)
        assert v.check.chain_liquidations == v.check.lab_liquidations == len(v.replay.run.events) > 0
    assert any(sum(v.check.bad_debt_chain.values()) > 0 for v in verified), "the worst paths should leave bad debt"
    if rules == "morpho-blue":  # a bad-debt realisation: Morpho refused the liquidation by shares, then seize-all
        assert any(o != "ok" for v in verified for _, o in v.replay.run.calls)
        assert any(e[5] > 0 for v in verified for e in v.replay.run.events)


def test_a_path_without_bad_debt_agrees_too(case):
    """The worst paths are seize-alls; a milder path (liquidations, no bad debt) checks the other kinds on chain:
    Aave's half closes above HF 0.95 (a position liquidated again later), Morpho's full closes by shares."""
    rules, _, _, _, result = case
    per = result.outcomes["current"].per_path
    path = int(np.flatnonzero((per["liquidation_count"] > 0) & (per["bad_debt_usd"] == 0))[0])
    side, spec = result.current, result.current.spec
    replay = preset_path_replay("current", side.protocol, side.params, spec.market(), result.book, result.paths,
                                spec.steps, spec.seed, spec.paths_per_chunk, path)
    checked = lab_verify.verify(replay).check
    assert checked.ok, checked.failures
    events = replay.run.events
    assert checked.chain_liquidations == len(events) > 0 and all(e[5] == 0 for e in events)
    assert sum(checked.bad_debt_chain.values()) == 0
    if rules == "aave-v3":
        assert len({e[1] for e in events}) < len(events), "a half close leaves a position to liquidate again"
    else:
        assert all(o == "ok" for _, o in replay.run.calls), "every liquidation by shares passes"


def test_the_proposal_is_what_the_chain_runs(case):
    """The proposed side's replay deploys the proposal's parameters, not the current ones."""
    rules, _, _, _, result = case
    cur, prop = (next(c for c in lab_verify.replays(result, 1) if c.side == s) for s in ("current", "proposed"))
    if rules == "aave-v3":
        lt = [c.run.market.reserves[[r.symbol for r in c.run.market.reserves].index("WETH")].liquidation_threshold
              for c in (cur, prop)]
        assert lt == [8_250, 8_000], lt
    else:
        assert [c.run.market.markets["wstETH_USDC"].lltv_bps for c in (cur, prop)] == [8_600, 7_700]


def test_wrong_figures_and_a_wrong_twin_are_reported(case, monkeypatch):
    _, _, _, _, result = case
    replay = next(lab_verify.replays(result, per_side=1))
    played = play_preset(replay)
    assert check_preset_replay(replay, *played).ok
    more = check_preset_replay(replace(replay, lab_liquidations=replay.lab_liquidations + 1), *played)
    assert not more.ok and any(f.startswith("liquidations: lab") for f in more.failures)
    debt = {k: v * 1.001 + 1.0 for k, v in replay.lab_bad_debt.items()}
    off = check_preset_replay(replace(replay, lab_bad_debt=debt), *played)
    assert not off.ok and any("bad debt: lab" in f for f in off.failures)
    order = check_preset_replay(replace(replay, lab_events=replay.lab_events[::-1] + ((0, 0),)), *played)
    assert not order.ok and any("(step, position)" in f for f in order.failures)
    steps, liquidations, bad = played
    fewer = check_preset_replay(replay, steps, liquidations - 1, {k: v + 1 for k, v in bad.items()})
    assert any(f.startswith("liquidations: twin") for f in fewer.failures)
    assert any("bad debt: twin" in f for f in fewer.failures)
    # the twin beside the chain with one rounding flipped: the chain must disagree
    if replay.rules == "aave-v3":
        from protocol_model.exact.presets.aave_v3 import liquidation_logic, percentage_math
        monkeypatch.setattr(liquidation_logic, "percent_mul", lambda x, p: percentage_math.percent_mul(x, p) + 1)
    else:
        from protocol_model.exact.presets.morpho_blue import math_lib, morpho
        monkeypatch.setattr(morpho, "w_div_up", math_lib.w_div_down)
    broken = lab_verify.verify(replay).check
    assert not broken.ok and any(f.startswith("step ") for f in broken.failures), broken.failures


def test_cli_writes_the_check_into_the_report(case, tmp_path, capsys):
    rules, current, proposal, sim, _ = case
    out = tmp_path / "out"
    code = main(["compare", current, str(proposal), "--simulation", str(sim), "--paths", str(PATHS), "--out",
                 str(out), "--workers", "1", "--no-progress", "--resamples", "50", "--verify-on-chain", "1"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "on chain 2/2: proposed path" in printed
    rows = json.loads((out / "compare.json").read_text())["on_chain"]
    assert [r["side"] for r in rows] == ["current", "proposed"] and all(r["ok"] for r in rows)
    assert {r["protocol"] for r in rows} == {rules}
    md = (out / "report.md").read_text()
    assert "## On-chain check of the worst paths" in md and "Model and chain agreed to the wei" in md
    assert REAL[rules] in md
    assert md.count("| yes |") >= 2


def test_keeper_economics_are_refused_in_one_line(tmp_path, capsys):
    sim = tmp_path / "sim.yaml"
    sim.write_text((LAB / "aave_v3_crash.yaml").read_text().replace("protocol: aave_v3_market",
                                                                      "protocol: aave_v3_market\n"
                                                                      "liquidators: {gas_usd: 20}"))
    code = main(["compare", "aave_v3_market", "aave_v3_market", "--simulation", str(sim), "--out",
                 str(tmp_path / "out"), "--workers", "1", "--no-progress", "--verify-on-chain", "1"])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "out").exists()
    assert err.count("\n") == 1 and f"{sim}: on-chain replay: liquidators:" in err, err


OPTIMISATION = """\
kind: optimisation
name: {name}
simulation: {sim}
asset: {asset}
search:
  ltv: {{low: 70%, high: {ltv_high}}}
  liquidation_threshold: {{low: 75%, high: {lt_high}}}
step: 100 bps
min_gap: {gap}
budgets: {budgets}
book: fixed
paths: 40
generations: 1
population: 2
verify_paths: 1
"""
OPTIMISE = {
    "aave-v3": dict(name="aave-weth", sim=LAB / "aave_v3_crash.yaml", asset="WETH", ltv_high="80%", lt_high="85%",
                    gap="2%", budgets="{conservative: 100000, moderate: 200000, aggressive: 400000}"),
    "morpho-blue": dict(name="morpho-wsteth", sim=LAB / "morpho_blue_crash.yaml", asset="wstETH", ltv_high="84%",
                        lt_high="86%", gap="0",  # a Morpho market's LTV is its LLTV: no gap at the current point
                        budgets="{conservative: 1000000, moderate: 3000000, aggressive: 9000000}"),
}


@pytest.mark.parametrize("rules", list(OPTIMISE))
def test_optimise_replays_its_recommendations_on_the_real_protocol(rules, tmp_path, capsys):
    """Each recommendation's worst path on the real protocol, deployed with the recommended parameters (Aave: the
    reserve's LTV and threshold; Morpho: the market's LLTV = the recommended threshold)."""
    fields = OPTIMISE[rules]
    path = tmp_path / "opt.yaml"
    path.write_text(OPTIMISATION.format(**fields))
    spec, sim = load_optimisation(path)
    result = optimise(spec, sim, workers=1)
    with pytest.raises(ValueError, match="needs the simulation's protocol"):
        next(lab_verify.recommendation_replays(result))
    chosen = {p: e for p, e in result.chosen.items() if e is not None}
    assert chosen, "some point should meet a budget"
    cases = list(lab_verify.recommendation_replays(result, protocol=simulation_protocol(fields["sim"])))
    assert [c.side for c in cases] == list(chosen)
    for c in cases:
        want = chosen[c.side].values
        if rules == "aave-v3":
            weth = next(r for r in c.run.market.reserves if r.symbol == "WETH")
            assert (weth.ltv, weth.liquidation_threshold) == (want["ltv"], want["liquidation_threshold"])
        else:
            assert c.run.market.markets["wstETH_USDC"].lltv_bps == want["liquidation_threshold"]
    out = tmp_path / "out"
    code = main(["optimise", str(path), "--out", str(out), "--workers", "1", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    rows = json.loads((out / "optimise.json").read_text())["on_chain"]
    assert [r["side"] for r in rows] == list(chosen)
    assert all(r["ok"] and r["protocol"] == rules for r in rows), rows
    assert sum(r["chain_liquidations"] for r in rows) > 0
    assert REAL[rules] in (out / "report.md").read_text()


def test_optimise_on_morpho_needs_no_gap_at_the_current_point(tmp_path, capsys):
    path = tmp_path / "opt.yaml"
    path.write_text(OPTIMISATION.format(**{**OPTIMISE["morpho-blue"], "gap": "2%"}))
    code = main(["optimise", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "out").exists()
    assert err.count("\n") == 1 and f"{path}: min_gap: the current wstETH parameters" in err, err
