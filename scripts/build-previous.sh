#!/usr/bin/env bash
# Builds Cadenza as it was at an earlier commit of this repository (the upgrade test's "previous
# version") into .tools/previous-<commit> and prints that folder; reused while present.
set -euo pipefail

commit="$(git -C "$(dirname "$0")/.." rev-parse --verify "${1:?usage: build-previous.sh <commit>}^{commit}")"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tools/previous-$commit"

if [ -f "$dir/dist/cli/main.js" ] && [ -f "$dir/dist/workflow-bundle.js" ]; then echo "$dir"; exit 0; fi

echo "Building Cadenza at $commit into $dir (once) ..." >&2
# Built outside this checkout: TypeScript would otherwise also load the @types packages of this
# checkout's node_modules (it reads those of every enclosing folder), which that commit never had.
staging="$(mktemp -d "${TMPDIR:-/tmp}/cadenza-previous.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
git -C "$root" archive "$commit" | tar -x -C "$staging"
if git -C "$root" diff --quiet "$commit" HEAD -- package.json package-lock.json; then
  # The same dependencies: share this checkout's.
  ln -s "$root/node_modules" "$staging/node_modules"
else
  (cd "$staging" && npm install --no-audit --no-fund --prefer-offline --loglevel=error) >&2
fi
(cd "$staging" && npm run --silent build) >&2
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$staging" "$dir"
echo "$dir"
