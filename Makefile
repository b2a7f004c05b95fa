# protocol_model: every target does its own set-up (idempotent; a second run skips what is done).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMPS := .stamps
ANVIL_BIN := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin
export PATH := $(ANVIL_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)
# The compiler is this checkout's own (py-solc-x and ape-solidity look here), never a link in $HOME
# shared by every clone on the machine.
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
# Plots render to files; never look for a display.
export MPLBACKEND := Agg

APE := $(VENV)/bin/ape
NETWORK ?= ethereum:local:foundry
PYTEST_ARGS ?=

.PHONY: gas-snapshot mutate setup audit audit-halmos demo test test-fork test-model test-chain test-offline test-offline-then-fork test-inprocess bench fuzz lint compile clean lab-report formats browser dist docs

setup: $(STAMPS)/venv $(STAMPS)/npm $(STAMPS)/compiled $(STAMPS)/morpho

# Morpho Blue 1.0.0 from its npm sources with solc-js 0.8.19 at Morpho's foundry.toml settings (docs/presets.md).
$(STAMPS)/morpho: $(STAMPS)/npm toolchain/compile_morpho.cjs
	node toolchain/compile_morpho.cjs .build-presets/morpho_blue.json
	@touch $@

$(STAMPS)/venv: pyproject.toml constraints.txt
	@mkdir -p $(STAMPS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[chain,dev]'
	@touch $@

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# halmos in its own venv: its pinned rich (<14.1) conflicts with eth-ape's (docs/audit.md).
$(STAMPS)/halmos: audit/halmos-requirements.txt
	@mkdir -p $(STAMPS)
	test -x .venv-halmos/bin/python || $(PYTHON) -m venv .venv-halmos
	.venv-halmos/bin/pip install -q -r audit/halmos-requirements.txt
	@touch $@

# The compiler executable is re-checked on every run (cheap): it points at this checkout.
$(STAMPS)/compiled: $(STAMPS)/venv $(STAMPS)/npm ape-config.yaml $(shell find contracts -name '*.sol' -not -path '*/.cache/*')
	./toolchain/install_solc.sh
	$(APE) compile
	@touch $@

compile: setup

# The main job: the default scenario on an anvil this command starts and stops itself.
demo: setup
	./toolchain/install_solc.sh >/dev/null
	$(APE) run demo --network $(NETWORK)

# The whole suite on anvil (model-only tests run in the same session).
# `make test` runs two halves side by side (one per core): the chain half (`ape test` on anvil: contracts, the
# anvil cross-checks, scripts, mutation) and the offline half (no node: model, lab, inputs, package and the
# in-process cross-checks on revm); then the fork suite (fixed ports) and the audit. Each half prints its own
# cross-check suite lines and total. INPROCESS_CROSSCHECK lists the files under tests/crosscheck and
# tests/mutation that need no node. The console tests that start their own anvil stay in the chain half (run
# beside it, their ape session collided with the chain half's: "nonce too low").
MODEL_TESTS := tests/architecture tests/exact tests/chain tests/model tests/scenario tests/seeds tests/toolchain \
	tests/lab tests/inputs tests/package tests/presets
INPROCESS_CROSSCHECK := tests/crosscheck/test_fuzz_inprocess.py tests/crosscheck/test_aave_fuzz_inprocess.py \
	tests/crosscheck/test_morpho_blue.py tests/crosscheck/test_compare_on_chain.py \
	tests/crosscheck/test_optimise_on_chain.py tests/crosscheck/test_lab_interest_on_chain.py \
	tests/crosscheck/test_presets_on_chain.py \
	tests/crosscheck/test_fuzz_campaign.py tests/crosscheck/test_compare_multi_on_chain.py \
	tests/crosscheck/test_aave_stories_inprocess.py tests/crosscheck/test_perp_int_casts.py tests/mutation/test_boundaries.py \
	tests/crosscheck/test_strategy_oracle_rounds.py tests/crosscheck/test_perp_index_feed.py \
	tests/mutation/test_misc_bounds.py tests/mutation/test_liquidation_bounds.py \
	tests/mutation/test_inprocess_differential.py tests/mutation/test_mutate_tool.py \
	tests/mutation/test_property_injections.py tests/crosscheck/test_aave_edges.py tests/crosscheck/test_morpho_edges.py
CHAIN_TESTS := tests/contracts tests/crosscheck tests/scripts tests/mutation

test: setup lint browser
	./toolchain/install_solc.sh >/dev/null
	$(MAKE) --no-print-directory -j2 --output-sync=target test-chain test-offline-then-fork
	$(MAKE) --no-print-directory audit

# The offline half, then the fork suite (its anvils on fixed loopback ports 18549-18551, apart from the chain
# half's anvil on a free port): the offline half finishes first, so the fork suite runs beside the chain half.
test-offline-then-fork: test-offline
	$(APE) test tests/fork --network $(FORK_NETWORK) $(PYTEST_ARGS)

# The chain half of `make test` (anvil).
test-chain: setup
	$(APE) test $(CHAIN_TESTS) $(addprefix --ignore=,$(INPROCESS_CROSSCHECK)) --network $(NETWORK) $(PYTEST_ARGS)

# The offline half of `make test`: everything that needs no node, the in-process cross-checks included.
test-offline: setup
	$(VENV)/bin/pytest -p no:ape_test $(MODEL_TESTS) $(INPROCESS_CROSSCHECK) $(PYTEST_ARGS)

# Headless Chromium (Debian package) for the report layout test (tests/lab/test_report_browser.py); a few hundred
# MB, so not part of setup. Skipped when already installed; without root or apt the test skips with a message.
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
		echo "make browser: could not install chromium (needs root and apt-get); the report browser test will skip"

# The fork suite alone: an upstream anvil serves the populated protocol from saved state and the suite
# runs on a fork of it pinned at a block (docs/fork_testing.md).
FORK_NETWORK ?= ethereum:forked-protocol
test-fork: setup
	$(APE) test tests/fork --network $(FORK_NETWORK) $(PYTEST_ARGS)

# Independent checkers (docs/audit.md): forge invariants (FORGE_INVARIANT_RUNS x FORGE_INVARIANT_DEPTH,
# default 256 x 64) on the project's solc facade, then slither gated by audit/slither-triage.json.
audit: setup
	./toolchain/install_solc.sh >/dev/null
	./audit/run_audit.sh

# halmos symbolic proofs of MathLib's rounding (opt-in: the solver needs far longer than `make test` allows here).
audit-halmos: setup $(STAMPS)/halmos
	./toolchain/install_solc.sh >/dev/null
	./audit/run_halmos.sh

test-model: setup
	$(VENV)/bin/pytest -p no:ape_test $(MODEL_TESTS) $(PYTEST_ARGS)

# Same suite on ape's in-process py-evm provider (no node needed at run time; slower, so fewer fuzz runs).
test-inprocess: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-10} INPROCESS_FUZZ_EXAMPLES=$${INPROCESS_FUZZ_EXAMPLES:-100} \
		INPROCESS_AMM_EXAMPLES=$${INPROCESS_AMM_EXAMPLES:-100} INPROCESS_LOOPER_EXAMPLES=$${INPROCESS_LOOPER_EXAMPLES:-60} \
		INPROCESS_LEV_EXAMPLES=$${INPROCESS_LEV_EXAMPLES:-30} INPROCESS_PERP_EXAMPLES=$${INPROCESS_PERP_EXAMPLES:-30} \
		LOOPER_FUZZ_EXAMPLES=$${LOOPER_FUZZ_EXAMPLES:-2} MORPHO_FUZZ_EXAMPLES=$${MORPHO_FUZZ_EXAMPLES:-40} \
		MORPHO_ANVIL_FUZZ_EXAMPLES=$${MORPHO_ANVIL_FUZZ_EXAMPLES:-2} $(APE) test tests --network ethereum:local:test $(PYTEST_ARGS)

# The long campaign first (docs/fuzzing.md): FUZZ_OPS operations in total (default 10,000,000, resumed from
# out/fuzz/campaign.json across runs), FUZZ_TIME seconds per run if set, FUZZ_SEED, FUZZ_WORKERS; then the suites.
FUZZ_OPS ?= 10000000
fuzz: setup
	$(VENV)/bin/protocol-model fuzz --max-ops $(FUZZ_OPS) $(if $(FUZZ_TIME),--time-budget $(FUZZ_TIME)) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(if $(FUZZ_WORKERS),--workers $(FUZZ_WORKERS))
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} PERP_FUZZ_EXAMPLES=$${PERP_FUZZ_EXAMPLES:-500} $(APE) test tests/crosscheck --network $(NETWORK) $(PYTEST_ARGS)
	FORGE_SEED=$${FORGE_SEED:-random} FORGE_INVARIANT_RUNS=$${FORGE_INVARIANT_RUNS:-2048} \
		FORGE_INVARIANT_DEPTH=$${FORGE_INVARIANT_DEPTH:-128} $(MAKE) --no-print-directory audit

bench: setup
	$(APE) run bench --network $(NETWORK)
	$(APE) run bench_inprocess --network $(NETWORK)
	$(VENV)/bin/python -m protocol_model.sim.bench
	$(VENV)/bin/python -m protocol_model.sim.bench --compare

# Rewrite the committed gas snapshot (.gas-snapshot) from a fresh measurement on anvil (scripts/gas_snapshot.py);
# tests/contracts/test_gas_snapshot.py (part of `make test`) fails when a figure rises more than 1% over the file.
gas-snapshot: setup
	$(APE) run gas_snapshot --network $(NETWORK)

# Risk lab: the example sweep's report (Markdown + HTML, PNG heatmaps and fan charts, CSV/JSON) into out/.
lab-report: setup
	$(VENV)/bin/python -m protocol_model sweep scenarios/lab/sweep_eth.yaml --out out/sweep_eth

lint: setup
	$(VENV)/bin/ruff check protocol_model tests scripts
	$(VENV)/bin/mypy

clean:
	rm -rf $(STAMPS) .build .build-presets contracts/.cache out build dist .forge

# The wheel a user installs (dist/protocol_model-VERSION-py3-none-any.whl): the package, py.typed, and
# protocol_model/data (protocols, scenarios, contracts and the compiled artifacts, copied at build time). The
# storage layouts the in-process chain reads are made first (.build/storage_layout.json): a wheel has no solc.
dist: $(STAMPS)/compiled
	rm -rf build dist
	$(VENV)/bin/python -c "from protocol_model.chain.inprocess_storage import storage_layouts; storage_layouts()"
	$(VENV)/bin/pip wheel -q --no-deps --wheel-dir dist .
	@ls dist/*.whl

# The API reference from the docstrings (pdoc) into out/api; docs/api.md says how to read it.
docs: $(STAMPS)/venv
	$(VENV)/bin/python toolchain/api_docs.py out/api

# Regenerate the file-format reference (docs/schemas/<kind>.json, docs/formats.md) from the file models.
formats: $(STAMPS)/venv
	$(VENV)/bin/protocol-model formats

# Mutation testing (docs/mutation.md; not part of `make test`): flips each rounding direction, comparison and
# sign in MathLib, LendingPool, PriceRouter and their Python twins, one at a time, in a scratch copy of the
# checkout, and reports the mutants the checks kill. MUTATE_ARGS="--sample 40 --anvil" etc.
MUTATE_ARGS ?=
mutate: setup
	$(VENV)/bin/python tools/mutate.py $(MUTATE_ARGS)
