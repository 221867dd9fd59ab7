#!/usr/bin/env bash
# Installs everything (host + workspace) and runs the main job on the embedded default: one run,
# in-process, no broker. It streams examples/data/measurements.csv through a named pipe into the
# local test image and writes a summary through a VolumePath to examples/output/summary.txt; the
# CLI prints the container's output, the bytes streamed and where the result file went.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
pnpm build >/dev/null
node apps/worker/dist/cli.js run examples/stream-through-pipe.json
