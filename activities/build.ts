/**
 * Activity `buildImage`: the image from its lock, into the local blob store,
 * then pushed to the registry by digest (untagged: nothing is published until
 * the publish stage moves the tag). Idempotent: a retry finds the build
 * record and the blobs already there.
 */
import { fetchDeb } from './archive/fetch';
import { buildImage } from './build/image';
import { catalogSubject } from './catalog/subjects';
import type { ActivityContext } from './context';
import { buildCustomizedImage } from './custom/buildImage';
import { ImageRecords } from './catalog/imageRecords';
import { withProgress } from './lib/progress';
import { classified } from './lib/failures';
import { pushByDigest } from './oci/push';
import type { BuildInput, BuildResult } from './types';

export function buildActivity(ctx: ActivityContext) {
  return async function buildImageActivity(input: BuildInput): Promise<BuildResult> {
    return classified(() => withProgress(async (progress) => {
      if (input.image.kind === 'custom') return buildCustomizedImage(ctx, input, progress);
      const subject = catalogSubject(ctx.config, input.image);
      const lock = ctx.locks.load(input.lockDigest);
      const built = await buildImage(subject.spec, lock, {
        store: ctx.blobs,
        workDir: ctx.paths.work,
        buildRecordsDir: ctx.buildRecords,
        fetchDeb: (p) => fetchDeb(p, ctx.config.debCache),
        progress,
      });
      new ImageRecords(ctx.paths.images).write({
        image: input.image, digest: built.digest, spec: subject.spec, lockDigest: input.lockDigest,
        repository: subject.repository, tag: subject.tag, builtAt: new Date().toISOString(),
      });
      progress(`pushing ${built.digest} to ${ctx.registry.host}/${subject.repository} (untagged)`);
      await pushByDigest(ctx.registry, subject.repository, ctx.blobs, built.digest);
      return {
        digest: built.digest, lockDigest: built.lockDigest, repository: subject.repository,
        size: built.size, compressedSize: built.compressedSize, packageCount: built.packageCount,
      };
    }));
  };
}
