"""``protocol-model check`` and ``protocol-model story`` on an Aave story: the story is validated by the
Aave loader and played on the real Aave V3 bytecode (in-process) with the twin, step by step."""

from __future__ import annotations

from pathlib import Path

from protocol_model.cli import main

STORY = Path(__file__).resolve().parents[3] / "scenarios" / "presets" / "aave" / "full_close_below_095.yaml"


def test_check_and_story_play_an_aave_story_on_the_real_bytecode(capsys):
    assert main(["check", str(STORY)]) == 0
    assert main(["story", str(STORY)]) == 0
    out = capsys.readouterr().out
    assert "liquidate carol WETH max alice USDC" in out
    assert out.strip().endswith("7 steps on the real Aave V3 bytecode (in-process chain) and the twin, 0 mismatches")


def test_a_wrong_expectation_is_reported(tmp_path, capsys):
    text = STORY.read_text().replace('amount: "1", expect: "39"', 'amount: "1", expect: "ok"')
    text = text.replace("../../../protocols/", str(STORY.parents[3] / "protocols") + "/")
    bad = tmp_path / "story.yaml"
    bad.write_text(text)
    assert main(["story", str(bad)]) == 1
    assert "MISMATCH (file expects ok" in capsys.readouterr().out


def test_an_expectation_by_errors_name_and_the_name_in_the_report(tmp_path, capsys):
    """``expect: NO_DEBT_OF_SELECTED_TYPE`` is read as its code 39 (what the chain reverts with), and the
    report names the code beside it."""
    text = STORY.read_text().replace('amount: "1", expect: "39"', 'amount: "1", expect: NO_DEBT_OF_SELECTED_TYPE')
    assert "NO_DEBT_OF_SELECTED_TYPE" in text
    text = text.replace("../../../protocols/", str(STORY.parents[3] / "protocols") + "/")
    story = tmp_path / "story.yaml"
    story.write_text(text)
    assert main(["story", str(story)]) == 0
    out = capsys.readouterr().out
    assert "model 39       chain 39" in out and "NO_DEBT_OF_SELECTED_TYPE" in out
    assert out.strip().endswith("0 mismatches")
