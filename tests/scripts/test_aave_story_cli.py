"""``protocol-model story FILE --chain`` on an Aave V3 story, end to end: the command starts its own anvil, deploys
the real Aave V3 1.19.3 bytecode (npm artifacts, libraries linked) and plays every step there and on the twin,
every observable compared to the wei after every step (tests/crosscheck/test_aave_stories.py replays all ten
stories on the session's anvil through the same ``play_story``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "scenarios" / "presets" / "aave" / "close_factor_boundary.yaml"


def test_aave_story_on_real_aave_on_anvil(tmp_path):
    done = subprocess.run([sys.executable, "-m", "protocol_model", "story", str(STORY), "--chain"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [s for s in done.stdout.splitlines() if re.match(r"\s*\d+ \w", s)]
    assert steps and not any("MISMATCH" in s for s in steps)
    liquidations = [s for s in steps if s.split()[1] == "liquidate"]
    assert len(liquidations) == 2 and all("model ok       chain ok" in s for s in liquidations)
    assert done.stdout.strip().endswith(
        f"{len(steps)} steps on the real Aave V3 bytecode (anvil) and the twin, 0 mismatches")
