# The tempered workers, for the multi-machine shape (docker-compose.yml).
# Not built on the development machine (no base image can be pulled there);
# CI checks that this file and the compose file reference only what exists.
FROM node:20-bookworm-slim

# What the build and test activities run: mmdebstrap (dev images), dpkg-deb
# and apt-ftparchive (runtime images, throwaway repositories), gpgv and the
# Debian keyring (archive verification), busybox-static (the image test probe).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      mmdebstrap apt-utils gpgv debian-archive-keyring xz-utils ca-certificates busybox-static tar \
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
COPY scripts/cli ./scripts/cli
COPY bench ./bench
COPY bin ./bin
COPY catalog ./catalog
RUN npm install --no-save typescript@5.9.3 && npx tsc -p tsconfig.build.json && npm uninstall --no-save typescript

ENV TEMPERED_STATE_DIR=/var/lib/tempered
VOLUME /var/lib/tempered
# Role: dist/workers/orchestration.js or dist/workers/build.js (see docker-compose.yml).
CMD ["node", "dist/workers/main.js"]
