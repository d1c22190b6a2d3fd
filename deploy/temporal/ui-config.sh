#!/bin/sh
# The Temporal Web UI server's configuration, for scripts/cluster and the compose file's temporal-ui.
# Usage: ui-config.sh FRONTEND_ADDRESS BIND_HOST PORT PUBLIC_ORIGIN > config/NAME.yaml
set -eu
cat <<YAML
temporalGrpcAddress: "$1"
host: $2
port: $3
enableUi: true
defaultNamespace: default
disableNewsFetch: true
notifyOnNewVersion: false
cors:
  allowOrigins: ["$4"]
YAML
