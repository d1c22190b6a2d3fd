#!/bin/sh
# Multi-stage build of hello-go without a registry and without network:
#   1. build a static binary (CGO_ENABLED=0) in go:trixie-dev, source mounted read-only;
#   2. put it on top of go:trixie with the classic builder (local base);
#   3. run it, --network none.
# Usage: build.sh [TAG]   (DEV_IMAGE, RUNTIME_IMAGE override the two bases; PLATFORM=linux/arm64
#   puts the result on RUNTIME_IMAGE of that platform and runs it there: the dev stage runs on this
#   machine's own dev image, Go cross-compiles)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-tempered-example/hello-go:latest}
dev_image=${DEV_IMAGE:-tempered/go:trixie-dev}
platform=${PLATFORM:-}
runtime_image=${RUNTIME_IMAGE:-tempered/go:trixie}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/"

docker run --rm --network none -e CGO_ENABLED=0 -e GOOS=linux -e "GOARCH=${platform#linux/}" -e HOME=/tmp -e GOCACHE=/tmp/cache \
  -v "$here:/src:ro" -v "$context:/out" -w /src \
  "$dev_image" go build -trimpath -ldflags=-buildid= -o /out/hello .

docker build --quiet ${platform:+--platform "$platform"} --build-arg "BASE=$runtime_image" -t "$tag" "$context" >/dev/null

docker run --rm --network none ${platform:+--platform "$platform"} "$tag"
