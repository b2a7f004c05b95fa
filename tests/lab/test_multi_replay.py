"""Cross-collateral books made ready for the chain (issue #18): ``MultiPositions.borrowable`` caps each account at
``LendingPool``'s borrow check (the exact pool accepts every borrow, an uncapped book is refused), ``Book.subset``
keeps names and amounts, ``onchain.event_debt_assets`` attributes the engine's bad debt to the debt assets it chose,
``path_replay`` cuts a cross-collateral book down, and ``book_from_scenario`` imports accounts with several
collaterals and debts into ``Book.multi``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import yaml

from protocol_model.sim.books import Book, MultiPositions
from protocol_model.sim.cascade import quantize_oracle, run_cascade
from protocol_model.sim.exact import exact_keeper, opening
from protocol_model.sim.importer import book_from_scenario
from protocol_model.sim.onchain import default_case, event_debt_assets, path_replay

from .cases import crash_params, flat_market, four_asset_case, gap_market, interest_params, multi_book


def _over_the_line(params) -> Book:
    """The shared cross-collateral book with every account's debts raised to 1.2× its LTV capacity (whole token
    units), so the pool would refuse each account's last borrow."""
    book = multi_book(params, 4, 9, seed=5)
    m = book.multi
    p = np.array(params.initial_prices)
    ltv = np.array([a.ltv_bps for a in params.assets]) / 1e4
    room = (m.coll * p * ltv).sum(axis=1) / (m.debt * p).sum(axis=1)
    raised = MultiPositions(m.coll, m.debt * (1.2 * room)[:, None], m.names)
    return replace(book, multi=raised).quantized(params)


def _values(params, book: Book) -> list[tuple[int, int]]:
    """Each cross-collateral account's (borrow capacity, debt) in USD WAD in the exact pool after the opening,
    ``LendingPool.accountValues``; the opening itself asserts that every borrow passed."""
    names = [f"b{i}" for i in range(len(book))]
    run = exact_keeper(params, book, np.array([params.initial_prices]), names=names)
    assert run.liquidation_count == 0
    from protocol_model.world.model_world import ModelWorld, resolve
    world = ModelWorld(run.scenario, {a.name: 0 for a in params.assets})
    for i, step in enumerate(run.scenario.steps):
        assert world.apply(resolve(step, run.scenario), i + 1) == "ok"
    out = []
    for name in names[book.n_pairs:]:
        v = world.pool.account_values(name)
        out.append((v.borrow_capacity_wad, v.debt_wad))
    return out


def test_borrowable_caps_cross_collateral_accounts_at_the_pools_line():
    params = crash_params()
    book = _over_the_line(params)
    prices = quantize_oracle(np.array(params.initial_prices))
    with pytest.raises(AssertionError, match="InsufficientCollateral"):
        exact_keeper(params, book, np.array([params.initial_prices]))
    capped = book.borrowable(params, prices)
    values = _values(params, capped)
    assert len(values) == 9
    for capacity, debt in values:
        assert debt <= capacity  # the pool accepted every borrow
        assert debt >= capacity * (1 - 1e-5), "capped just below the line, not far under it"
    m, c = book.multi, capped.multi
    owed = m.debt > 0
    ratio = c.debt[owed] / m.debt[owed]
    for i in range(len(m)):  # pro rata: one factor per account
        r = (c.debt[i] / np.where(m.debt[i] > 0, m.debt[i], 1))[m.debt[i] > 0]
        np.testing.assert_allclose(r, r[0], rtol=1e-5)
    assert np.all((ratio > 1 / 1.2 - 1e-3) & (ratio < 1 / 1.2 + 1e-3))
    np.testing.assert_array_equal(c.coll, m.coll)
    assert c.names == m.names


def test_borrowable_leaves_accounts_below_the_line_alone():
    params = crash_params()
    book = multi_book(params, 4, 9, seed=5)
    capped = book.borrowable(params, quantize_oracle(np.array(params.initial_prices)))
    np.testing.assert_array_equal(capped.multi.debt, book.multi.debt)
    assert all(debt <= capacity for capacity, debt in _values(params, capped))


def test_subset_keeps_pairs_sorted_then_accounts_with_their_names():
    params = crash_params()
    book = multi_book(params, 6, 6, seed=5)
    sub = book.subset([10, 1, 4, 7])
    assert sub.n_pairs == 2 and len(sub.multi) == 2
    assert sub.all_names == tuple(book.all_names[i] for i in (1, 4, 7, 10))
    coll, debt = book.dense(3)
    sc, sd = sub.dense(3)
    np.testing.assert_array_equal(sc, coll[[1, 4, 7, 10]])
    np.testing.assert_array_equal(sd, debt[[1, 4, 7, 10]])
    assert book.subset([0, 2]).multi is None


def test_event_debt_assets_are_the_engines_choices():
    """The engine's bad debt per asset equals the sum of its events' bad debt by the attributed asset, on a gap
    that writes off second debts; and the attributed debts are the exact keeper's choices, event by event (the
    four-asset case, where lab and exact engine take the same decisions)."""
    params, market, book = four_asset_case()
    lab = run_cascade(params, book, market, np.random.default_rng(5), 6, 8, record_events=True, record_series=True)
    seen_written = seen_two = 0
    for p in range(6):
        events = [e for e in lab.events if e[0] == p]
        legs = event_debt_assets(book, events, lab.series["oracle"][p])
        per = np.zeros(4)
        for e, d in zip(events, legs, strict=True):
            per[d] += e[6]
        np.testing.assert_allclose(per, lab.bad_debt_tokens[p], rtol=1e-12, atol=1e-12)
        exact = exact_keeper(params, book, lab.series["oracle"][p])
        assert legs == [d for _, d in exact.legs], f"path {p}: debt choices differ"
        seen_written += sum(e[3] == 0 and e[6] > 0 for e in events)
        seen_two += len({d for e, d in zip(events, legs, strict=True) if e[2] >= book.n_pairs}) > 1
    assert seen_written > 0 and seen_two > 0, "second debts written off, both debt assets chosen"


def test_event_debt_assets_follow_the_borrow_index():
    """With interest each debt grows with its asset's borrow index: accounts of 1 WBTC owing 48% of their debt
    value in USDC (156% a year) and 52% in WETH, on a flat market, are liquidated by interest alone after USDC's
    index has overtaken (×1.1 against WETH's): USDC is then the largest debt. The attribution, which follows
    the indices, says so, as the exact keeper's choices do (without the indices it would say WETH)."""
    params = interest_params()
    value = 60_000.0 * 0.73 * np.linspace(0.95, 0.99, 8)  # 95%..99% of WBTC's LTV
    debt = np.zeros((8, 3))
    debt[:, 0] = np.floor(0.48 * value * 1e6) / 1e6
    debt[:, 2] = np.floor(0.52 * value / params.initial_prices[2] * 1e12) / 1e12
    coll = np.zeros((8, 3))
    coll[:, 1] = 1.0
    book = Book(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0), multi=MultiPositions(coll, debt))
    lab = run_cascade(params, book, flat_market(), np.random.default_rng(11), 1, 60, record_events=True,
                      record_series=True)
    oracle, index = lab.series["oracle"][0], lab.series["borrow_index"][0]
    legs = event_debt_assets(book, lab.events, oracle, index)
    assert len(legs) >= 3 and set(legs) == {0}
    assert set(event_debt_assets(book, lab.events, oracle)) == {2}  # what ignoring the indices would say
    assert legs == [d for _, d in exact_keeper(params, book, oracle).legs]


def test_path_replay_cuts_a_cross_collateral_book_down():
    params = crash_params()
    book = multi_book(params, 6, 9, seed=3)
    run = run_cascade(params, book.quantized(params), gap_market(), np.random.default_rng(9), 8, 8)
    path = int(np.argmax(run.per_path["bad_debt_usd"]))
    r = path_replay("x", params, gap_market(), book, 8, 8, 9, 8, path)
    assert len(r.positions) == 6
    multi_names = set(book.all_names[book.n_pairs:])
    assert multi_names & set(r.positions), "cross-collateral accounts replayed"
    steps = [s for s in r.scenario.steps if s.op == "liquidate"]
    assert r.lab_liquidations == len(steps) > 0
    assert sum(r.lab_bad_debt.values()) > 0


def _story(tmp_path, data: dict) -> str:
    """The accounts and steps of ``data`` (a scenario as ``sim.exact.opening`` builds it) as a story file on the
    generic protocol; returns its path."""
    f = tmp_path / "story.yaml"
    story = {"kind": "story", "name": "opened", "protocol": "generic", "accounts": data["accounts"],
             "steps": data["steps"]}
    f.write_text(yaml.safe_dump(story))
    return str(f)


def test_importer_reads_cross_collateral_accounts(tmp_path):
    """A book opened by the exact engine (``sim.exact.opening``) and imported back: pairs stay pairs, accounts with
    several collaterals or debts become ``Book.multi`` rows, amounts as opened plus the interest the generic
    protocol's rate curves accrue over the story's one-second calls (USDC collateral earns, debts owe)."""
    params = default_case().params  # the generic protocol's assets, as the story lists them
    book = multi_book(params, 4, 6, seed=5)
    names = [f"acct{i:02d}" for i in range(len(book))]
    got = book_from_scenario(_story(tmp_path, opening(params, book, params.initial_prices, names, "supplier",
                                                      "keeper")), params)
    assert got.n_pairs == 4 and len(got.multi) == 6
    assert got.all_names == tuple(names)
    for imported, opened in zip(got.dense(3), book.dense(3), strict=True):
        np.testing.assert_array_equal(imported > 0, opened > 0)
        assert np.all(imported >= opened - 1e-12)  # what was opened, plus the seconds of interest the calls accrued
        np.testing.assert_allclose(imported, opened, rtol=1e-6)
    assert (got.multi.coll > 0).sum(axis=1).max() == 2 and (got.multi.debt > 0).sum(axis=1).max() == 2


def test_importer_rejects_an_asset_held_both_ways(tmp_path):
    params = default_case().params  # the generic protocol's assets, as the story lists them
    one = Book(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0),
               multi=MultiPositions(np.array([[0.0, 1.0, 0.0]]), np.array([[1000.0, 0.0, 0.0]])))
    data = opening(params, one, params.initial_prices, ["amy"], "supplier", "keeper")
    data["accounts"][0]["balances"]["USDC"] = "500"
    data["steps"].append({"op": "supply", "account": "amy", "asset": "USDC", "amount": "500"})
    with pytest.raises(ValueError, match="'amy' holds 'USDC' both as collateral and as debt"):
        book_from_scenario(_story(tmp_path, data), params)
