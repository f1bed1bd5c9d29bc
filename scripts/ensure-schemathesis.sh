#!/usr/bin/env bash
# Makes sure Schemathesis (pinned, from PyPI) is in the project's tool venv and prints its path.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/venv"
bin="$venv/bin/schemathesis"

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then echo "$bin"; exit 0; fi
mkdir -p "$root/.tools"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" >&2
echo "Installing Schemathesis $SCHEMATHESIS_VERSION (PyPI) into $venv ..." >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
echo "$bin"
