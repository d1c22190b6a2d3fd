#!/bin/sh
# Multi-stage build of hello-java without a registry and without network:
#   1. javac in java:trixie-dev, source mounted read-only, --network none;
#   2. the classes go on top of java:trixie with the classic builder (local base);
#   3. run it, --network none.
# Usage: build.sh [TAG]   (DEV_IMAGE, RUNTIME_IMAGE override the two bases; PLATFORM=linux/arm64
#   puts the result on RUNTIME_IMAGE of that platform and runs it there: the dev stage runs on this
#   machine's own dev image, its output runs on any architecture)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-tempered-example/hello-java:latest}
dev_image=${DEV_IMAGE:-tempered/java:trixie-dev}
platform=${PLATFORM:-}
runtime_image=${RUNTIME_IMAGE:-tempered/java:trixie}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/"
mkdir "$context/classes"

docker run --rm --network none \
  -v "$here/src:/src:ro" -v "$context/classes:/out" -w /src \
  "$dev_image" javac --release 17 -d /out Hello.java

docker build --quiet ${platform:+--platform "$platform"} --build-arg "BASE=$runtime_image" -t "$tag" "$context" >/dev/null

docker run --rm --network none ${platform:+--platform "$platform"} "$tag"
