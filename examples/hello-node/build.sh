#!/bin/sh
# Multi-stage build of hello-node without a registry and without network:
#   1. in node:trixie-dev, npm packs the local dependency and installs it into
#      a copy of the app (--offline: nothing is fetched), source mounted read-only;
#   2. the app and its node_modules go on top of node:trixie (classic builder, local base);
#   3. run it, --network none.
# Usage: build.sh [TAG]   (DEV_IMAGE, RUNTIME_IMAGE override the two bases; PLATFORM=linux/arm64
#   puts the result on RUNTIME_IMAGE of that platform and runs it there: the dev stage runs on this
#   machine's own dev image, its output runs on any architecture)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-tempered-example/hello-node:latest}
dev_image=${DEV_IMAGE:-tempered/node:trixie-dev}
platform=${PLATFORM:-}
runtime_image=${RUNTIME_IMAGE:-tempered/node:trixie}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/"

docker run --rm --network none -e HOME=/tmp -e npm_config_cache=/tmp/npm \
  -v "$here:/src:ro" -v "$context:/out" -w /tmp \
  "$dev_image" sh -ec '
    cp -r /src/app /out/app
    cd /out && npm pack --silent /src/greeting >/dev/null
    cd /out/app && npm install --offline --omit=dev --no-audit --no-fund --silent ../greeting-1.0.0.tgz
    rm /out/greeting-1.0.0.tgz'

docker build --quiet ${platform:+--platform "$platform"} --build-arg "BASE=$runtime_image" -t "$tag" "$context" >/dev/null

docker run --rm --network none ${platform:+--platform "$platform"} "$tag"
