# Sourced by the scripts: provisions the host (idempotent) and puts Node 24 and pnpm first on PATH.
# shellcheck shell=bash
GW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$GW_ROOT/scripts/setup-host.sh"
# shellcheck disable=SC1090
source "$(bash "$GW_ROOT/scripts/setup-host.sh" --print-env)"
cd "$GW_ROOT"
pnpm install --frozen-lockfile --reporter=silent
