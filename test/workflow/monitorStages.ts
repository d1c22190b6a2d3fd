/**
 * Test doubles for the BUILD stages of the real imagePatchWorkflow, for the
 * monitor's workflow test: resolve, build, test, scan, sign, publish. The
 * test is about orchestration (what the monitor signals, what the workflow
 * does with it), so these stand in for mmdebstrap and cosign, and nothing
 * else does:
 *
 * - resolve reads the REAL verified archive (the local signed apt repository)
 *   and locks the newest version of each of the image's packages;
 * - build writes a real one-layer OCI image whose `/var/lib/dpkg/status`
 *   lists the locked packages, into its own blob store;
 * - publish pushes it to a REAL registry and moves the tag.
 *
 * So the monitor reads each published image's packages the way it does in
 * production: pulled from the registry by digest, parsed from dpkg metadata.
 */
import { PLATFORMS } from '../../domain/platform';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LoadedArchive } from '../../lib/archive/fetch';
import { BlobStore } from '../../lib/oci/blobStore';
import { pushByDigest } from '../../lib/oci/push';
import type { RegistryClient } from '../../lib/oci/registry';
import { createLayer } from '../support/dirLayer';
import type { Activities, BuildInput, PublishInput, ResolveInput, ScanInput } from '../../activities/types';
import type { InstalledPackage } from '../../domain/debian/status';
import { canonicalJson, sha256Digest } from '../../domain/digest';
import type { ImageRef } from '../../domain/image';
import { scanVerdicts } from '../../domain/impact';
import { imageConfigJson, imageManifestJson } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';

type BuildStages = Pick<Activities, 'resolveLock' | 'buildImage' | 'testImage' | 'scanImage' | 'signImage' | 'publishImage'>;

export interface StageDoubleOptions {
  /** Binary package names of each image, by image name. */
  images: Record<string, string[]>;
  archive: () => Promise<LoadedArchive>;
  registry: RegistryClient;
  registryHost: string;
  repositoryPrefix: string;
}

/** Fixed timestamps: the same lock always gives the same image digest, as the real build does. */
const SOURCE_DATE_EPOCH = 1_700_000_000;

export function buildStageDoubles(options: StageDoubleOptions): BuildStages & { cleanup(): void } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-stages-'));
  const blobs = new BlobStore(path.join(work, 'blobs'));
  const locks = new Map<string, InstalledPackage[]>();
  const builtFrom = new Map<string, InstalledPackage[]>();
  const repository = (image: ImageRef) => `${options.repositoryPrefix}/${image.name}`;

  return {
    async resolveLock(input: ResolveInput) {
      const { index } = await options.archive();
      const names = options.images[input.image.name];
      if (!names) throw new Error(`test double: no package list for image ${input.image.name}`);
      const lock = names.map((name): InstalledPackage => {
        const newest = index.newest(name);
        if (!newest) throw new Error(`test double: ${name} is not in the archive`);
        return { name, version: newest.version, architecture: newest.architecture, source: newest.source, sourceVersion: newest.sourceVersion };
      });
      const lockDigest = sha256Digest(canonicalJson(lock));
      const previous = input.previousLockDigest ? locks.get(input.previousLockDigest) : undefined;
      locks.set(lockDigest, lock);
      const sourceVersions = Object.fromEntries(input.sources.flatMap((s) => {
        const found = lock.find((p) => p.source === s);
        return found ? [[s, found.sourceVersion]] : [];
      }));
      const changes = lock.flatMap((p) => {
        const before = previous?.find((q) => q.name === p.name);
        return before && before.version !== p.version ? [`${p.name} ${before.version} -> ${p.version}`] : [];
      });
      return { lockDigest, changes, unavailable: [], sourceVersions, packageCount: lock.length };
    },

    async buildImage(input: BuildInput) {
      const lock = locks.get(input.lockDigest);
      if (!lock) throw new Error(`test double: unknown lock ${input.lockDigest}`);
      const rootfs = fs.mkdtempSync(path.join(work, 'rootfs-'));
      try {
        fs.mkdirSync(path.join(rootfs, 'var/lib/dpkg'), { recursive: true });
        fs.writeFileSync(path.join(rootfs, 'var/lib/dpkg/status'), lock.map(statusStanza).join('\n'));
        const layer = await createLayer(rootfs, SOURCE_DATE_EPOCH, blobs);
        const created = new Date(SOURCE_DATE_EPOCH * 1000).toISOString();
        const config = blobs.put(imageConfigJson({ platform: PLATFORMS.amd64,
          created, user: '65532', env: {}, entrypoint: [], cmd: [], workdir: '/', labels: {},
          diffIds: [layer.diffId], history: [{ created, createdBy: 'tempered test double' }],
        }));
        const manifest = blobs.put(imageManifestJson(
          { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
          [{ mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }],
          {},
        ));
        builtFrom.set(manifest.digest, lock);
        return {
          digest: manifest.digest, lockDigest: input.lockDigest, repository: repository(input.image),
          size: layer.uncompressedSize, compressedSize: layer.size, packageCount: lock.length,
        };
      } finally {
        fs.rmSync(rootfs, { recursive: true, force: true });
      }
    },

    async testImage() {
      return { reportDigest: sha256Digest('tests passed'), passed: 1, failed: 0, failures: [] };
    },

    async scanImage(input: ScanInput) {
      const packages = builtFrom.get(input.digest) ?? [];
      return { sbomDigest: sha256Digest(`sbom ${input.digest}`), packageCount: packages.length, verdicts: scanVerdicts(input.advisories, packages) };
    },

    async signImage() {
      return { signature: 'created' as const, attestations: [] };
    },

    async publishImage(input: PublishInput) {
      const repo = repository(input.image);
      const tag = input.image.kind === 'catalog' && input.image.variant === 'dev' ? 'bookworm-dev' : 'bookworm';
      await pushByDigest(options.registry, repo, blobs, input.digest);
      const previousDigest = await options.registry.resolve(repo, tag);
      await options.registry.putManifest(repo, tag, blobs.read(input.digest), MediaType.ociManifest);
      return { reference: `${options.registryHost}/${repo}:${tag}`, tag, ...(previousDigest ? { previousDigest } : {}), moved: previousDigest !== input.digest };
    },

    cleanup: () => fs.rmSync(work, { recursive: true, force: true }),
  };
}

function statusStanza(pkg: InstalledPackage): string {
  const source = pkg.source === pkg.name && pkg.sourceVersion === pkg.version ? [] : [`Source: ${pkg.source}${pkg.sourceVersion === pkg.version ? '' : ` (${pkg.sourceVersion})`}`];
  return [`Package: ${pkg.name}`, 'Status: install ok installed', `Version: ${pkg.version}`, `Architecture: ${pkg.architecture}`, ...source, ''].join('\n');
}
