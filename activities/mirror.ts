/**
 * Activity `mirrorRepository`: the continuous mirror's step, one catalog
 * repository at a time: every image tag copied with its signatures and
 * verified at the destination (lib/mirror/mirrorVerified.ts). Unchanged
 * images cost a manifest lookup each (blobs and manifests already there are
 * not sent). The destination's credentials come from the worker's
 * environment (TEMPERED_MIRROR_USERNAME, TEMPERED_MIRROR_PASSWORD_FILE),
 * never from the workflow.
 */
import * as fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityContext } from '../lib/context';
import { imageTags, mirrorVerified, MirrorVerificationError } from '../lib/mirror/mirrorVerified';
import { MirrorConfigError, mirrorDestination } from '../lib/mirror/destination';
import { withProgress } from './progress';

export interface MirrorRepositoryInput {
  repository: string;
  /** `host[:port]/path`: the repository is copied to `<destination>/<last part of repository>`. */
  destination: string;
}

export interface MirrorRepositoryResult {
  repository: string;
  to: string;
  tags: number;
  blobsCopied: number;
}

export interface MirrorActivities {
  mirrorRepository(input: MirrorRepositoryInput): Promise<MirrorRepositoryResult>;
}

export function mirrorActivities(ctx: ActivityContext): MirrorActivities {
  const destinationOf = (host: string) => {
    try {
      return mirrorDestination(host);
    } catch (err) {
      if (err instanceof MirrorConfigError) throw ApplicationFailure.nonRetryable(err.message, 'MirrorMisconfigured');
      throw err;
    }
  };
  return {
    async mirrorRepository({ repository, destination }) {
      return withProgress(async (progress) => {
        const slash = destination.indexOf('/');
        const host = slash < 0 ? destination : destination.slice(0, slash);
        const prefix = slash < 0 ? '' : `${destination.slice(slash + 1)}/`;
        const to = { registry: destinationOf(host), repository: `${prefix}${repository.split('/').pop() as string}` };
        const from = { registry: ctx.registry, repository };
        const key = fs.readFileSync(ctx.config.publicKeyPath);
        let blobsCopied = 0;
        const tags = await imageTags(from);
        for (const tag of tags) {
          try {
            blobsCopied += (await mirrorVerified(from, to, tag, key, (step) => progress(`${repository}:${tag}: ${step}`))).blobsCopied;
          } catch (err) {
            // A copy that does not verify is tampering or a broken destination: retrying copies the same bytes.
            if (err instanceof MirrorVerificationError) throw ApplicationFailure.nonRetryable(err.message, 'MirrorVerificationFailed');
            throw err;
          }
        }
        return { repository, to: `${host}/${to.repository}`, tags: tags.length, blobsCopied };
      });
    },
  };
}
