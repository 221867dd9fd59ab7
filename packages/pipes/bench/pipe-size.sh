#!/bin/sh
# What a larger pipe would give (Node cannot set it: it has no fcntl). The Node output path
# (FIFO → Connect → HostFileSink to /dev/null) with a local `dd bs=1M` producer, with the pipe at
# its default 64 KiB and at 1 MiB, set with python's fcntl(F_SETPIPE_SZ) on the same FIFO before
# dd writes. Usage (from packages/pipes, needs python3): sh bench/pipe-size.sh [rounds]
set -u
rounds=${1:-2}
dir=$(mktemp -d /tmp/gw-pipe-size-XXXXXX)
trap 'rm -rf "$dir"' EXIT
for round in $(seq "$rounds"); do
  for size in 64k 1m; do
    (
      until [ -p "$dir/pipe" ]; do sleep 0.01; done
      if [ "$size" = 1m ]; then
        exec 3<>"$dir/pipe"
        python3 -c 'import fcntl; fcntl.fcntl(3, 1031, 1 << 20)'
      fi
      dd if=/dev/zero bs=1M count=1024 of="$dir/pipe" 2>/dev/null 3>&- &
      producer=$!
      sleep 0.3
      exec 3>&- # dd holds the write end now; our extra end must not delay the reader's EOF
      wait $producer
    ) &
    peer=$!
    result=$(node bench/one-transfer.ts out "$dir/pipe" /dev/null 2>&1)
    wait $peer
    rm -f "$dir/pipe"
    echo "round $round, pipe $size: $result"
  done
done
