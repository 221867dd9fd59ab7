#!/usr/bin/env bash
# Installs everything (host + workspace) and runs every check and test: lint, typecheck, build,
# the test suites of every package on the real Docker engine, and the packed-package checks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
pnpm build
pnpm lint
pnpm typecheck
pnpm test
