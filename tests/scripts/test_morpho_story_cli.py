"""``protocol-model story FILE`` on a Morpho Blue story: on real Morpho Blue 1.0.0 deployed on a fresh in-process
chain, and with ``--chain`` on an anvil the command starts and stops, the twin beside it and every observable
compared after every step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "scenarios" / "presets" / "morpho" / "bad_debt_socialised.yaml"


def _story(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "protocol_model", "story", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_morpho_story_in_process(tmp_path):
    done = _story(str(STORY), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "socialised-bad-debt: 15 steps, 0 mismatches, set-up equal (real Morpho Blue " \
           "@morpho-org/morpho-blue@1.0.0, in-process chain)" in done.stdout
    steps = [s for s in done.stdout.splitlines() if re.match(r"\s*\d+ \w", s)]
    assert len(steps) == 15 and all("observables equal" in s for s in steps)
    assert "chain Panic(0x11)" in steps[9] and "insufficient collateral" in steps[11]


def test_morpho_story_on_real_morpho_blue(tmp_path):
    done = _story(str(STORY), "--chain", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "socialised-bad-debt: 15 steps, 0 mismatches, set-up equal (real Morpho Blue " \
           "@morpho-org/morpho-blue@1.0.0, anvil)" in done.stdout
    steps = [s for s in done.stdout.splitlines() if re.match(r"\s*\d+ \w", s)]
    assert len(steps) == 15 and all("observables equal" in s for s in steps)
    assert "chain position is healthy" not in done.stdout and "chain Panic(0x11)" in steps[9]


def test_a_wrong_expectation_fails_on_real_morpho_blue(tmp_path):
    text = STORY.read_text().replace('"1.000000000000000001", expect: Panic(0x11)}', '"1.000000000000000001"}')
    bad = tmp_path / "wrong.yaml"
    protocol = ROOT / "protocols" / "morpho_blue_wsteth.yaml"
    bad.write_text(text.replace("../../../protocols/morpho_blue_wsteth.yaml", str(protocol)))
    done = _story(str(bad), "--chain", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "file expects ok" in done.stdout and "15 steps, 1 mismatches" in done.stdout
