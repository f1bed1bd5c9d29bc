#!/usr/bin/env bash
# Makes sure the pinned Temporal server and temporal-sql-tool are built into the project's tool
# folder and prints that folder. Built once from the Go module proxy (a few minutes), then reused.
set -euo pipefail

VERSION="v1.29.1"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tools/temporal-server-$VERSION"

if [ -x "$dir/temporal-server" ] && [ -x "$dir/temporal-sql-tool" ]; then echo "$dir"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "Building the Temporal server needs Go (https://go.dev/dl/); or put temporal-server and temporal-sql-tool $VERSION into $dir" >&2
  exit 1
fi

echo "Building the Temporal server and temporal-sql-tool $VERSION into $dir (once; a few minutes) ..." >&2
staging="$dir.$$.tmp"
rm -rf "$staging"
mkdir -p "$staging"
trap 'rm -rf "$staging"' EXIT
GOBIN="$staging" go install "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION" >&2
mv "$staging/server" "$staging/temporal-server"
mv "$staging/sql" "$staging/temporal-sql-tool"
rm -rf "$dir"
mv "$staging" "$dir"
echo "$dir"
