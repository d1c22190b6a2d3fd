# The tempered workers, for the multi-machine shape (docker-compose.yml).
# Not built on the development machine (no base image can be pulled there);
# CI checks that this file and the compose file reference only what exists,
# and that the Node.js pinned here is the one scripts/lib/common.sh pins.
FROM debian:bookworm-slim AS node
# Node.js 24 LTS from the npm registry's node-linux-<arch> package, checked against the registry's
# sha512 integrity: the same runtime, version and check as scripts/lib/common.sh.
ARG NODE_VERSION=24.22.3
ARG NODE_INTEGRITY_X64=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
ARG NODE_INTEGRITY_ARM64=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl openssl \
 && arch="$(dpkg --print-architecture)" \
 && case "$arch" in amd64) pkg=x64; want="$NODE_INTEGRITY_X64" ;; arm64) pkg=arm64; want="$NODE_INTEGRITY_ARM64" ;; *) exit 1 ;; esac \
 && curl -fsSL -o /tmp/node.tgz "https://registry.npmjs.org/node-linux-$pkg/-/node-linux-$pkg-$NODE_VERSION.tgz" \
 && got="sha512-$(openssl dgst -sha512 -binary /tmp/node.tgz | base64 -w0)" \
 && [ "$got" = "$want" ] \
 && mkdir /opt/node && tar -xzf /tmp/node.tgz -C /opt/node --strip-components=1 --no-same-owner \
 && /opt/node/bin/node --version

FROM debian:bookworm-slim
COPY --from=node /opt/node /opt/node
ENV PATH=/opt/node/bin:$PATH

# What the build and test activities run: mmdebstrap (dev images), dpkg-deb
# and apt-ftparchive (runtime images, throwaway repositories), gpgv and the
# Debian keyring (archive verification), busybox-static (the image test probe).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      npm mmdebstrap apt-utils gpgv debian-archive-keyring xz-utils ca-certificates busybox-static tar \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/tempered
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY client ./client
COPY domain ./domain
COPY workers ./workers
COPY workflows ./workflows
COPY cli ./cli
COPY lib ./lib
COPY bench ./bench
COPY bin ./bin
COPY catalog ./catalog
RUN npm install --no-save typescript@5.9.3 && npx tsc -p tsconfig.build.json && npm uninstall --no-save typescript

ENV TEMPERED_STATE_DIR=/var/lib/tempered
VOLUME /var/lib/tempered
# Role: dist/workers/orchestration.js or dist/workers/build.js (see docker-compose.yml).
CMD ["node", "dist/workers/main.js"]
