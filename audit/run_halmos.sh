#!/usr/bin/env bash
# `make audit-halmos` (opt-in, not in `make audit`): halmos symbolic proofs of MathLib's rounding directions
# (tests/forge/halmos). Runs from its own venv (.venv-halmos, audit/halmos-requirements.txt). On this 2-core
# machine the solver does not decide them within minutes (docs/audit.md); HALMOS_TIMEOUT bounds the run.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export PATH="$repo/node_modules/@foundry-rs/forge-linux-amd64/bin:$repo/.venv-halmos/bin:$PATH"
timeout "${HALMOS_TIMEOUT:-1800}" halmos --forge-build-out .forge/out --match-contract "${HALMOS_CONTRACT:-MathLibRounding}" \
  --solver-timeout-assertion 0 "$@"
