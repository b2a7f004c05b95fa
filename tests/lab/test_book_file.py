"""A simulation file's ``book: {file: ...}``: the book file (``compare --book``'s format, e.g. written by
``protocol-model import --book-out``) is the simulation's book, position for position; a missing file or a bad
row is one line naming the file and field, exit code 2, nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from protocol_model.cli import main
from protocol_model.scenario.base import ScenarioError
from protocol_model.sim.book_file import read_book
from protocol_model.sim.compare import load_sides
from protocol_model.sim.run import build_book
from protocol_model.sim.spec import load_simulation

SIM = """\
kind: simulation
name: imported-book
protocol: generic
seed: 3
paths: 30
steps: 10
oracle: {{delay_steps: 0, deviation_bps: 0, heartbeat_steps: 1}}
assets:
  USDC: {{driver: {{kind: gbm, sigma_annual: 0.0}}}}
  WBTC: {{amm_depth_usd: 1000000, driver: {{kind: gbm, sigma_annual: 0.8}}}}
  WETH: {{amm_depth_usd: 1000000, driver: {{kind: gbm, sigma_annual: 1.2}}}}
book: {book}
"""
BOOK = """\
position,collateral,debt,collateral_tokens,debt_tokens
alice,WETH,USDC,10.000000000032012394,12000.000007
bob,WBTC,USDC,1.00000000,40000.000023
carol,WBTC,USDC,0.50000000,15000.000008
carol,WETH,USDC,5.000000000016006197,0
erin,USDC,WETH,20000.000000,7.000000000444407361
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "book.csv").write_text(BOOK)
    (tmp_path / "sim.yaml").write_text(SIM.format(book="{file: book.csv}"))
    return tmp_path


def test_the_book_file_is_the_simulations_book(files):
    spec = load_simulation(files / "sim.yaml")
    assert spec.book.file == str(files / "book.csv")  # resolved against the simulation file's folder
    params = load_sides("generic", "generic", files / "sim.yaml")[0].params
    book, expected = build_book(spec, params), read_book(files / "book.csv", params)
    assert book.all_names == expected.all_names and sorted(book.all_names) == ["alice", "bob", "carol", "erin"]
    np.testing.assert_array_equal(book.coll_tokens, expected.coll_tokens)
    np.testing.assert_array_equal(book.debt_tokens, expected.debt_tokens)
    assert book.multi is not None and book.multi.names == ("carol",)
    np.testing.assert_array_equal(book.multi.coll, expected.multi.coll)


def test_simulate_runs_on_the_book_file(files, capsys):
    out = files / "out"
    assert main(["simulate", str(files / "sim.yaml"), "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert doc["positions"] == 4 and doc["book"] == f"read from {files / 'book.csv'}"


def test_compare_holds_the_book_file(files, capsys):
    """No --book: compare's book is the simulation's, here the file, held fixed for both sides."""
    code = main(["compare", "generic", "generic", "--simulation", str(files / "sim.yaml"), "--workers", "1",
                 "--resamples", "10", "--no-progress", "--out", str(files / "compare")])
    assert code == 0
    assert f"book: fixed, 4 positions (read from {files / 'book.csv'})" in capsys.readouterr().out


@pytest.mark.parametrize("book,text,message", [
    ("{file: missing.csv}", BOOK, "book.file: no such file 'missing.csv'"),
    ("{file: book.csv, synthetic: {positions: 5, debt_asset: USDC, collateral_weights: {WETH: 1}}}", BOOK,
     "give exactly one of 'synthetic', 'scenario' or 'file'"),
    ("{file: book.csv}", BOOK.replace("WBTC,USDC,1.0", "DOGE,USDC,1.0"), "line 3: collateral: unknown asset 'DOGE'"),
])
def test_bad_book_files_one_line_exit_2(tmp_path, capsys, book, text, message):
    (tmp_path / "book.csv").write_text(text)
    (tmp_path / "sim.yaml").write_text(SIM.format(book=book))
    out = tmp_path / "out"
    assert main(["simulate", str(tmp_path / "sim.yaml"), "--workers", "1", "--no-progress", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()
    with pytest.raises(ScenarioError, match=message.split(": ")[-1][:20]):
        build_book(load_simulation(tmp_path / "sim.yaml"), load_sides("generic", "generic", tmp_path / "sim.yaml")[0]
                   .params)
