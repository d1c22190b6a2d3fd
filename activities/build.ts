/**
 * Activity `buildImage`: the image from its lock, into the local blob store,
 * then pushed to the registry by digest (untagged: nothing is published until
 * the publish stage moves the tag). Idempotent: a retry finds the build
 * record and the blobs already there.
 */
import { fetchDeb } from '../lib/archive/fetch';
import { buildImage } from '../lib/builder/image';
import { catalogSubject } from '../lib/catalog/subjects';
import type { ActivityContext } from '../lib/context';
import { buildCustomizedImage } from '../lib/builder/custom/build';
import { ImageRecords } from '../lib/catalog/imageRecords';
import { withProgress } from './progress';
import { classified } from './failures';
import { pushByDigest } from '../lib/oci/push';
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
