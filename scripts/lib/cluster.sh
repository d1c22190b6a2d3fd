# The cluster shape on one machine (scripts/cluster): the real Temporal server on PostgreSQL as four
# services, its Web UI, a registry with htpasswd auth, and workers that share nothing but Temporal and
# the registry (each its own state directory, as if on its own machine). docker-compose.yml is the
# same shape across machines: both run deploy/temporal/config.yaml, apply-schemas.sh and ui-config.sh,
# at the versions of deploy/versions.env, and scripts/compose.test.ts checks the rest agrees.
# shellcheck shell=bash

source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/versions.env"
CLUSTER_DIR="${TEMPERED_CLUSTER_DIR:-$STATE_DIR/cluster}"
RUN_DIR="$CLUSTER_DIR/run"
LOG_DIR="$CLUSTER_DIR/logs"
SECRETS_DIR="$CLUSTER_DIR/secrets"
TEMPORAL_SERVER_DIR="$TEMPERED_TOOLS_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
TEMPORAL_UI_BIN="$TEMPERED_TOOLS_DIR/temporal-ui-$TEMPORAL_UI_VERSION/server"
PG_BIN="/usr/lib/postgresql/$POSTGRESQL_VERSION/bin"
PG_DATA="$CLUSTER_DIR/postgresql"
PG_PORT="${TEMPERED_CLUSTER_PG_PORT:-55432}"
REGISTRY_USER=tempered
# The compose file's postgresql service initializes with the same (POSTGRES_INITDB_ARGS).
PG_INITDB_ARGS="--auth=scram-sha-256 --encoding=UTF8"

# The frontend is TEMPORAL_ADDRESS; the other services' ports follow from it (deploy/temporal/config.yaml:
# history +1, matching +2, worker +6, membership 300 below each).
FRONTEND_PORT="${TEMPORAL_ADDRESS##*:}"
declare -A SERVICE_PORT=([frontend]=$FRONTEND_PORT [history]=$((FRONTEND_PORT + 1)) [matching]=$((FRONTEND_PORT + 2)) [worker]=$((FRONTEND_PORT + 6)))
TEMPORAL_SERVICES=(history matching frontend worker)
# Temporal keeps each membership port in a PostgreSQL smallint.
[ $((FRONTEND_PORT - 300 + 6)) -lt 32768 ] && [ "$FRONTEND_PORT" -gt 300 ] \
  || die "TEMPORAL_ADDRESS port $FRONTEND_PORT: the cluster's membership ports (300 below each service's) must stay under 32768"
# The workers: two of each role, each with its own state directory. build-1 also builds arm64 (through
# qemu-user emulation, configured to); build-2 builds only what it runs natively.
WORKERS=(orchestration-1 orchestration-2 build-1 build-2)
declare -A WORKER_ENTRY=([orchestration-1]=orchestration [orchestration-2]=orchestration [build-1]=build [build-2]=build)
declare -A WORKER_ARCHITECTURES=([build-1]=amd64,arm64 [build-2]=amd64)

# A random secret, written once (mode 600), read by whoever needs it from its file.
ensure_secret() { # name
  local file="$SECRETS_DIR/$1"
  [ -s "$file" ] && return 0
  mkdir -p "$SECRETS_DIR" && chmod 700 "$SECRETS_DIR"
  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$file")
}

ensure_cluster_tools() {
  [ -x "$TEMPORAL_SERVER_DIR/server" ] && [ -x "$TEMPORAL_SERVER_DIR/sql" ] && [ -d "$TEMPORAL_SERVER_DIR/schema" ] && [ -x "$TEMPORAL_UI_BIN" ] && return 0
  say "building the Temporal server $TEMPORAL_SERVER_VERSION and Web UI $TEMPORAL_UI_VERSION from the Go module proxy (about 8 minutes, once per machine)"
  "$REPO_ROOT/scripts/install-tools" temporal-server
}

pg() { runuser -u postgres -- "$@"; }

start_postgresql() {
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    say "initializing PostgreSQL $POSTGRESQL_VERSION in $PG_DATA (user temporal, loopback port $PG_PORT)"
    ensure_secret postgres-password
    mkdir -p "$PG_DATA" && chown postgres: "$PG_DATA" && chmod 700 "$PG_DATA" && chmod 755 "$CLUSTER_DIR"
    pg test -x "$PG_DATA" || die "the postgres user cannot reach $PG_DATA: a directory above it is not searchable by others (chmod o+x it, or set TEMPERED_CLUSTER_DIR)"
    local pwfile; pwfile="$(mktemp)"; cp "$SECRETS_DIR/postgres-password" "$pwfile"; chown postgres: "$pwfile"
    pg "$PG_BIN/initdb" -D "$PG_DATA" -U temporal --pwfile="$pwfile" $PG_INITDB_ARGS >>"$LOG_DIR/postgresql.log" 2>&1 || { rm -f "$pwfile"; die "initdb failed (log: $LOG_DIR/postgresql.log)"; }
    rm -f "$pwfile"
  fi
  if pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then return 0; fi
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  touch "$LOG_DIR/postgresql.log" && chown postgres: "$LOG_DIR/postgresql.log"
  pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$LOG_DIR/postgresql.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_DATA -c max_connections=200" start >/dev/null \
    || die "PostgreSQL did not start (log: $LOG_DIR/postgresql.log)"
}

stop_postgresql() {
  [ -s "$PG_DATA/PG_VERSION" ] || return 0
  pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 || return 0
  pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null && say "stopped PostgreSQL"
}

# The databases at the schema versions the server module ships (deploy/temporal/apply-schemas.sh, which
# the compose file's schema job runs too). The password reaches the tool through its documented
# variable, never its command line.
apply_schemas() {
  SQL_PASSWORD="$(cat "$SECRETS_DIR/postgres-password")" "$REPO_ROOT/deploy/temporal/apply-schemas.sh" \
    "$TEMPORAL_SERVER_DIR/sql" "$TEMPORAL_SERVER_DIR/schema/postgresql/v12" 127.0.0.1 "$PG_PORT" >>"$LOG_DIR/schema.log" 2>&1 \
    || die "applying the Temporal schemas failed (log: $LOG_DIR/schema.log)"
}

start_temporal_service() { # service
  local service="$1" pid
  if pid="$(recorded_pid "temporal-$service")"; then return 0; fi
  say "starting Temporal $service (127.0.0.1:${SERVICE_PORT[$service]})"
  mkdir -p "$CLUSTER_DIR/temporal" && touch "$CLUSTER_DIR/temporal/dynamicconfig.yaml"
  # deploy/temporal/config.yaml is the one configuration of both shapes; the server renders it from these.
  TEMPORAL_POSTGRES_ADDRESS="127.0.0.1:$PG_PORT" TEMPORAL_POSTGRES_PASSWORD="$(cat "$SECRETS_DIR/postgres-password")" \
    TEMPORAL_BIND_IP=127.0.0.1 TEMPORAL_BROADCAST_ADDRESS=127.0.0.1 TEMPORAL_FRONTEND_ADDRESS="$TEMPORAL_ADDRESS" \
    TEMPORAL_FRONTEND_PORT="$FRONTEND_PORT" TEMPORAL_DYNAMIC_CONFIG="$CLUSTER_DIR/temporal/dynamicconfig.yaml" \
    nohup "$TEMPORAL_SERVER_DIR/server" --config-file "$REPO_ROOT/deploy/temporal/config.yaml" --allow-no-auth start --service "$service" \
    >>"$LOG_DIR/temporal-$service.log" 2>&1 &
  record_started "temporal-$service" $!
}

port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

frontend_serving() { "$TEMPORAL_BIN" operator cluster health --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -q SERVING; }

start_temporal_ui() {
  recorded_pid temporal-ui >/dev/null && return 0
  mkdir -p "$CLUSTER_DIR/ui/config"
  "$REPO_ROOT/deploy/temporal/ui-config.sh" "$TEMPORAL_ADDRESS" 127.0.0.1 "$TEMPERED_UI_PORT" "http://127.0.0.1:$TEMPERED_UI_PORT" >"$CLUSTER_DIR/ui/config/cluster.yaml"
  say "starting the Temporal Web UI on http://127.0.0.1:$TEMPERED_UI_PORT"
  nohup "$TEMPORAL_UI_BIN" --root "$CLUSTER_DIR/ui" --env cluster start >>"$LOG_DIR/temporal-ui.log" 2>&1 &
  record_started temporal-ui $!
  wait_until 30 "Temporal Web UI" http_ok "http://127.0.0.1:$TEMPERED_UI_PORT/"
}

registry_asks_for_credentials() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$TEMPERED_REGISTRY/v2/" 2>/dev/null)" = 401 ]; }

start_cluster_registry() {
  if registry_asks_for_credentials; then return 0; fi
  ensure_secret registry-password
  local dir="$CLUSTER_DIR/registry"
  mkdir -p "$dir"
  if [ ! -s "$dir/htpasswd" ]; then
    (umask 077; python3 -W ignore -c 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.stdin.read().rstrip("\n"), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
      "$REGISTRY_USER" <"$SECRETS_DIR/registry-password" >"$dir/htpasswd")
  fi
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
auth:
  htpasswd:
    realm: tempered
    path: $dir/htpasswd
http:
  addr: $TEMPERED_REGISTRY
YAML
  say "starting the registry on $TEMPERED_REGISTRY (htpasswd auth, user $REGISTRY_USER)"
  nohup docker-registry serve "$dir/config.yml" >>"$LOG_DIR/registry.log" 2>&1 &
  record_started registry $!
  wait_until 30 registry registry_asks_for_credentials
}

# What every tempered process of the cluster is given: addresses, and secrets as file paths only.
cluster_env() {
  export TEMPERED_REGISTRY_SCHEME=http
  export TEMPERED_REGISTRY_USERNAME="$REGISTRY_USER"
  export TEMPERED_REGISTRY_PASSWORD_FILE="$SECRETS_DIR/registry-password"
  export TEMPERED_SIGNING_KEY="$SECRETS_DIR/signing.key"
  export TEMPERED_UI_URL="http://127.0.0.1:$TEMPERED_UI_PORT"
}

start_cluster_worker() { # name
  local name="$1" entry="${WORKER_ENTRY[$1]}" log="$LOG_DIR/worker-$1.log" offset=0
  recorded_pid "worker-$name" >/dev/null && return 0
  [ -f "$log" ] && offset="$(stat -c %s "$log")"
  mkdir -p "$CLUSTER_DIR/workers/$name"
  say "starting worker $name ($entry${WORKER_ARCHITECTURES[$name]:+, builds ${WORKER_ARCHITECTURES[$name]}}; state in $CLUSTER_DIR/workers/$name)"
  cd "$REPO_ROOT"
  # One build at a time each: two build workers share this machine's two cores (the embedded default runs two in one).
  TEMPERED_STATE_DIR="$CLUSTER_DIR/workers/$name" TEMPERED_BUILD_ARCHITECTURES="${WORKER_ARCHITECTURES[$name]:-amd64}" TEMPERED_BUILD_CONCURRENCY=1 \
    nohup node "dist/workers/$entry.js" >>"$log" 2>&1 &
  record_started "worker-$name" $!
  local waited
  for waited in $(seq 1 300); do
    tail -c +$((offset + 1)) "$log" | grep -q 'workers running' && return 0
    kill -0 "$(recorded_pid "worker-$name" || echo 0)" 2>/dev/null || break
    sleep 0.2
  done
  tail -c +$((offset + 1)) "$log" | tail -n 20 >&2
  die "worker $name did not come up within 60s (log: $log)"
}

cluster_components() { printf '%s\n' postgresql "${TEMPORAL_SERVICES[@]/#/temporal-}" temporal-ui registry "${WORKERS[@]/#/worker-}"; }
