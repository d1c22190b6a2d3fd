/**
 * The `buildImage` stage: the image from its lock into the blob store, then
 * pushed to the registry by digest (untagged: nothing is published until the
 * publish stage moves the tag). Idempotent: a retry finds the build record
 * and the blobs already there, and the push skips what the registry has.
 */
import type { BuildInput, BuildResult } from '../../activities/types';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import { catalogSubject } from '../catalog/subjects';
import type { ActivityContext } from '../context';
import { pushByDigest } from '../oci/push';
import type { Progress } from '../progress';
import { buildContextOf } from './context';
import { buildCustomizedImage } from './custom/build';
import { buildImage } from './image';

export async function buildAndPush(ctx: ActivityContext, input: BuildInput, progress: Progress): Promise<BuildResult> {
  if (input.image.kind === 'custom') return buildCustomizedImage(ctx, input, progress);
  const architecture = input.architecture ?? DEFAULT_ARCHITECTURE;
  const subject = catalogSubject(ctx.config, input.image, architecture);
  const built = await buildImage(subject.spec, await ctx.locks.load(input.lockDigest), architecture, buildContextOf(ctx, progress));
  await ctx.records.write({
    image: input.image, architecture, digest: built.digest, spec: subject.spec, lockDigest: input.lockDigest,
    repository: subject.repository, tag: subject.tag, builtAt: new Date().toISOString(),
  });
  progress(`pushing ${built.digest} to ${ctx.registry.host}/${subject.repository} (untagged)`);
  await pushByDigest(ctx.registry, subject.repository, ctx.blobs, built.digest);
  return {
    digest: built.digest, lockDigest: built.lockDigest, repository: subject.repository,
    size: built.size, compressedSize: built.compressedSize, packageCount: built.packageCount,
    layers: built.layers.length, layersWritten: built.layers.filter((l) => !l.reused).length,
  };
}
