/**
 * Activity `buildImage`: the image of one architecture from its lock, pushed
 * by digest (lib/builder/build.ts); `assembleIndex` then lists the platform
 * images of a multi-platform image in one index. Heartbeats each step; invalid definitions and
 * refused package contents are non-retryable InvalidDefinition failures.
 */
import { buildAndPush } from '../lib/builder/build';
import { assembleImageIndex } from '../lib/builder/imageIndex';
import type { ActivityContext } from '../lib/context';
import { classified } from './failures';
import { withProgress } from './progress';
import type { AssembleIndexInput, AssembleIndexResult, BuildInput, BuildResult } from './types';

export function buildActivity(ctx: ActivityContext) {
  return async function buildImageActivity(input: BuildInput): Promise<BuildResult> {
    return classified(() => withProgress((progress) => buildAndPush(ctx, input, progress)));
  };
}

/** Activity `assembleIndex`: the image index of the platform manifests the builds pushed (lib/builder/imageIndex.ts). */
export function assembleIndexActivity(ctx: ActivityContext) {
  return async function assembleIndex(input: AssembleIndexInput): Promise<AssembleIndexResult> {
    return classified(() => withProgress((progress) => assembleImageIndex(ctx, input, progress)));
  };
}
