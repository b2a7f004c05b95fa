"""Prints the size of the bad-input corpus at the end of the session (``bad-input corpus: N cases``)."""

from __future__ import annotations

from pathlib import Path

import yaml


def pytest_terminal_summary(terminalreporter) -> None:
    cases = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text())["cases"]
    terminalreporter.write_line(f"bad-input corpus: {len(cases)} cases (tests/inputs/cases.yaml)")
