/**
 * Builds a customized image into the local blob store: the base image's
 * layers, untouched and by digest, plus ONE new layer (stage.ts), with a
 * config merged from the base's and annotations naming the base.
 *
 * Same inputs (customization, its file contents, lock, base digest) => same
 * bytes => same digest: the layer is written with mtimes clamped to a
 * SOURCE_DATE_EPOCH taken from the lock and the base, never the clock. A
 * repeated build answers from the build record without redoing work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { customConfig, laterOf } from '../../../domain/customization/effective';
import { partition } from '../../../domain/rootfs/partition';
import { checkRuntimeContent } from '../../../domain/rootfs/runtimePolicy';
import type { CustomLock } from '../../../domain/customization/lock';
import { canonicalJson, sha256Digest } from '../../../domain/digest';
import { Annotation, type Descriptor, imageConfigJson, imageManifestJson } from '../../../domain/oci/image';
import { MediaType } from '../../../domain/oci/mediaTypes';
import type { CustomSubject } from '../../catalog/customSubject';
import type { BlobStore } from '../../oci/blobStore';
import { mapLimit } from '../../process/pool';
import { writeFileAtomicSync } from '../../state/files';
import type { BuildContext, BuiltImage } from '../image';
import { writeLayer } from '../layerWriter';
import { loadPackage } from '../packages';
import { customLayerTree, type LayerPlan } from './layerTree';

export interface CustomBuildInput extends Omit<LayerPlan, 'packages'> {
  subject: CustomSubject;
  lock: CustomLock;
  lockDigest: string;
  /** The config's User (`uid:gid` of runAs), or undefined to keep the base's. */
  user?: string;
}

/** Identity of a build: everything that goes into the image, file contents by digest. */
export function customBuildKey(input: CustomBuildInput): string {
  return sha256Digest(
    canonicalJson({
      // 2: the layer is assembled in memory; runtime bases get status.d files. 3: the runtime policy judges content.
      builder: 'customization/3',
      customization: input.customization,
      files: input.files.map((f) => ({ path: f.path, sha256: sha256Digest(f.content), mode: f.mode, uid: f.uid, gid: f.gid })),
      certificates: input.certificates,
      accounts: input.accounts ?? null,
      user: input.user ?? null,
      prune: input.prune,
      lock: input.lockDigest,
      base: { name: input.base.name, digest: input.base.digest },
      tag: input.subject.tag,
    }),
  );
}

export async function buildCustomImage(input: CustomBuildInput, ctx: BuildContext): Promise<BuiltImage> {
  const key = customBuildKey(input);
  const record = path.join(ctx.cacheDir, 'builds', `${key.replace('sha256:', '')}.json`);
  const previous = readRecord(record, ctx.store);
  if (previous) {
    ctx.progress('already built: same customization, lock and base');
    return previous;
  }

  const { subject, base, lock, customization: c } = input;
  let fetched = 0;
  const packages = await mapLimit(lock.packages, 4, async (p) => {
    const deb = await ctx.fetchDeb(p);
    ctx.progress(`fetched ${++fetched}/${lock.packages.length} extra packages`);
    return loadPackage(p, deb, path.join(ctx.cacheDir, 'deb-manifests'));
  });
  // Never older than the base, or tools comparing `created` would think the customization predates its base.
  const created = laterOf(base.config.created, new Date(lock.sourceDateEpoch * 1000).toISOString());

  ctx.progress('assembling the layer');
  const { tree, content } = customLayerTree({ ...input, packages });
  const [plan] = partition(tree, [packages.map((p) => p.locked.name)], { single: true });
  const entries = plan?.entries ?? [];
  const files = entries.filter((n) => n.type === 'file');
  await content.load(files);
  if (input.runtime) for (const n of files) checkRuntimeContent(n, content.bytes(n));
  ctx.progress('writing the layer');
  const layer = await writeLayer(entries, (n) => content.bytes(n), ctx.store);

  const labels = standardLabels(subject);
  const config = ctx.store.put(
    imageConfigJson(
      customConfig({
        base: base.config,
        customization: c,
        user: input.user,
        diffId: layer.diffId,
        created,
        createdBy: `tempered customization ${c.name} (${subject.tag}) on ${base.name}@${base.digest} from lock ${input.lockDigest}`,
        standardLabels: labels,
      }),
    ),
  );
  const layers: Descriptor[] = [
    ...base.manifest.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    { mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size },
  ];
  const manifest = ctx.store.put(
    imageManifestJson({ mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, layers, {
      ...labels,
      ...c.annotations,
      // Last: what the build names (its base, lock and variant) cannot be overridden.
      [Annotation.created]: created,
      [Annotation.lockDigest]: input.lockDigest,
      [Annotation.variant]: c.base.variant,
      [Annotation.baseName]: base.name,
      [Annotation.baseDigest]: base.digest,
    }),
  );
  const built: BuiltImage = {
    digest: manifest.digest,
    configDigest: config.digest,
    layers: [{ ...layer, packages: lock.packages.map((p) => p.name), reused: false }],
    lockDigest: input.lockDigest,
    size: layer.uncompressedSize,
    compressedSize: layer.size,
    packageCount: lock.packages.length,
  };
  writeFileAtomicSync(record, JSON.stringify(built, null, 2));
  return built;
}

function standardLabels(subject: CustomSubject): Record<string, string> {
  const c = subject.loaded.customization;
  return {
    [Annotation.title]: c.name,
    [Annotation.description]: c.description,
    [Annotation.version]: subject.tag,
    [Annotation.vendor]: 'tempered',
  };
}

/** A build record counts only while every blob it names is still in the store. */
function readRecord(file: string, store: BlobStore): BuiltImage | undefined {
  let built: BuiltImage;
  try {
    built = JSON.parse(fs.readFileSync(file, 'utf8')) as BuiltImage;
  } catch {
    return undefined;
  }
  if (!Array.isArray(built.layers)) return undefined;
  return [built.digest, built.configDigest, ...built.layers.map((l) => l.digest)].every((d) => store.has(d)) ? built : undefined;
}
