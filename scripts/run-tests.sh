#!/usr/bin/env bash
# The whole suite: typecheck, then every test file (Node 20's runner takes no globs itself).
# Extra arguments are passed to node --test (e.g. a file list to run only those).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  files=("$@")
else
  npx --no-install tsc --noEmit -p .
  mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi
exec node --conditions=quiver-source --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
