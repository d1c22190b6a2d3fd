/**
 * Builds one image variant from its lock into the local blob store and
 * returns its manifest digest. Same spec + same lock => same bytes => same
 * digest, so a repeated build (activity retry, worker restart, `tempered
 * build` twice) is answered from the build record without redoing work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageUser } from '../../domain/catalog/accounts';
import type { VariantSpec } from '../../domain/catalog/effective';
import { canonicalJson, sha256Digest } from '../../domain/digest';
import type { Lock, LockedPackage } from '../../domain/lock';
import { lockDigest, variantLockDigest, variantPackages } from '../../domain/lock';
import { Annotation, imageConfigJson, imageManifestJson } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { writeFileAtomicSync } from '../state/files';
import type { BlobStore } from '../oci/blobStore';
import { createLayer } from './layer';
import { readAccounts } from './rootfs/accounts';
import { assembleDev } from './rootfs/dev';
import { assembleRuntime } from './rootfs/runtime';

export interface BuiltImage {
  digest: string;
  configDigest: string;
  layerDigest: string;
  lockDigest: string;
  /** Uncompressed and compressed layer sizes in bytes. */
  size: number;
  compressedSize: number;
  packageCount: number;
}

export interface BuildContext {
  store: BlobStore;
  workDir: string;
  buildRecordsDir: string;
  fetchDeb: (p: LockedPackage) => Promise<string>;
  progress: (step: string) => void;
}

/** Identity of a build: everything that goes into the image. */
export function buildKey(spec: VariantSpec, lock: Lock): string {
  // `builder` changes whenever the same spec and lock would give other bytes (2: Python bytecode in runtime images).
  return sha256Digest(canonicalJson({ builder: 2, spec, lock: variantLockDigest(lock, spec.image.variant) }));
}

export async function buildImage(spec: VariantSpec, lock: Lock, ctx: BuildContext): Promise<BuiltImage> {
  const key = buildKey(spec, lock);
  const record = path.join(ctx.buildRecordsDir, key.replace('sha256:', '') + '.json');
  const previous = readRecord(record, ctx.store);
  if (previous) {
    ctx.progress('already built: same spec and the same packages for this variant');
    return { ...previous, lockDigest: lockDigest(lock) };
  }

  const variant = spec.image.variant;
  const locked = variantPackages(lock, variant);
  const sourceDateEpoch = lock.variants[variant].sourceDateEpoch;
  let fetched = 0;
  const debs = await Promise.all(
    locked.map(async (p) => {
      const deb = await ctx.fetchDeb(p);
      ctx.progress(`fetched ${++fetched}/${locked.length} packages`);
      return { locked: p, deb };
    }),
  );

  fs.mkdirSync(ctx.workDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(ctx.workDir, `${spec.image.name}-${variant}-`));
  try {
    const rootfs = path.join(work, 'rootfs');
    fs.mkdirSync(rootfs);
    if (variant === 'runtime') await assembleRuntime(rootfs, spec, debs.map((d) => d.deb), { sourceDateEpoch, progress: ctx.progress });
    else await assembleDev(rootfs, spec, debs, { workdir: work, sourceDateEpoch, archives: lock.archives, progress: ctx.progress });
    const user = imageUser(spec.accounts.runAs, readAccounts(rootfs));

    ctx.progress('writing the layer');
    const layer = await createLayer(rootfs, sourceDateEpoch, ctx.store);
    const created = new Date(sourceDateEpoch * 1000).toISOString();
    // The image carries its variant's part of the lock only: a dev-only lock change must not move the runtime digest.
    const digestOfLock = variantLockDigest(lock, variant);
    const config = ctx.store.put(
      imageConfigJson({
        created,
        user,
        env: spec.environment,
        entrypoint: spec.entrypoint,
        cmd: spec.cmd,
        workdir: spec.workdir,
        labels: { ...standardLabels(spec), ...spec.labels },
        diffIds: [layer.diffId],
        history: [{ created, createdBy: `tempered ${spec.image.name}:${spec.tag} from lock ${digestOfLock}` }],
      }),
    );
    const manifest = ctx.store.put(
      imageManifestJson(
        { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
        [{ mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }],
        { ...standardLabels(spec), [Annotation.created]: created, [Annotation.lockDigest]: digestOfLock, [Annotation.variant]: variant, ...spec.annotations },
      ),
    );
    const built: BuiltImage = {
      digest: manifest.digest,
      configDigest: config.digest,
      layerDigest: layer.digest,
      lockDigest: lockDigest(lock),
      size: layer.uncompressedSize,
      compressedSize: layer.size,
      packageCount: locked.length,
    };
    // Atomic: a build record cut short (a full disk, a SIGKILL mid-write) would be unreadable for every retry.
    writeFileAtomicSync(record, JSON.stringify(built, null, 2));
    return built;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function standardLabels(spec: VariantSpec): Record<string, string> {
  return {
    [Annotation.title]: spec.image.name,
    [Annotation.description]: spec.description,
    [Annotation.version]: spec.tag,
    [Annotation.vendor]: 'tempered',
  };
}

/** A build record counts only while every blob it names is still in the store. */
function readRecord(file: string, store: BlobStore): BuiltImage | undefined {
  if (!fs.existsSync(file)) return undefined;
  let built: BuiltImage;
  try {
    built = JSON.parse(fs.readFileSync(file, 'utf8')) as BuiltImage;
  } catch {
    // A record written before writes were atomic, cut short: build again (same lock, same bytes) and replace it.
    return undefined;
  }
  return [built.digest, built.configDigest, built.layerDigest].every((d) => store.has(d)) ? built : undefined;
}
