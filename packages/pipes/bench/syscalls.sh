#!/bin/sh
# Where the time goes: system calls per MiB of the host side, ours against cat, same FIFO and
# peer (md5sum reading it, or dd writing it), counted with `strace -c -f`. Usage (from packages/pipes):
#   sh bench/syscalls.sh [MiB]      (default 512)
set -eu
mib=${1:-512}
dir=$(mktemp -d /tmp/gw-syscalls-XXXXXX)
trap 'rm -rf "$dir"' EXIT
dd if=/dev/urandom of="$dir/in.bin" bs=1M count="$mib" 2>/dev/null
summary() { # strace -c output → "syscalls/MiB: top calls"
  awk -v mib="$mib" '/^[ 0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ { n = NF; calls = $4; name = $n; if (name != "total") printf "%s %.1f\n", name, calls / mib } /total$/ { printf "TOTAL %.1f\n", $4 / mib }' "$1" |
    sort -k2 -n -r | head -8 | tr '\n' ' '
  echo
}
for side in in out; do
  mkfifo "$dir/pipe"
  if [ "$side" = in ]; then
    md5sum "$dir/pipe" > /dev/null & peer=$!
    strace -c -f -o "$dir/cat.txt" sh -c 'cat "$0" > "$1"' "$dir/in.bin" "$dir/pipe"
  else
    dd if=/dev/zero bs=1M count="$mib" of="$dir/pipe" 2>/dev/null & peer=$!
    strace -c -f -o "$dir/cat.txt" sh -c 'cat "$0" > "$1"' "$dir/pipe" "$dir/out.bin"
  fi
  wait $peer
  rm -f "$dir/pipe" "$dir/out.bin"
  if [ "$side" = in ]; then
    (until [ -p "$dir/pipe" ]; do sleep 0.05; done; md5sum "$dir/pipe" > /dev/null) & peer=$!
    strace -c -f -o "$dir/ours.txt" node bench/one-transfer.ts in "$dir/in.bin" "$dir/pipe"
  else
    (until [ -p "$dir/pipe" ]; do sleep 0.05; done; dd if=/dev/zero bs=1M count="$mib" of="$dir/pipe" 2>/dev/null) & peer=$!
    strace -c -f -o "$dir/ours.txt" node bench/one-transfer.ts out "$dir/pipe" "$dir/out.bin"
  fi
  wait $peer
  rm -f "$dir/pipe" "$dir/out.bin"
  echo "$side cat:  $(summary "$dir/cat.txt")"
  echo "$side ours: $(summary "$dir/ours.txt")"
done
