/**
 * Activity `publishImage`: the one step users see. The image, its signature
 * and attestations are already in the registry by digest; this moves the tag.
 * Idempotent by digest: a tag already on the digest is left alone.
 */
import { ImageRecords } from '../lib/catalog/imageRecords';
import { type ActivityContext, referenceOf } from '../lib/context';
import { withProgress } from './progress';
import { pushByDigest } from '../lib/oci/push';
import type { PublishInput, PublishResult } from './types';

export function publishActivity(ctx: ActivityContext) {
  return async function publishImageActivity(input: PublishInput): Promise<PublishResult> {
    // Heartbeating: its retry policy has a 30 s heartbeat timeout, so a publish that outlasts 30 s without
    // one (re-pushing layers the registry dropped, a slow registry) would be timed out and retried for ever.
    return withProgress(async (progress) => {
      const record = new ImageRecords(ctx.paths.images).read(input.digest);
      const { repository, tag } = record;
      progress(`making sure ${repository}@${input.digest} is in ${ctx.registry.host}`);
      await pushByDigest(ctx.registry, repository, ctx.blobs, input.digest);
      const previousDigest = await ctx.registry.resolve(repository, tag);
      const reference = referenceOf(ctx.config, repository, tag);
      if (previousDigest === input.digest) return { reference, tag, previousDigest, moved: false };
      progress(`moving ${tag} to ${input.digest}`);
      await ctx.registry.putManifest(repository, tag, ctx.blobs.read(input.digest), ctx.blobs.readJson<{ mediaType: string }>(input.digest).mediaType);
      return { reference, tag, ...(previousDigest ? { previousDigest } : {}), moved: true };
    });
  };
}
