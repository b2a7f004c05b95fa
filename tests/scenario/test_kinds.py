"""Every file says what it is; a file given to the wrong command gets one line naming the command that
takes it, exit code 2, and nothing runs or is written. One test per pair (kind, command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_model.cli import COMMAND_KINDS, main
from protocol_model.scenario.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = {"protocol": ROOT / "protocols" / "generic.yaml", "story": ROOT / "scenarios" / "default.yaml",
          "perp_story": ROOT / "scenarios" / "perp" / "bankruptcy.yaml",
          "simulation": ROOT / "scenarios" / "lab" / "eth_crash.yaml",
          "sweep": ROOT / "scenarios" / "lab" / "sweep_eth.yaml",
          "optimisation": ROOT / "scenarios" / "lab" / "optimise_weth.yaml",
          "morpho_story": ROOT / "scenarios" / "presets" / "morpho" / "seize_by_collateral.yaml"}
RUNS = ("simulate", "sweep", "stablecoin", "story", "optimise")
PAIRS = [(kind, command) for kind in KINDS for command in RUNS if kind not in COMMAND_KINDS[command]]


@pytest.mark.parametrize("kind,command", PAIRS, ids=[f"{k}-to-{c}" for k, c in PAIRS])
def test_wrong_kind_names_the_command_that_takes_it(kind, command, tmp_path, capsys):
    out = tmp_path / "out"
    args = [command, str(SAMPLE[kind])] + (["--out", str(out)] if command != "story" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    what, takes = KINDS[kind]
    assert err == f"error: {SAMPLE[kind]}: kind: this is {what}, not " \
                  f"{' or '.join(KINDS[k][0] for k in COMMAND_KINDS[command])}; {takes}\n"
    assert not out.exists()


@pytest.mark.parametrize("kind", list(KINDS))
def test_check_says_which_kind_each_file_is(kind, capsys):
    assert main(["check", str(SAMPLE[kind])]) == 0
    assert capsys.readouterr().out == f"{SAMPLE[kind]}: ok ({KINDS[kind][0]}; {KINDS[kind][1]})\n"


def test_story_command_plays_stories_and_perp_stories(capsys):
    for kind in ("story", "perp_story"):
        assert main(["story", str(SAMPLE[kind])]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].split() == ["#", "step", "outcome", "as", "the", "file", "expects"]  # the columns named
        assert all(line.split()[-1] == "yes" for line in out[1:-1]) and len(out) > 2
        assert ", 0 mismatches (exact model" in out[-1]


def test_a_file_without_kind_is_refused(tmp_path, capsys):
    bad = tmp_path / "x.yaml"
    bad.write_text("name: x\n")
    assert main(["check", str(bad)]) == 2
    assert capsys.readouterr().err == f"error: {bad}: kind: Field required (one of: {', '.join(KINDS)})\n"


def test_every_shipped_file_passes_check(capsys):
    files = sorted((ROOT / "scenarios").glob("**/*.yaml")) + sorted((ROOT / "protocols").glob("*.yaml"))
    assert main(["check", *map(str, files)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.count(": ok (") == len(files)


def test_every_option_has_help_and_defaults_are_shown(capsys):
    from protocol_model.cli import parser

    ap = parser()
    sub = next(a for a in ap._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, name
        for action in p._actions:
            assert action.help, (name, action.dest)
    with pytest.raises(SystemExit):
        main(["formats", "--help"])
    assert "(default: docs)" in capsys.readouterr().out
