#!/usr/bin/env bash
# Installs everything (host + workspace) and runs the main job on the embedded default.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
pnpm build
node examples/hello.mjs
