"""The slither gate of `make audit`: every High/Medium slither finding must be triaged.

Reads slither's JSON report (``slither ... --json <file>``) and ``audit/slither-triage.json``:
``{"findings": {"<key>": {"status": "fixed" | "justified" | "open", "reason": "<one line>"}}}``.
A finding's key is ``<detector>:<Contract.function(signature) or Contract.variable>`` of its first
element, stable across line moves. The gate fails (exit 1) when a High/Medium finding has no entry or
its entry is ``open``, and prints the triage entries no finding matches any more (stale, not failing).
A ``fixed`` entry that still matches a finding is a failure too: the finding is evidently not fixed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

GATED_IMPACTS = ("High", "Medium")
STATUSES = ("fixed", "justified", "open")


@dataclass(frozen=True)
class Finding:
    """One gated slither result: its triage key, impact and slither's one-line description."""

    key: str
    impact: str
    description: str


def _qualified(element: dict) -> str:
    """``Contract.function(sig)`` / ``Contract.variable`` / ``Contract`` for a slither JSON element."""
    fields = element.get("type_specific_fields", {})
    kind = element.get("type")
    if kind == "contract":
        return element["name"]
    if kind == "node":
        return _qualified(fields["parent"])
    parent = fields.get("parent")
    name = fields.get("signature", element.get("name", "?"))
    return f"{_qualified(parent)}.{name}" if parent else name


def gated_findings(report: dict) -> list[Finding]:
    """The High/Medium findings of a slither JSON report (deduplicated by key, in report order)."""
    seen: dict[str, Finding] = {}
    for result in report.get("results", {}).get("detectors", []):
        if result.get("impact") not in GATED_IMPACTS:
            continue
        elements = result.get("elements") or [{"type": "contract", "name": "?"}]
        key = f"{result['check']}:{_qualified(elements[0])}"
        first_line = result.get("description", "").strip().splitlines()[0] if result.get("description") else ""
        seen.setdefault(key, Finding(key, result["impact"], first_line))
    return list(seen.values())


def load_triage(path: Path) -> dict[str, dict[str, str]]:
    """The triage file's entries; raises ValueError on an entry without a known status or a one-line reason."""
    entries = json.loads(path.read_text())["findings"]
    for key, entry in entries.items():
        if entry.get("status") not in STATUSES:
            raise ValueError(f"{key}: status must be one of {STATUSES}")
        reason = entry.get("reason", "")
        if not reason.strip() or "\n" in reason:
            raise ValueError(f"{key}: needs a one-line reason")
    return entries


def gate(findings: list[Finding], triage: dict[str, dict[str, str]]) -> list[str]:
    """Failure messages: untriaged, open, or 'fixed' but still reported findings."""
    failures = []
    for f in findings:
        entry = triage.get(f.key)
        if entry is None:
            failures.append(f"UNTRIAGED {f.impact}: {f.key} — {f.description}")
        elif entry["status"] == "open":
            failures.append(f"OPEN {f.impact}: {f.key} — {entry['reason']}")
        elif entry["status"] == "fixed":
            failures.append(f"STILL REPORTED (triaged fixed) {f.impact}: {f.key} — {f.description}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="slither --json output")
    parser.add_argument("--triage", type=Path, default=Path(__file__).with_name("slither-triage.json"))
    args = parser.parse_args(argv)
    findings = gated_findings(json.loads(args.report.read_text()))
    triage = load_triage(args.triage)
    failures = gate(findings, triage)
    stale = sorted(set(triage) - {f.key for f in findings} - {k for k, e in triage.items() if e["status"] == "fixed"})
    for key in stale:
        print(f"stale triage entry (no such finding now): {key}")
    for line in failures:
        print(line)
    print(f"slither gate: {len(findings)} high/medium findings, {len(findings) - len(failures)} triaged, "
          f"{len(failures)} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
