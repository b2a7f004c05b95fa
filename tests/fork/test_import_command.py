"""``protocol-model import`` on the fork: the command reads the generic pool, Aave V3 and Morpho Blue deployments
through the fork's JSON-RPC URL, and what it prints and writes is the library importers' prediction, liquidation
by liquidation, to the unit (the library's predictions are proven on the fork by test_importer.py and
test_preset_importers.py). Its book file loads in ``compare --book``; the node is only read (same head, no
transaction); bad input gets one line, exit code 2, and nothing written."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from protocol_model.chain.aave_v3.importer import predict_aave_price_move
from protocol_model.chain.importer import import_pool, predict_price_move
from protocol_model.chain.morpho_importer import import_morpho, predict_morpho_price_move
from protocol_model.cli import main
from protocol_model.exact.oracle.price_router import usd_to_answer
from protocol_model.scenario.morpho_blue import oracle_price
from protocol_model.sim import compare as cmp
from protocol_model.world.keeper import accrued

from .conftest import FORK_PORT
from .test_preset_importers import _import_aave

URL = f"http://127.0.0.1:{FORK_PORT}"
USD = 10**8


def _labels(accounts: dict[str, str]) -> list[str]:
    return [f"{a}={n}" for n, a in accounts.items() if n != "keeper"]


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _liquidations(tmp_path) -> list[dict]:
    return json.loads((tmp_path / "out" / "import.json").read_text())["prediction"]["liquidations"]


SIM = """\
kind: simulation
name: imported-book
protocol: {protocol}
seed: 7
paths: 20
steps: 5
oracle: {{delay_steps: 0, deviation_bps: 0, heartbeat_steps: 1}}
assets:
{assets}
book:
  synthetic: {{positions: 10, debt_asset: USDC, collateral_weights: {{WETH: 1}}}}
"""


def _simulation(tmp_path, protocol: str, assets: list[str]):
    lines = "\n".join(f"  {a}: {{amm_depth_usd: 10000000, driver: {{kind: gbm, sigma_annual: 0.5}}}}" for a in assets)
    sim = tmp_path / "sim.yaml"
    sim.write_text(SIM.format(protocol=protocol, assets=lines))
    return sim


def _compare_loads(capsys, tmp_path, protocol: str, assets: list[str], book) -> str:
    """``compare PROTOCOL PROTOCOL --book BOOK`` on a small simulation of ``assets``: exit 0; its book line."""
    sim = _simulation(tmp_path, protocol, assets)
    code, out, err = _run(capsys, ["compare", protocol, protocol, "--simulation", str(sim), "--book", str(book),
                                   "--resamples", "10", "--workers", "1", "--no-progress",
                                   "--out", str(tmp_path / "compare")])
    assert code == 0, err
    return next(line for line in out.splitlines() if line.startswith("book: "))


def test_generic_import_prints_the_library_prediction(world, record, project, tmp_path, capsys):
    """WETH $2000 -> $1000 (test_importer.py's crash): alice and dave, seized entirely, USDC bad debt. Read at the
    pinned block through ``--block`` (a local anvil forking the fork there)."""
    keeper = record.accounts["keeper"]
    code, out, err = _run(capsys, [
        "import", "generic", "--rpc", URL, "--block", str(record.block_number), "--address", record.pool,
        "--keeper", keeper,
        "--label", *_labels(record.accounts), "--move", "WETH=1000", "--out", str(tmp_path / "out"),
        "--book-out", str(tmp_path / "book.csv")])
    assert code == 0, err
    labels = {a: n for n, a in record.accounts.items()}
    imported = import_pool(project, record.pool, labels=labels, extra_accounts=[keeper])
    lib = predict_price_move(imported, {"WETH": usd_to_answer("1000")}, "keeper", imported.block_timestamp + 1)
    got = _liquidations(tmp_path)
    assert [(q["time"], q["borrower"], q["collateral"], q["debt"], q["repaid"], q["seized"], q["protocol_fee"],
             q["bad_debt"]) for q in got] == \
        [(p.time, p.action.borrower, p.action.collateral, p.action.debt, p.amounts.repaid, p.amounts.seized,
          p.amounts.protocol_fee, sum(b.amount for b in p.bad_debt)) for p in lib.liquidations]
    assert [q["borrower"] for q in got] == ["alice", "dave"] and all(q["bad_debt"] > 0 for q in got)
    assert "liquidatable after the move: 2 (alice, dave)" in out
    assert "repaid 9523.809524 USDC" in out.replace(",", "")  # ⌈⌈10 WETH / 1.05⌉ · 1000 USD⌉ (test_importer.py)
    assert "5 indebted positions" in out  # lp and the keeper hold no debt
    doc = json.loads((tmp_path / "out" / "import.json").read_text())
    assert doc["block_number"] == record.block_number == imported.block_number
    assert {p["account"] for p in doc["positions"]} == {"alice", "bob", "carol", "dave", "erin"}
    assert doc["liquidatable_now"] == []

    book_line = _compare_loads(capsys, tmp_path, "generic", ["USDC", "WBTC", "WETH"], tmp_path / "book.csv")
    assert "book: fixed, 5 positions (read from" in book_line  # carol: WETH + WBTC, one cross-collateral account
    rows = list(csv.DictReader((tmp_path / "book.csv").open()))
    assert [r["position"] for r in rows].count("carol") == 2
    alice = next(r for r in rows if r["position"] == "alice")
    view = accrued(imported.pool, imported.block_timestamp)  # 10 WETH supplied, interest to the imported block
    assert (alice["collateral"], alice["debt"]) == ("WETH", "USDC")
    # WETH's last accrual (erin's borrow) may be at the imported block's own time: interest only if time passed
    weth_accrued = imported.pool.assets["WETH"].state.last_update < imported.block_timestamp
    supplied = Decimal(view.supply_balance("WETH", "alice")).scaleb(-18)
    assert Decimal(alice["collateral_tokens"]) == supplied and (supplied > 10 if weth_accrued else supplied == 10)
    assert Decimal(alice["debt_tokens"]) == Decimal(view.debt_balance("USDC", "alice")).scaleb(-6) > 12_000


def test_aave_import_prints_the_library_prediction(preset_fork, presets_record, project, tmp_path, capsys):
    """WETH $1000 and WBTC $40000 (test_preset_importers.py's crash): six liquidations, protocol fees, debt left.
    With ``--block`` the positions are read through a lens the command deploys on its own local fork."""
    rec = presets_record["aave"]
    head = preset_fork.blocks.head.number
    code, out, err = _run(capsys, [
        "import", "aave-v3", "--rpc", URL, "--block", str(head), "--address", rec["pool"],
        "--from-block", str(rec["deploy_block"]), "--keeper", rec["accounts"]["keeper"],
        "--label", *_labels(rec["accounts"]),
        "--move", "WETH=1000", "WBTC=-33.3333333333333333%", "--out", str(tmp_path / "out"),
        "--book-out", str(tmp_path / "book.csv")])
    assert code == 0, err
    assert preset_fork.blocks.head.number == head, "read-only: nothing mined"
    aave = _import_aave(rec, project=project, lens=rec["lens"])
    lib = predict_aave_price_move(aave, {"WETH": 1000 * USD, "WBTC": 40000 * USD}, "keeper",
                                  aave.block_timestamp + 1)
    got = _liquidations(tmp_path)
    assert [(q["time"], q["borrower"], q["collateral"], q["debt"], q["repaid"], q["seized"], q["protocol_fee"])
            for q in got] == [(p.time, p.borrower, p.collateral, p.debt, p.amounts.debt,
                               p.amounts.collateral + p.amounts.protocol_fee, p.amounts.protocol_fee)
                              for p in lib.liquidations]
    assert len(got) == 6 and all(q["protocol_fee"] > 0 and q["bad_debt"] == 0 for q in got)
    left = json.loads((tmp_path / "out" / "import.json").read_text())["prediction"]["debt_left_not_written_off"]
    assert left == {f"{u}/{a}": v for (u, a), v in lib.debt_left_uncollateralised.items()}
    assert "liquidatable after the move: 4 (alice, bob, carol, dave)" in out
    assert "debt left without collateral, not written off: " in out

    sim = _simulation(tmp_path, "aave_v3_market", ["USDC", "DAI", "WETH", "WBTC"])
    params = cmp.load_sides("aave_v3_market", "aave_v3_market", sim)[0].params
    book = cmp.read_book(tmp_path / "book.csv", params)  # what compare --book reads
    assert sorted(book.all_names) == ["bob", "carol", "erin"] and book.multi is None  # the pairs
    assert "left out: alice (several assets: the lab's aave-v3 rule takes one collateral and one debt), dave (" in out


def test_morpho_import_prints_the_library_prediction(preset_fork, presets_record, tmp_path, capsys):
    """wstETH $2250 (USDC market) and 0.8 WETH (WETH market): alice closed by shares; bob, dave, carol seized
    entirely with bad debt (test_preset_importers.py)."""
    rec = presets_record["morpho"]
    names = {**rec["accounts"], **rec["tokens"]}
    head = preset_fork.blocks.head.number
    code, out, err = _run(capsys, [
        "import", "morpho-blue", "--rpc", URL, "--address", rec["morpho"], "--from-block", str(rec["deploy_block"]),
        "--keeper", rec["accounts"]["keeper"], "--label", *_labels(names), "--decimals", "USDC=6", "WETH=18",
        "wstETH=18", "--move", "wstETH_USDC=2250", "wstETH_WETH=0.8", "--out", str(tmp_path / "out"),
        "--book-out", str(tmp_path / "book.csv")])
    assert code == 0, err
    assert preset_fork.blocks.head.number == head, "read-only: nothing mined"
    labels = {a: n for n, a in names.items()}
    morpho = import_morpho(rec["morpho"], labels=labels, extra_accounts=[rec["accounts"]["keeper"]],
                           from_block=rec["deploy_block"])
    prices = {"wstETH_USDC": oracle_price(Decimal("2250"), 6, 18), "wstETH_WETH": oracle_price(Decimal("0.8"), 18, 18)}
    lib = predict_morpho_price_move(morpho, prices, "keeper", morpho.block_timestamp + 1)
    got = _liquidations(tmp_path)
    assert [(q["time"], q["market"], q["borrower"], q["repaid"], q["seized"], q["bad_debt"]) for q in got] == \
        [(p.time, p.market, p.borrower, p.repaid_assets, p.seized_assets, p.bad_debt_assets) for p in lib.liquidations]
    assert [q["borrower"] for q in got if q["bad_debt"]] == ["bob", "dave", "carol"]
    assert "liquidatable after the move: 4 (alice (wstETH_USDC), bob (wstETH_USDC), dave (wstETH_USDC), " \
           "carol (wstETH_WETH))" in out
    rows = list(csv.DictReader((tmp_path / "book.csv").open()))
    assert {r["position"] for r in rows} == {"alice@wstETH_USDC", "bob@wstETH_USDC", "dave@wstETH_USDC",
                                             "carol@wstETH_WETH"}


@pytest.mark.parametrize("argv,message", [
    (["import", "compound-v3", "--rpc", URL], "invalid choice: 'compound-v3'"),
    (["import", "generic", "--rpc", URL, "--address", "0x1234"], "--address '0x1234': not an address"),
    (["import", "generic", "--rpc", URL, "--address", "0x" + "11" * 20, "--move", "WETH:1000"],
     "--move 'WETH:1000': expected ASSET=PRICE"),
    (["import", "generic", "--rpc", URL, "--address", "0x" + "11" * 20, "--move", "WETH=-120%"],
     "a change must be above -100%"),
    (["import", "generic", "--rpc", URL, "--address", "0x" + "11" * 20, "--move", "WETH=1", "WETH=-5%"],
     "--move: WETH is moved twice"),
    (["import", "generic", "--rpc", "http://127.0.0.1:9/secret-key", "--address", "0x" + "11" * 20],
     "--rpc http://127.0.0.1:9: no JSON-RPC node answers there"),
    (["import", "generic", "--rpc", URL, "--address", "0x" + "11" * 20], "no contract there"),
    (["import", "generic", "--rpc", URL, "--address", "0x" + "11" * 20, "--market", "0x" + "00" * 32],
     "--market: only morpho-blue has markets"),
])
def test_bad_input_one_line_exit_2_nothing_written(fork, tmp_path, capsys, argv, message):
    out_dir, book = tmp_path / "out", tmp_path / "book.csv"
    try:
        code = main([*argv, "--out", str(out_dir), "--book-out", str(book)])
    except SystemExit as exited:  # a usage error (argparse)
        code = exited.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert "secret-key" not in err, "the RPC URL's path (where keys live) is never printed"
    assert not out_dir.exists() and not book.exists()


def test_a_pool_of_another_preset_is_named(world, record, tmp_path, capsys):
    """The generic pool read as Aave V3: one line naming --address and the preset."""
    code, _, err = _run(capsys, ["import", "aave-v3", "--rpc", URL, "--address", record.pool,
                                 "--out", str(tmp_path / "out")])
    assert code == 2 and f"--address {record.pool}: not readable as a aave-v3 deployment" in err, err
    assert not (tmp_path / "out").exists()
