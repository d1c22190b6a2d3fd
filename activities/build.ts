/**
 * Activity `buildImage`: the image from its lock, pushed by digest
 * (lib/builder/build.ts). Heartbeats each step; invalid definitions and
 * refused package contents are non-retryable InvalidDefinition failures.
 */
import { buildAndPush } from '../lib/builder/build';
import type { ActivityContext } from '../lib/context';
import { classified } from './failures';
import { withProgress } from './progress';
import type { BuildInput, BuildResult } from './types';

export function buildActivity(ctx: ActivityContext) {
  return async function buildImageActivity(input: BuildInput): Promise<BuildResult> {
    return classified(() => withProgress((progress) => buildAndPush(ctx, input, progress)));
  };
}
