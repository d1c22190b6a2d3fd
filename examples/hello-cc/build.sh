#!/bin/sh
# Multi-stage build of hello-cc without a registry and without network:
#   1. compile in cc:trixie-dev, source mounted read-only, --network none;
#   2. put the binary on top of cc:trixie with the classic builder (local base);
#   3. run it, --network none.
# Usage: build.sh [TAG]   (DEV_IMAGE, RUNTIME_IMAGE override the two bases; PLATFORM=linux/arm64
#   compiles in the arm64 DEV_IMAGE and runs on the arm64 RUNTIME_IMAGE, under emulation on amd64)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-tempered-example/hello-cc:latest}
dev_image=${DEV_IMAGE:-tempered/cc:trixie-dev}
platform=${PLATFORM:-}
runtime_image=${RUNTIME_IMAGE:-tempered/cc:trixie}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/"

docker run --rm --network none ${platform:+--platform "$platform"} \
  -v "$here:/src:ro" -v "$context:/out" -w /src \
  "$dev_image" make OUT=/out

docker build --quiet ${platform:+--platform "$platform"} --build-arg "BASE=$runtime_image" -t "$tag" "$context" >/dev/null

docker run --rm --network none ${platform:+--platform "$platform"} "$tag"
