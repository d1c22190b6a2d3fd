/**
 * What an image's tests run against, from its build record: the spec, and
 * the packages its dpkg metadata must list. A catalog image lists its lock; a
 * customized image lists its base's installed packages (read from the base's
 * own layers) plus its extras, and a runtime one may run as a service user.
 */
import { variantPackages } from '../../domain/lock';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import { baseFilesystemOf, baseInstalled, basePlatformDigest } from '../builder/custom/baseImage';
import type { ImageRecord } from '../catalog/imageRecords';
import type { ActivityContext } from '../context';
import type { TestTarget } from './run';

export async function testTargetOf(ctx: ActivityContext, record: ImageRecord): Promise<TestTarget> {
  if (!record.custom) {
    const variant = record.image.kind === 'catalog' ? record.image.variant : 'runtime';
    return { spec: record.spec, digest: record.digest, locked: variantPackages(await ctx.locks.load(record.lockDigest), variant, record.architecture ?? DEFAULT_ARCHITECTURE) };
  }
  const { base } = record.custom;
  const platform = await basePlatformDigest(ctx, base.repository, base.digest);
  const filesystem = await baseFilesystemOf(ctx, base.repository, platform);
  const extras = (await ctx.customLocks.load(record.lockDigest)).packages;
  return {
    spec: record.spec,
    digest: record.digest,
    locked: [...baseInstalled(filesystem), ...extras],
    name: record.image.name,
    serviceUser: base.image.variant === 'runtime',
    base: platform,
  };
}
