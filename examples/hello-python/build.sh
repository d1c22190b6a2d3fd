#!/bin/sh
# Multi-stage build of hello-python without a registry and without network:
#   1. in python:trixie-dev, a virtualenv at /opt/venv and pip installing the
#      local dependency into it, offline (setuptools from Debian's wheels);
#   2. the venv and the app go on top of python:trixie (classic builder, local base);
#   3. run it, --network none.
# Usage: build.sh [TAG]   (DEV_IMAGE, RUNTIME_IMAGE override the two bases; PLATFORM=linux/arm64
#   puts the result on RUNTIME_IMAGE of that platform and runs it there: the dev stage runs on this
#   machine's own dev image, its output runs on any architecture)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-tempered-example/hello-python:latest}
dev_image=${DEV_IMAGE:-tempered/python:trixie-dev}
platform=${PLATFORM:-}
runtime_image=${RUNTIME_IMAGE:-tempered/python:trixie}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$context/"
cp -r "$here/app" "$context/app"
mkdir "$context/venv"

docker run --rm --network none -e HOME=/tmp -e PIP_NO_CACHE_DIR=1 \
  -v "$here:/src:ro" -v "$context/venv:/opt/venv" -w /tmp \
  "$dev_image" sh -ec '
    python3 -m venv /opt/venv
    cp -r /src/greeting /tmp/greeting   # setuptools writes its egg-info beside the source
    /opt/venv/bin/pip install --quiet --no-index --find-links /usr/share/python-wheels /tmp/greeting'

docker build --quiet ${platform:+--platform "$platform"} --build-arg "BASE=$runtime_image" -t "$tag" "$context" >/dev/null

docker run --rm --network none ${platform:+--platform "$platform"} "$tag"
