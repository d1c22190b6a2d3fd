/**
 * Activity `publishImage`: the one step users see. The image, its signature
 * and attestations are already in the registry by digest; this moves the tag
 * (`trixie`), then the tags that follow it (`latest` for the newest release).
 * Then it starts the publish's notification (webhooks), if a webhook wants it.
 * A patch's publish first tags its unique tag (`trixie-20261207.14`), which
 * never moves: one already on another digest is refused, not moved. The
 * newest unique tag is kept when it already names the digest (a retry, or a
 * re-created workflow republishing it); a new one is numbered past every
 * existing one (domain/tags/uniqueTag.ts).
 * Idempotent by digest: a tag already on the digest is left alone.
 */
import { ApplicationFailure } from '@temporalio/common';
import { withPublishResult } from '../domain/notify/events';
import { formatUniqueTag, uniqueCycleAfter, uniqueTagOf, uniqueTagsOf } from '../domain/tags/uniqueTag';
import type { Notifier } from '../lib/notify/notifier';
import { type ImageRecord } from '../lib/catalog/imageRecords';
import { type ActivityContext, referenceOf } from '../lib/context';
import { withProgress } from './progress';
import { pushByDigest } from '../lib/oci/push';
import { ErrorType, type PublishInput, type PublishResult } from './types';

export function publishActivity(ctx: ActivityContext, notifier: Notifier) {
  return async function publishImageActivity(input: PublishInput): Promise<PublishResult> {
    // Heartbeating: its retry policy has a 30 s heartbeat timeout, so a publish that outlasts 30 s without
    // one (re-pushing layers the registry dropped, a slow registry) would be timed out and retried for ever.
    return withProgress(async (progress) => {
      const record = await ctx.records.read(input.digest);
      const { repository, tag } = record;
      progress(`making sure ${repository}@${input.digest} is in ${ctx.registry.host}`);
      await pushByDigest(ctx.registry, repository, ctx.blobs, input.digest);
      const manifest = ctx.blobs.read(input.digest);
      const mediaType = ctx.blobs.readJson<{ mediaType: string }>(input.digest).mediaType;
      const previousDigest = await ctx.registry.resolve(repository, tag);
      const reference = referenceOf(ctx.config, repository, tag);
      const uniqueTag = input.unique && (await uniqueTagFor(ctx, repository, tag, input.digest, input.unique));
      if (uniqueTag) {
        const named = await ctx.registry.resolve(repository, uniqueTag);
        if (named && named !== input.digest) {
          throw ApplicationFailure.nonRetryable(`unique tag ${repository}:${uniqueTag} already names ${named}; unique tags never move (delete it by hand if a reset rebuilt this cycle)`, ErrorType.uniqueTagTaken);
        }
        if (!named) {
          progress(`tagging ${uniqueTag}`);
          await ctx.registry.putManifest(repository, uniqueTag, manifest, mediaType);
        }
      }
      const moved = previousDigest !== input.digest;
      if (moved) {
        progress(`moving ${tag} to ${input.digest}`);
        await ctx.registry.putManifest(repository, tag, manifest, mediaType);
      }
      // Then the tags that follow it (`latest` follows the newest release's tag), each only if it is elsewhere:
      // a retry after a crash between two tags moves the rest.
      for (const follower of followerTags(record)) {
        if ((await ctx.registry.resolve(repository, follower)) === input.digest) continue;
        progress(`moving ${follower} to ${input.digest}`);
        await ctx.registry.putManifest(repository, follower, manifest, mediaType);
      }
      const result = { reference, tag, ...(previousDigest ? { previousDigest } : {}), moved, ...(uniqueTag ? { uniqueTag } : {}) };
      // Told once the tag moved; a retry after a crash here starts it then (the notification's id is the event's).
      if (input.event) await notifier.start(withPublishResult(input.event, result));
      return result;
    });
  };
}

async function uniqueTagFor(ctx: ActivityContext, repository: string, movingTag: string, digest: string, unique: { publishedAt: string; cycle: number }): Promise<string> {
  const existing = uniqueTagsOf(await ctx.registry.listTags(repository), movingTag);
  const newest = existing[0] && formatUniqueTag(existing[0]);
  if (newest && (await ctx.registry.resolve(repository, newest)) === digest) return newest;
  return uniqueTagOf(movingTag, unique.publishedAt, uniqueCycleAfter(unique.cycle, existing));
}

/** A catalog image's other tags (`latest`, `latest-dev`); customizations and older records have none. */
function followerTags(record: ImageRecord): string[] {
  if (record.custom) return [];
  return (record.spec.tags ?? []).filter((t) => t !== record.tag);
}
