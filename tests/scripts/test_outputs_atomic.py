"""Outputs of the ape scripts are written atomically (a temporary file beside the target, then ``os.replace``):
``ape run play``'s JSON-lines report and ``ape run gas_snapshot``'s ``.gas-snapshot``. An interrupted run leaves
the previous file whole and no half file; a file is never rewritten in place (a hard link to it keeps the old
bytes). No chain is needed."""

from __future__ import annotations

import os

from protocol_model.chain.gas import parse_snapshot, write_snapshot
from protocol_model.chain.play import Report


def test_an_interrupted_play_report_leaves_the_previous_one_whole(tmp_path):
    path = tmp_path / "reports" / "s.play.jsonl"
    path.parent.mkdir()
    path.write_text('{"event": "end"}\n')
    report = Report.open(path)
    report.write("start", scenario="s")
    assert path.read_text() == '{"event": "end"}\n'  # nothing replaced while the run goes on
    report.discard()  # what scripts/play.py does on Ctrl-C or an unreported error
    assert path.read_text() == '{"event": "end"}\n'
    assert os.listdir(path.parent) == ["s.play.jsonl"]  # no temporary file left


def test_a_closed_play_report_replaces_the_previous_one(tmp_path):
    path = tmp_path / "s.play.jsonl"
    path.write_text("old\n")
    os.link(path, tmp_path / "old-link")
    report = Report.open(path)
    report.write("start", scenario="s")
    report.write("error", message="chain died")
    report.close()
    report.close()  # a second close does nothing
    assert path.read_text().splitlines() == ['{"event": "start", "scenario": "s"}',
                                             '{"event": "error", "message": "chain died"}']
    assert (tmp_path / "old-link").read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["old-link", "s.play.jsonl"]


def test_the_gas_snapshot_is_replaced_not_rewritten_in_place(tmp_path):
    path = tmp_path / ".gas-snapshot"
    write_snapshot({"LendingPool.supply": 100}, path, echo=lambda _: None)
    os.link(path, tmp_path / "committed")
    changed: list[str] = []
    write_snapshot({"LendingPool.supply": 120}, path, echo=changed.append)
    assert changed == ["LendingPool.supply: 100 -> 120"]
    assert parse_snapshot(path.read_text(), str(path)) == {"LendingPool.supply": 120}
    assert parse_snapshot((tmp_path / "committed").read_text(), "committed") == {"LendingPool.supply": 100}
    assert sorted(os.listdir(tmp_path)) == [".gas-snapshot", "committed"]
