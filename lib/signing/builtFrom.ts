/**
 * What an image's SLSA provenance says it was built from, by its build
 * record: the definition (a catalog image's variant spec, or the
 * customization as written), every .deb by sha256, and for a customization
 * the base image by registry reference and digest, so `resolvedDependencies`
 * names the exact base it was built on.
 */
import type { Release } from '../../domain/debian/releases';
import { withRelease } from '../../domain/imageId';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import type { ProvenanceInput } from '../../domain/attest/provenance';
import { type LockedPackage, variantPackages } from '../../domain/lock';
import type { ImageRecord } from '../catalog/imageRecords';
import type { ActivityContext } from '../context';

export type BuiltFrom = Pick<ProvenanceInput, 'definition' | 'packages' | 'baseImage'> & { variant: string; release?: Release };

const asDeb = (p: LockedPackage) => ({ name: p.name, version: p.version, architecture: p.architecture, archive: p.archive, filename: p.filename, sha256: p.sha256 });
const plainJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

export async function builtFrom(ctx: ActivityContext, record: ImageRecord): Promise<BuiltFrom> {
  if (record.custom) {
    const { customization, base } = record.custom;
    return {
      definition: plainJson(customization),
      release: withRelease(base.image).release,
      variant: base.image.variant,
      packages: (await ctx.customLocks.load(record.lockDigest)).packages.map(asDeb),
      baseImage: { repository: `${ctx.config.registry.host}/${base.repository}`, tag: base.tag, digest: base.digest },
    };
  }
  const image = withRelease(record.image);
  const variant = image.kind === 'catalog' ? image.variant : 'runtime';
  const lock = await ctx.locks.load(record.lockDigest);
  return {
    definition: plainJson(record.spec),
    ...(image.kind === 'catalog' ? { release: image.release } : {}),
    variant,
    // An index was built from every platform's packages.
    packages: (record.platforms?.map((p) => p.architecture) ?? [record.architecture ?? DEFAULT_ARCHITECTURE])
      .flatMap((arch) => variantPackages(lock, variant, arch))
      .map(asDeb),
    ...(record.baseDigest ? { baseImage: { repository: record.repository, digest: record.baseDigest } } : {}),
  };
}
