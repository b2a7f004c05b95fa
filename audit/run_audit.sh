#!/usr/bin/env bash
# `make audit`: the independent checkers (docs/audit.md). forge invariants on the project's own solc facade,
# then slither gated by audit/slither-triage.json. Prints one timed line per step; exits non-zero if any fails
# (every step runs, so one report shows all failures).
# FORGE_INVARIANT_RUNS / FORGE_INVARIANT_DEPTH scale the invariant campaigns (default 256 x 64).
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export PATH="$repo/node_modules/@foundry-rs/forge-linux-amd64/bin:$repo/.venv/bin:$PATH"
# this checkout's solc-js facade (toolchain/install_solc.sh), for the version package.json pins
facade="$repo/.solcx/solc-v$(node -p "require('$repo/node_modules/solc/package.json').version")"
export FOUNDRY_SOLC="$facade"
# A fixed seed in `make test` (the same campaign on every run; a failure is replayable); `make fuzz` or
# FORGE_SEED=random draws a new one.
if [ "${FORGE_SEED:-0x5eed}" != random ]; then export FOUNDRY_FUZZ_SEED="${FORGE_SEED:-0x5eed}"; fi
export FOUNDRY_INVARIANT_RUNS="${FORGE_INVARIANT_RUNS:-256}" FOUNDRY_INVARIANT_DEPTH="${FORGE_INVARIANT_DEPTH:-64}"
mkdir -p .forge
status=0
step() {  # step NAME COMMAND...: runs it, prints "audit: NAME ok|FAILED in Ns"
  local name="$1" start=$SECONDS; shift
  if "$@"; then echo "audit: $name ok in $((SECONDS - start))s"
  else echo "audit: $name FAILED in $((SECONDS - start))s"; status=1; fi
}
step "forge build" forge build --use "$facade"
step "forge invariants (${FOUNDRY_INVARIANT_RUNS} runs x ${FOUNDRY_INVARIANT_DEPTH} depth)" \
  forge test --use "$facade" --summary
rm -f .forge/slither.json
step "slither" slither . --compile-force-framework foundry --foundry-out-directory .forge/out --foundry-compile-all \
  --filter-paths 'tests/|node_modules/' --exclude-informational --exclude-low --exclude-optimization \
  --fail-none --json .forge/slither.json --disable-color >.forge/slither.log 2>&1
step "slither triage gate" python audit/slither_gate.py .forge/slither.json
exit $status
