/**
 * Activity `pruneUniqueTags`: applies the unique tag retention policy
 * (domain/tags/retention.ts) to one repository. Reads every tag and the
 * manifest it names, deletes each expired digest with its signature
 * artifacts (cosign's `.sig`/`.att`, the referrers fallback index and the
 * bundle manifests it lists), then the platform manifests of a deleted
 * index that nothing kept lists. Idempotent: a retry finds less to delete.
 * The registry frees the blobs at its next garbage collection.
 */
import { ApplicationFailure } from '@temporalio/common';
import { definitionFiles, readDefinition } from '../domain/catalog/load';
import { Annotation } from '../domain/oci/image';
import { isSignatureTag, planRetention, type RetentionPolicy, type TaggedManifest } from '../domain/tags/retention';
import { type ActivityContext, repositoryOf } from '../lib/context';
import { attestationTag, referrersTag, signatureTag } from '../lib/oci/artifacts';
import type { RegistryClient } from '../lib/oci/registry';
import { withProgress } from './progress';

export interface PruneInput {
  repository: string;
  policy: RetentionPolicy;
  /** The workflow's time, so a retry decides the same. */
  now: string;
}

export interface PruneResult {
  repository: string;
  deleted: string[];
  kept: number;
}

export interface RetentionActivities {
  catalogRepositories(): Promise<string[]>;
  pruneUniqueTags(input: PruneInput): Promise<PruneResult>;
}

export function retentionActivities(ctx: ActivityContext): RetentionActivities {
  return {
    async catalogRepositories() {
      return [...new Set(definitionFiles(ctx.config.catalogDir).map((f) => repositoryOf(ctx.config, readDefinition(f).name)))].sort();
    },
    async pruneUniqueTags(input) {
      if (input.policy.keepDays < 1 || input.policy.keepNewest < 0) throw ApplicationFailure.nonRetryable(`policy: keepDays must be >= 1 and keepNewest >= 0, got ${JSON.stringify(input.policy)}`);
      return withProgress(async (progress) => {
        const { registry } = ctx;
        const { repository } = input;
        progress(`reading the tags of ${repository}`);
        const tagged: TaggedManifest[] = [];
        for (const tag of await registry.listTags(repository)) {
          if (isSignatureTag(tag)) continue;
          const fetched = await registry.getManifest(repository, tag);
          if (!fetched) continue;
          const manifest = JSON.parse(fetched.body.toString('utf8')) as { annotations?: Record<string, string>; manifests?: { digest: string }[] };
          const baseDigest = manifest.annotations?.[Annotation.baseDigest];
          tagged.push({ tag, digest: fetched.digest, ...(baseDigest ? { baseDigest } : {}), ...(manifest.manifests ? { platforms: manifest.manifests.map((m) => m.digest) } : {}) });
        }
        const plan = planRetention(tagged, input.policy, new Date(input.now));
        for (const digest of [...plan.digests, ...plan.platforms]) {
          progress(`deleting ${repository}@${digest}`);
          await deleteWithSignatures(registry, repository, digest);
        }
        return { repository, deleted: plan.expired.map((e) => e.tag), kept: plan.kept };
      });
    },
  };
}

async function deleteWithSignatures(registry: RegistryClient, repository: string, digest: string): Promise<void> {
  const referrers = await registry.getManifest(repository, referrersTag(digest));
  if (referrers) {
    for (const m of (JSON.parse(referrers.body.toString('utf8')) as { manifests?: { digest: string }[] }).manifests ?? []) await registry.deleteManifest(repository, m.digest);
    await registry.deleteManifest(repository, referrers.digest);
  }
  for (const tag of [signatureTag(digest), attestationTag(digest)]) {
    const artifact = await registry.resolve(repository, tag);
    if (artifact) await registry.deleteManifest(repository, artifact);
  }
  await registry.deleteManifest(repository, digest);
}
