#!/bin/sh
# Creates the temporal and temporal_visibility databases and brings them to the schema versions the
# server module ships (setup-schema -v 0.0, then update-schema: Temporal's documented path, idempotent).
# Used by scripts/cluster and by the compose file's temporal-schema job alike.
# Usage: apply-schemas.sh SQL_TOOL SCHEMA_DIR HOST PORT   (SQL_PASSWORD in the environment)
set -eu
sql="$1" schema="$2" host="$3" port="$4"
for db in temporal temporal_visibility; do
  case "$db" in temporal) dir="$schema/temporal/versioned" ;; *) dir="$schema/visibility/versioned" ;; esac
  "$sql" --plugin postgres12 --ep "$host" -p "$port" -u temporal --db "$db" create-database >/dev/null 2>&1 || true
  "$sql" --plugin postgres12 --ep "$host" -p "$port" -u temporal --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
  "$sql" --plugin postgres12 --ep "$host" -p "$port" -u temporal --db "$db" update-schema -d "$dir"
done
