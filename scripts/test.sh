#!/usr/bin/env bash
# Installs everything (host + workspace) and runs every check and test: lint, typecheck, build,
# import cycles, dead code and unused exports (knip), the test suites of every package on the real
# Docker engine, and the packed-package checks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
pnpm build
pnpm lint
pnpm typecheck
pnpm check:cycles
pnpm check:knip
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
NO_COLOR=1 FORCE_COLOR=0 pnpm test 2>&1 | tee "$log" || status=$?
# One closing line for the whole run, summed over every package's vitest summary.
summary=$(grep -aE '^[^ ]*test: +Tests +' "$log" || true)
count() { printf '%s\n' "$summary" | grep -oE "[0-9]+ $1" | awk '{s+=$1} END {print s+0}' || true; }
passed=$(count passed)
failed=$(count failed)
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
