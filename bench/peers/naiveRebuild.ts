/**
 * The naive peer: what a team without tempered does when an advisory lands.
 * It rebuilds its image from a Dockerfile, `FROM` a Debian base with apt,
 * `apt-get install` of the image's packages and a non-root user, with
 * `docker build --no-cache` (the cache would keep the old packages), then
 * `docker push`. It tests, signs and attests nothing.
 *
 * Fair to it: the base image is made here once, before any round (mmdebstrap
 * `--variant=apt` of the same Debian sources tempered reads, `docker import`),
 * as a pulled `debian:bookworm` would be; the package names are those of
 * tempered's lock, so apt resolves the same set from the same archive and the
 * same local repository; it pushes to the same registry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { exec } from '../../lib/process/exec';
import type { ArchiveSource } from '../../lib/archive/sources';

export interface NaivePeerOptions {
  docker: Docker;
  work: string;
  release: string;
  /** Every source tempered reads: the Debian suites (the base image is made from those) and the local repository. */
  sources: readonly ArchiveSource[];
  /** The registry host the stack publishes to. */
  registry: string;
}

export interface NaiveRound {
  buildMs: number;
  pushMs: number;
  totalMs: number;
  digest: string;
}

export interface NaivePeer {
  /** One patch: rebuild with no cache and push. */
  rebuild(packages: readonly string[]): Promise<NaiveRound>;
  /** The Debian image with apt and the bench's sources, pushed as `REPO:TAG` of the registry (copa's tooling). */
  pushAptImage(repositoryAndTag: string): Promise<string>;
}

const BASE_TAG = 'tempered-bench/naive-base';

export async function prepareNaivePeer(options: NaivePeerOptions): Promise<NaivePeer> {
  const debian = options.sources.filter((s) => s.suites.some((suite) => suite.startsWith(options.release)));
  const baseTar = path.join(options.work, 'naive-base.tar');
  await exec('mmdebstrap', [
    '--mode=root', '--variant=apt', '--format=tar', '--quiet', `--architectures=amd64`,
    options.release, baseTar,
    ...debian.flatMap((s) => s.suites.map((suite) => `deb [signed-by=${s.keyring}] ${s.uri} ${suite} ${s.components.join(' ')}`)),
  ], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  await follow(options.docker, await options.docker.importImage(baseTar, { repo: BASE_TAG, tag: options.release }));
  fs.rmSync(baseTar, { force: true });
  const target = `${options.registry}/peer/naive-base:${options.release}`;
  return {
    async rebuild(packages) {
      const started = Date.now();
      await follow(options.docker, await options.docker.buildImage(buildContext(options, packages), {
        t: target, nocache: true, rm: true, forcerm: true, networkmode: 'host',
      }));
      const built = Date.now();
      // The engine wants an X-Registry-Auth header even for a registry without auth: an empty one.
      const pushed = await follow(options.docker, await options.docker.getImage(target).push({ authconfig: {} }));
      const digest = pushed.map((event) => /digest: (sha256:[0-9a-f]{64})/.exec(event.status ?? '')?.[1]).find(Boolean);
      if (!digest) throw new Error(`naive peer: docker push of ${target} reported no digest`);
      return { buildMs: built - started, pushMs: Date.now() - built, totalMs: Date.now() - started, digest };
    },
    async pushAptImage(repositoryAndTag) {
      const name = `${options.registry}/${repositoryAndTag}`;
      await follow(options.docker, await options.docker.buildImage(buildContext(options, undefined), { t: name, rm: true, forcerm: true, networkmode: 'host' }));
      await follow(options.docker, await options.docker.getImage(name).push({ authconfig: {} }));
      return name;
    },
  };
}

/** The Dockerfile a user writes, with the apt sources and keyrings of the same archive; no packages: only the sources. */
function buildContext(options: NaivePeerOptions, packages: readonly string[] | undefined): NodeJS.ReadableStream {
  const pack = tar.pack();
  const lines = options.sources.flatMap((s, i) => s.suites.map((suite) => `deb [signed-by=/etc/apt/keyrings/source-${i}.gpg] ${s.uri} ${suite} ${s.components.join(' ')}`));
  options.sources.forEach((s, i) => pack.entry({ name: `keyrings/source-${i}.gpg` }, fs.readFileSync(s.keyring)));
  pack.entry({ name: 'sources.list' }, `${lines.join('\n')}\n`);
  const setup = [
    `FROM ${BASE_TAG}:${options.release}`,
    'COPY keyrings/ /etc/apt/keyrings/',
    'COPY sources.list /etc/apt/sources.list',
  ];
  pack.entry({ name: 'Dockerfile' }, [...setup, ...(packages ? [
    'RUN rm -f /etc/apt/sources.list.d/* \\',
    ' && apt-get update \\',
    ` && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${[...packages].sort().join(' ')} \\`,
    ' && groupadd -g 65532 nonroot && useradd -u 65532 -g 65532 -M -s /usr/sbin/nologin nonroot \\',
    ' && rm -rf /var/lib/apt/lists/*',
    'USER 65532:65532',
  ] : ['RUN rm -f /etc/apt/sources.list.d/*']), ''].join('\n'));
  pack.finalize();
  // tar-stream's Pack is a streamx Readable, which dockerode pipes like a Node one.
  return pack as unknown as NodeJS.ReadableStream;
}

interface ProgressEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Waits for a Docker progress stream; an error event in it (a failed RUN, a refused push) rejects. */
async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<ProgressEvent[]> {
  const events = await new Promise<ProgressEvent[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: ProgressEvent[]) => (err ? reject(err) : resolve(out)));
  });
  const failed = events.find((event) => event.error);
  if (failed) throw new Error(`naive peer: ${failed.errorDetail?.message ?? failed.error}`);
  return events;
}
