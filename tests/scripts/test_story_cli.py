"""``protocol-model story FILE --chain``: the command starts its own anvil, plays the story on chain and in
the exact model with every field compared after every step, prints the cross-check line and stops anvil."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "scenarios" / "stories" / "lp_keeper.yaml"


def _story(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "protocol_model", "story", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_story_on_chain_from_another_directory(tmp_path):
    done = _story(str(STORY), "--chain", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    line = re.search(r"crosscheck: 1 sequences, (\d+) operations, (\d+) mismatches", done.stdout)
    assert line, done.stdout
    assert int(line.group(1)) == 11 and line.group(2) == "0"
    steps = [s for s in done.stdout.splitlines() if re.match(r"\s*\d+ \w", s)]
    assert len(steps) == 11 and all("fields equal" in s for s in steps)
    assert "chain InsufficientCollateral" in steps[2] and "chain HealthyAccount" in steps[7]


def test_story_with_a_wrong_expectation_fails_on_chain(tmp_path):
    text = STORY.read_text().replace("amount: max, expect: HealthyAccount", "amount: max")
    bad = tmp_path / "lp_keeper_wrong.yaml"
    bad.write_text(text.replace("protocol: generic", f"protocol: {ROOT / 'protocols' / 'generic.yaml'}"))
    done = _story(str(bad), "--chain", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "file expects ok" in done.stdout and "0 mismatches" in done.stdout
