"""Cross-check (3): lab paths replayed on anvil through the scenario runner.

The lab runs a six-borrower book over 200 paths; the worst path (most bad debt) and two random ones are
turned into scenarios (opening, the lab's oracle prices as ``price`` steps, a keeper's ``liquidate max``
calls, see ``protocol_model.sim.exact``) and replayed by ``Replay`` on the chain and in the exact model
(every field compared to the wei after every step). The chain must then show the lab's numbers:
liquidation and bad-debt counts exactly, bad debt per asset within the tolerance of
tests/lab/test_engine_vs_exact.py (float64 vs integer units).
"""

from __future__ import annotations

from protocol_model.sim.onchain import default_case, pick_paths

REL, UNITS = 1e-9, 4


def test_lab_paths_agree_on_chain(checked_replay):
    case = default_case()
    lab = case.run()
    picks = pick_paths(lab, n_random=2, seed=7)
    assert lab.per_path["bad_debt_usd"][picks[0]] > 0, "the worst path should carry bad debt"
    names = [a.name for a in case.params.assets]
    dec = [a.decimals for a in case.params.assets]
    for p in picks:
        results = checked_replay(case.exact(lab, p).scenario, where=f"path {p} ").results
        chain_liquidations = sum(r.action.kind == "liquidate" and r.chain == "ok" for r in results)
        assert chain_liquidations == lab.per_path["liquidation_count"][p], f"path {p}: liquidation count"
        final = results[-1].after()
        events = [e for e in lab.events if e[0] == p]
        assert sum(e[6] > 0 for e in events) == lab.per_path["bad_debt_count"][p]
        for k, name in enumerate(names):
            on_chain = final.field("asset", name, "bad_debt")
            in_lab = lab.bad_debt_tokens[p][k] * 10 ** dec[k]
            n_bad = sum(e[6] > 0 for e in events if case.book.debt_asset[e[2]] == k)
            assert (on_chain > 0) == (n_bad > 0), f"path {p} {name}: bad debt on chain {on_chain}, lab events {n_bad}"
            assert abs(on_chain - in_lab) <= REL * on_chain + UNITS * max(1, len(events)), \
                f"path {p} {name}: bad debt chain {on_chain} vs lab {in_lab:.0f} units"
