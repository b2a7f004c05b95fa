"""The reports fit a 1280 px page: rendered in headless Chromium (Debian ``chromium``, ``make browser``) at
1280 px, no horizontal overflow of the page (``scrollWidth <= 1280``), no element past the right edge, no
table wider than its box, every embedded image decoded.

Skips, saying so, only when no ``chromium`` is installed (``make browser`` installs it; ``make test`` calls it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from protocol_model.cli import main

from .test_compare import PROPOSAL, SIM
from .test_optimise import OPT

WIDTH = 1280
MEASURE = """<script>
window.addEventListener('load', () => {
  const d = document.documentElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.tagName);
  const tables = [...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.clientWidth + 1).length;
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length;
  document.body.setAttribute('data-measure', JSON.stringify({scrollWidth: d.scrollWidth,
    innerWidth: window.innerWidth, wide: wide, tables: tables, images: document.images.length, broken: broken}));
});
</script></body>"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed: run `make browser` (apt-get install chromium) to check the "
                    "report layout in a real browser")
    return exe


def measure(report: Path, tmp: Path) -> dict:
    """Render ``report`` (an HTML file) at 1280 px in headless Chromium; the page's own measurements."""
    page = tmp / f"measure_{report.parent.name}.html"
    page.write_text(report.read_text().replace("</body>", MEASURE, 1))
    run = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--hide-scrollbars", f"--window-size={WIDTH},2000", "--virtual-time-budget=10000",
                          f"--user-data-dir={tmp / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    found = re.search(r'data-measure="([^"]*)"', run.stdout)
    assert found, f"no measurement from chromium (rc {run.returncode}): {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("reports")
    (tmp / "sim.yaml").write_text(SIM)
    (tmp / "proposal.yaml").write_text(PROPOSAL)
    sweep = {"kind": "sweep", "name": "threshold-vs-depth", "simulation": "sim.yaml", "fan_chart_paths": 20,
             "axes": [{"parameter": "liquidation_threshold_bps", "values": [7500, 8000, 8250, 8500, 8800]},
                      {"parameter": "amm_depth_usd", "values": [2e6, 5e6, 1e7, 5e7]}]}
    (tmp / "sweep.yaml").write_text(yaml.safe_dump(sweep))
    common = ["--workers", "1", "--no-progress"]
    assert main(["compare", "generic", str(tmp / "proposal.yaml"), "--simulation", str(tmp / "sim.yaml"),
                 "--out", str(tmp / "compare"), "--resamples", "100", "--verify-on-chain", "1", *common]) == 0
    assert main(["sweep", str(tmp / "sweep.yaml"), "--out", str(tmp / "sweep"), "--paths", "20", *common]) == 0
    assert main(["simulate", str(tmp / "sim.yaml"), "--out", str(tmp / "simulate"), *common]) == 0
    (tmp / "opt_sim.yaml").write_text(SIM.replace("reserves_tokens: 1000, ", ""))
    (tmp / "opt.yaml").write_text(OPT.replace("simulation: sim.yaml", "simulation: opt_sim.yaml"))
    assert main(["optimise", str(tmp / "opt.yaml"), "--out", str(tmp / "optimise"), *common]) == 0
    return [tmp / d / "report.html" for d in ("compare", "sweep", "simulate", "optimise")]


@pytest.mark.parametrize("which", [0, 1, 2, 3], ids=["compare", "sweep", "simulate", "optimise"])
def test_report_fits_1280px(reports, tmp_path, which):
    m = measure(reports[which], tmp_path)
    assert m["innerWidth"] == WIDTH, m  # the measurement is at the width we claim
    assert m["scrollWidth"] <= WIDTH, m
    assert m["wide"] == [] and m["tables"] == 0, m
    assert m["images"] >= 1 and m["broken"] == 0, m


def test_a_wide_page_is_caught(reports, tmp_path):
    """The check can fail: the same report with a 1500 px wide block overflows."""
    wide = tmp_path / "wide" / "report.html"
    wide.parent.mkdir()
    wide.write_text(reports[0].read_text().replace("<body>", "<body><div style='width:1500px'>x</div>", 1))
    m = measure(wide, tmp_path)
    assert m["scrollWidth"] > WIDTH and "DIV" in m["wide"]
