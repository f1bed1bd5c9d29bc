# The two README commands: `make start` and `make test`. Each installs what is missing first
# (npm packages, the temporal CLI) and skips what is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_STAMP := node_modules/.cadenza-installed
BUILD_STAMP := dist/.build-stamp
SOURCES := $(shell find src -type f -name '*.ts' 2>/dev/null)
# Each suite's jest results, read by scripts/test-summary.js (.data is ignored by git).
TEST_REPORTS := .data/test-reports
CONSOLE_SOURCES := $(shell find console -type f -not -path 'console/generated/*' 2>/dev/null)

.PHONY: help start cluster test test-cluster fuzz deps tools temporal-server build typecheck lint-deps architecture bench bench-quick clean

help:
	@echo "make start        run Cadenza on its embedded defaults (Temporal dev server + PostgreSQL)"
	@echo "make test         run the whole test suite (installs included)"
	@echo "make cluster      run the production topology: Temporal server on PostgreSQL, 2 APIs, 2 workers (CLUSTER_ARGS=--tls for mTLS)"
	@echo "make fuzz         fuzz the API from its OpenAPI document with Schemathesis (a few minutes; part of make test)"
	@echo "make bench        run the benchmarks (bench/README.md); make bench-quick for a 2-minute check;"
	@echo "                  BENCH_ARGS=--server runs them on the self-hosted Temporal server, not the dev server"

start: deps build
	@exec node bin/cadenza start

cluster: deps build temporal-server
	@exec node dist/cluster/main.js $(CLUSTER_ARGS)

# The suite on the dev server; then the fuzz run from the OpenAPI document; then the chaos suite,
# which kills and restarts services of its own; then the cluster suite on a self-hosted Temporal server.
test: deps build typecheck lint-deps temporal-server
	@rm -rf $(TEST_REPORTS) && mkdir -p $(TEST_REPORTS)
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" CADENZA_TEST_CHROMIUM="$$(scripts/ensure-chromium.sh)" npx jest --json --outputFile=$(TEST_REPORTS)/main.json
	@$(MAKE) --no-print-directory fuzz FUZZ_REPORT=$(TEST_REPORTS)/fuzz.json
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" npx jest -c jest.chaos.config.js --json --outputFile=$(TEST_REPORTS)/chaos.json
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" npx jest -c jest.cluster.config.js --json --outputFile=$(TEST_REPORTS)/cluster.json
	@node scripts/test-summary.js $(TEST_REPORTS)/main.json $(TEST_REPORTS)/fuzz.json $(TEST_REPORTS)/chaos.json $(TEST_REPORTS)/cluster.json

test-cluster: deps build temporal-server
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" npx jest -c jest.cluster.config.js

fuzz: deps build
	@CADENZA_FUZZ=1 TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" SCHEMATHESIS_PATH="$$(scripts/ensure-schemathesis.sh)" npx jest test/fuzz $(if $(FUZZ_REPORT),--json --outputFile=$(FUZZ_REPORT))

deps: $(NODE_STAMP) tools

$(NODE_STAMP): package.json package-lock.json
	@# npm ci rejects lockfiles without the optional packages of other platforms, which this
	@# registry mirror omits; npm install still installs exactly the locked versions.
	npm install --no-audit --no-fund
	@touch $@

tools:
	@scripts/ensure-temporal.sh >/dev/null

temporal-server:
	@scripts/ensure-temporal-server.sh >/dev/null

build: $(BUILD_STAMP)

# The build also builds the console (console/): its API client is generated from the OpenAPI
# document of the code just compiled, so an API change the console does not follow fails here.
$(BUILD_STAMP): $(NODE_STAMP) $(SOURCES) $(CONSOLE_SOURCES) tsconfig.json tsconfig.build.json
	npm run --silent build
	@touch $@

typecheck: $(BUILD_STAMP)
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p console/tsconfig.json

# The layering rules of .dependency-cruiser.cjs: no import cycle, workflows import contracts only, …
lint-deps: $(NODE_STAMP)
	npx depcruise src --config .dependency-cruiser.cjs --output-type err

# Redraws the layer graph of docs/architecture.md from the same analysis (a unit test checks it is current).
architecture: $(NODE_STAMP)
	node scripts/architecture-graph.js

bench: deps build
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" node bench/run.js $(BENCH_ARGS)

bench-quick: deps build
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)" node bench/run.js --quick $(BENCH_ARGS)

clean:
	rm -rf dist node_modules/.cadenza-installed
