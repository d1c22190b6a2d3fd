/**
 * Builds one image variant for one architecture from its lock into the blob
 * store and returns its manifest digest. Same spec + same lock => same bytes => same digest, so a
 * repeated build (activity retry, worker restart, `tempered build` twice) is
 * answered from the build record, and a build after a patch writes only the
 * layers whose packages changed (layers.ts).
 *
 * runtime: the tree is assembled in memory from the packages' manifests
 *   (runtimeTree.ts) and split into layers by origin;
 * dev:     mmdebstrap installs the packages with dpkg in the sandbox
 *   (devTree.ts); one layer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageUser } from '../../domain/catalog/accounts';
import type { VariantSpec } from '../../domain/catalog/effective';
import { canonicalJson, sha256Digest } from '../../domain/digest';
import type { Lock, LockedPackage } from '../../domain/lock';
import { lockDigest, lockPlatform, variantLockDigest, variantPackages } from '../../domain/lock';
import { type Architecture, PLATFORMS } from '../../domain/platform';
import { Annotation, imageConfigJson, imageManifestJson } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { partition } from '../../domain/rootfs/partition';
import type { BlobStore } from '../oci/blobStore';
import { mapLimit } from '../process/pool';
import type { Progress } from '../progress';
import type { SandboxAccount } from '../sandbox/account';
import { writeFileAtomicSync } from '../state/files';
import { assembleDevTree } from './devTree';
import { writeLayer } from './layerWriter';
import { type BuiltLayer, buildRuntimeLayers } from './layers';
import { loadPackage } from './packages';
import { assembleRuntimeTree } from './runtimeTree';

export interface BuiltImage {
  digest: string;
  configDigest: string;
  /** Bottom first. */
  layers: BuiltLayer[];
  lockDigest: string;
  /** Uncompressed and compressed sizes of all layers, in bytes. */
  size: number;
  compressedSize: number;
  packageCount: number;
}

export interface BuildContext {
  store: BlobStore;
  /** Build records, layer records and package manifests: caches, any of it may be deleted. */
  cacheDir: string;
  fetchDeb: (p: LockedPackage) => Promise<string>;
  /** The unprivileged account sandboxed steps run as (only asked for when one runs). */
  sandbox: () => SandboxAccount;
  progress: Progress;
}

/** Identity of a build: everything that goes into the image. */
export function buildKey(spec: VariantSpec, lock: Lock, arch: Architecture): string {
  // `builder` changes whenever the same spec and lock would give other bytes (3: layers by origin, in memory).
  return sha256Digest(canonicalJson({ builder: 3, spec, architecture: arch, lock: variantLockDigest(lock, spec.image.variant, arch) }));
}

export async function buildImage(spec: VariantSpec, lock: Lock, arch: Architecture, ctx: BuildContext): Promise<BuiltImage> {
  const key = buildKey(spec, lock, arch);
  const record = path.join(ctx.cacheDir, 'builds', `${key.replace('sha256:', '')}.json`);
  const previous = readRecord(record, ctx.store);
  if (previous) {
    ctx.progress('already built: same spec and the same packages for this variant');
    return { ...previous, lockDigest: lockDigest(lock) };
  }

  const variant = spec.image.variant;
  const locked = variantPackages(lock, variant, arch);
  const sourceDateEpoch = lockPlatform(lock, arch).variants[variant].sourceDateEpoch;
  let fetched = 0;
  const debs = await mapLimit(locked, 8, async (p) => {
    const deb = await ctx.fetchDeb(p);
    ctx.progress(`fetched ${++fetched}/${locked.length} packages`);
    return { locked: p, deb };
  });

  let layers: BuiltLayer[];
  let user: string;
  if (variant === 'runtime') {
    ctx.progress(`reading ${debs.length} packages`);
    const packages = await mapLimit(debs, 4, (d) => loadPackage(d.locked, d.deb, path.join(ctx.cacheDir, 'deb-manifests')));
    const rt = await assembleRuntimeTree(spec, packages, sourceDateEpoch);
    user = imageUser(spec.accounts.runAs, rt.accounts);
    layers = await buildRuntimeLayers(rt, packages, spec.layering, {
      store: ctx.store, recordsDir: path.join(ctx.cacheDir, 'layers'), sandbox: ctx.sandbox, sourceDateEpoch, progress: ctx.progress,
    });
  } else {
    const dev = await assembleDevTree(spec, debs, { lock, architecture: arch, sourceDateEpoch, account: ctx.sandbox(), progress: ctx.progress });
    user = imageUser(spec.accounts.runAs, dev.accounts);
    ctx.progress('writing the layer');
    const [plan] = partition(dev.tree, [['mmdebstrap']], { single: true });
    const bytesOf = (n: { content?: { kind: string; bytes?: Buffer } }) => (n.content?.kind === 'bytes' ? (n.content.bytes as Buffer) : Buffer.alloc(0));
    layers = [{ ...(await writeLayer(plan?.entries ?? [], bytesOf, ctx.store)), packages: locked.map((p) => p.name), reused: false }];
  }

  const created = new Date(sourceDateEpoch * 1000).toISOString();
  // The image carries its variant's part of the lock only: a dev-only lock change must not move the runtime digest.
  const digestOfLock = variantLockDigest(lock, variant, arch);
  const config = ctx.store.put(
    imageConfigJson({
      platform: PLATFORMS[arch],
      created,
      user,
      env: spec.environment,
      entrypoint: spec.entrypoint,
      cmd: spec.cmd,
      workdir: spec.workdir,
      labels: { ...standardLabels(spec), ...spec.labels },
      diffIds: layers.map((l) => l.diffId),
      history: layers.map((l) => ({ created, createdBy: `tempered ${spec.image.name}:${spec.tag} from lock ${digestOfLock}: ${l.packages.length ? `packages ${l.packages.join(' ')}` : 'accounts, paths and image files'}` })),
    }),
  );
  const manifest = ctx.store.put(
    imageManifestJson(
      { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
      layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
      { ...standardLabels(spec), ...spec.annotations, [Annotation.created]: created, [Annotation.lockDigest]: digestOfLock, [Annotation.variant]: variant },
    ),
  );
  const built: BuiltImage = {
    digest: manifest.digest,
    configDigest: config.digest,
    layers,
    lockDigest: lockDigest(lock),
    size: layers.reduce((n, l) => n + l.uncompressedSize, 0),
    compressedSize: layers.reduce((n, l) => n + l.size, 0),
    packageCount: locked.length,
  };
  // Atomic: a build record cut short (a full disk, a SIGKILL mid-write) would be unreadable for every retry.
  writeFileAtomicSync(record, JSON.stringify(built, null, 2));
  return built;
}

/** The OCI annotations every image and index of a spec carries (title, description, version, vendor). */
export function standardLabels(spec: VariantSpec): Record<string, string> {
  return {
    [Annotation.title]: spec.image.name,
    [Annotation.description]: spec.description,
    [Annotation.version]: spec.tag,
    [Annotation.vendor]: 'tempered',
  };
}

/** A build record counts only while every blob it names is still in the store. */
function readRecord(file: string, store: BlobStore): BuiltImage | undefined {
  let built: BuiltImage;
  try {
    built = JSON.parse(fs.readFileSync(file, 'utf8')) as BuiltImage;
  } catch {
    // None yet, or one cut short: build again (same lock, same bytes) and replace it.
    return undefined;
  }
  if (!Array.isArray(built.layers)) return undefined;
  return [built.digest, built.configDigest, ...built.layers.map((l) => l.digest)].every((d) => store.has(d)) ? built : undefined;
}
