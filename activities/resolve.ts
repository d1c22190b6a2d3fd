/**
 * Activity `resolveLock`: the exact package set of the next build
 * (lib/resolve/lock.ts). `locked` keeps the previous lock while every .deb in
 * it can still be had; `latest` resolves the newest of everything. Invalid
 * definitions are non-retryable InvalidDefinition failures.
 */
import type { ActivityContext } from '../lib/context';
import { resolveLock } from '../lib/resolve/lock';
import { classified } from './failures';
import { withProgress } from './progress';
import type { ResolveInput, ResolveResult } from './types';

export function resolveActivity(ctx: ActivityContext) {
  return async function resolveLockActivity(input: ResolveInput): Promise<ResolveResult> {
    return classified(() => withProgress((progress) => resolveLock(ctx, input, progress)));
  };
}
